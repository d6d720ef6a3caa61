"""What the report on the carrying out of tasks (báo cáo tình hình thực hiện nhiệm vụ) holds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select

from engine import utcnow
from workflows.db import Database
from workflows.read import statistics as stats
from workflows.read.task_list import MAX_EXPORT_ROWS, TaskFilter, TaskLine, task_list
from workflows.tables import Unit

CATEGORY_WORDS = {
    "completed_on_time": "Hoàn thành đúng hạn",
    "completed_late": "Hoàn thành quá hạn",
    "open_in_term": "Chưa hoàn thành, trong hạn",
    "open_overdue": "Quá hạn, chưa hoàn thành",
    "no_deadline": "Không có thời hạn",
}
BASIS_WORDS = {"due": "theo hạn xử lý", "issued": "theo ngày ban hành văn bản"}


@dataclass(frozen=True)
class ReportData:
    """The figures and lines of one report."""

    department: str
    units: tuple[str, ...]  # the unit names asked for (empty: every unit)
    by_unit: stats.Statistics
    by_task: stats.Statistics
    lines: tuple[TaskLine, ...]
    made_on: date
    as_of: datetime
    start: date
    end: date
    basis: str
    total_lines: int = 0  # the tasks of the period; more than `lines` when the list was cut

    @property
    def cut_words(self) -> str:
        """What the report says when it lists only the first tasks ('' when it lists all)."""
        if self.total_lines <= len(self.lines):
            return ""
        return (
            f"Danh sách chỉ gồm {len(self.lines):,} nhiệm vụ đầu trong tổng số "
            f"{self.total_lines:,} nhiệm vụ; thu hẹp kỳ hoặc đơn vị để lấy phần còn lại."
        ).replace(",", ".")


def report_data(
    db: Database, user_id: int, query: stats.StatsQuery, now: datetime | None = None
) -> ReportData:
    """Gather the grid per unit, the task grid and one line per task of the period."""
    at = now or utcnow()
    by_unit = stats.statistics(db, user_id, replace(query, by="unit"), now=at)
    by_task = stats.statistics(db, user_id, replace(query, by="directive"), now=at)
    page = task_list(db, user_id, TaskFilter(query), per_page=MAX_EXPORT_ROWS, now=at)
    with db.reading() as session:
        top = session.scalar(select(Unit.name).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        names = tuple(session.scalars(select(Unit.name).where(Unit.code.in_(query.unit_codes))))
    return ReportData(
        department=top or "",
        units=names,
        by_unit=by_unit,
        by_task=by_task,
        lines=page.lines,
        made_on=at.astimezone(db.settings.tz).date(),
        as_of=by_unit.window.as_of,
        start=query.period.start,
        end=query.period.end,
        basis=query.basis,
        total_lines=page.total,
    )


def period_words(data: ReportData) -> str:
    """The period as the report's header says it."""
    return f"Từ ngày {data.start:%d/%m/%Y} đến ngày {data.end:%d/%m/%Y} ({BASIS_WORDS[data.basis]})"
