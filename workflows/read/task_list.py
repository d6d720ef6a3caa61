"""The list behind every figure: the tasks (or one unit's assignments) of a period, filtered by
their column of the grid, unit, directive, issuer or leader in charge; also what the reports
and the Excel and CSV exports list.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.access.permissions import sees_everything
from workflows.db import Database
from workflows.errors import InvalidInput
from workflows.messages import N_
from workflows.organisation import people
from workflows.read import counting_sql as sql
from workflows.read import memo
from workflows.read import statistics as stats
from workflows.read.counting_sql import Rows
from workflows.read.task_details import Details, details_of
from workflows.rules.counting import CATEGORIES
from workflows.rules.timeliness import days_left
from workflows.tables import DueItem, Unit

MAX_EXPORT_ROWS = 50_000
GROUPS = {  # the lists behind the dashboard's sums: completed work, and what the rates count
    "completed": ("completed_on_time", "completed_late"),
    "rated": ("completed_on_time", "completed_late", "open_overdue"),
}
LIST_CATEGORIES = (*CATEGORIES, *GROUPS)


def _columns(category: str) -> tuple[str, ...]:
    return GROUPS.get(category, (category,))


@dataclass(frozen=True)
class TaskFilter:
    """Which lines: the counting window, then a column, a unit, a directive, an issuer..."""

    stats: stats.StatsQuery
    level: str = "task"  # task: one line per task; item: one line per unit's assignment
    category: str | None = None
    unit_code: str | None = None
    role: str | None = None  # lead or coordinating (item level)
    directive_id: int | None = None
    issuer: str | None = None
    leader: str | None = None  # a leader's user id, or "none"


@dataclass(frozen=True)
class TaskLine:
    """One task (per reporting period) or one unit's part of it, as of the window's instant."""

    task_id: int
    cycle: int
    directive_id: int
    directive_number: str
    issued_on: date
    issuer: str
    task_number: int
    content: str
    category: str
    due_at: datetime | None
    original_due_at: datetime | None
    completed_at: datetime | None
    days_overdue: int | None
    lead_units: tuple[str, ...]
    coordinating_units: tuple[str, ...]
    latest_report: str
    nudges: int
    open_assignments: tuple[tuple[int, str], ...]  # (assignment id, unit code) still open
    unit_code: str | None = None  # item level: whose part this is
    role: str | None = None


@dataclass(frozen=True)
class TaskPage:
    """A page of lines and how many there are."""

    lines: tuple[TaskLine, ...]
    total: int
    page: int
    per_page: int
    window: sql.Window
    own_unit: str | None = None
    unit_names: dict[str, str] = field(default_factory=dict)


def check_filter(flt: TaskFilter) -> None:
    """Refuse an unknown level, column or role (InvalidInput)."""
    stats.check_query(flt.stats)
    if flt.level not in ("task", "item"):
        raise InvalidInput({"level": N_("choose task or item")})
    if flt.category is not None and flt.category not in LIST_CATEGORIES:
        raise InvalidInput({"category": N_("unknown column")})
    if flt.role not in (None, "lead", "coordinating"):
        raise InvalidInput({"role": N_("choose lead or coordinating")})


def task_list(
    db: Database,
    user_id: int,
    flt: TaskFilter,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> TaskPage:
    """One page of the lines behind a figure, most overdue first."""
    check_filter(flt)
    at = now or utcnow()
    page, per_page = min(max(page, 1), 100_000), min(max(per_page, 1), MAX_EXPORT_ROWS)
    key = ("tasks", user_id, flt, page, per_page, memo.minute(at))
    return memo.remembered(db, key, lambda: _task_page(db, user_id, flt, page, per_page, at))


def _task_page(
    db: Database, user_id: int, flt: TaskFilter, page: int, per_page: int, now: datetime
) -> TaskPage:
    window = stats.window_of(db, flt.stats, now)
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        units = stats.scope_units(session, actor, flt.stats.unit_codes)
        units = _one_unit(session, units, flt.unit_code)
        query = _tasks(window, flt, units) if flt.level == "task" else _items(window, flt, units)
        lines = query.subquery()
        total = session.scalar(select(func.count()).select_from(lines)) or 0
        picked = session.execute(
            select(lines)
            .order_by(lines.c.due.is_(None), lines.c.due, lines.c.task_id, lines.c.cycle)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        found = details_of(session, [(r.task_id, r.cycle) for r in picked])
        made = tuple(_line(db, window, row, found) for row in picked)
        own = None if sees_everything(actor) else actor.unit.code
        names = dict(session.execute(select(Unit.code, Unit.name)).all())
    return TaskPage(made, total, page, per_page, window, own, names)


def _one_unit(session: Session, units: list[int] | None, code: str | None) -> list[int] | None:
    if not code:
        return units
    unit_id = session.scalar(select(Unit.id).where(Unit.code == code))
    if unit_id is None or (units is not None and unit_id not in units):
        raise InvalidInput({"unit": N_("no such unit")})
    return [unit_id]


def _tasks(window: sql.Window, flt: TaskFilter, units: list[int] | None) -> Rows:
    tasks = stats.task_rows(window, units)
    query = select(
        tasks.c.task_id,
        tasks.c.cycle,
        tasks.c.category,
        tasks.c.due,
        tasks.c.issuer,
        tasks.c.directive_id,
    )
    return _narrowed(query, tasks.c, flt)


def _items(window: sql.Window, flt: TaskFilter, units: list[int] | None) -> Rows:
    items = stats.narrowed(sql.items(window), units)
    if flt.category in ("open_overdue", "open_in_term"):
        items = items.where(sql.maybe_open(window.as_of))
    if flt.role:
        items = items.where(DueItem.role == flt.role)
    if flt.leader:
        leader = None if flt.leader == stats.NO_LEADER else int(flt.leader)
        led = select(Unit.id).where(
            Unit.leader_id.is_(None) if leader is None else Unit.leader_id == leader
        )
        items = items.where(DueItem.unit_id.in_(led), DueItem.role == "lead")
    rows = items.subquery()
    query = select(
        rows.c.task_id,
        rows.c.cycle,
        rows.c.category,
        rows.c.due,
        rows.c.unit_id,
        rows.c.role,
        rows.c.assignment_id,
    )
    return _narrowed(query, rows.c, flt)


def _narrowed(query: Rows, columns: Any, flt: TaskFilter) -> Rows:
    """The rows of a category, a directive, an issuer, as the filter asks."""
    if flt.category:
        query = query.where(columns.category.in_(_columns(flt.category)))
    if flt.directive_id:
        query = query.where(columns.directive_id == flt.directive_id)
    if flt.issuer:
        query = query.where(columns.issuer == flt.issuer)
    return query


def _line(
    db: Database, window: sql.Window, row: Any, found: dict[tuple[int, int], Details]
) -> TaskLine:
    details = found[row.task_id, row.cycle]
    overdue = (
        days_left(row.due, window.as_of, db.settings.tz) if row.category == "open_overdue" else None
    )
    line = TaskLine(
        row.task_id,
        row.cycle,
        details.directive_id,
        details.directive_number,
        details.issued_on,
        details.issuer,
        details.task_number,
        details.content,
        row.category,
        row.due,
        details.original_due_at,
        details.completed_at if row.category.startswith("completed") else None,
        None if overdue is None else max(-overdue, 0),
        details.lead_units,
        details.coordinating_units,
        details.latest_report,
        details.nudges,
        details.open_assignments,
    )
    if "unit_id" in row._fields:
        code = details.unit_codes.get(row.assignment_id, "")
        line = replace(
            line,
            unit_code=code,
            role=row.role,
            open_assignments=tuple(
                a for a in details.open_assignments if a[0] == row.assignment_id
            ),
        )
    return line
