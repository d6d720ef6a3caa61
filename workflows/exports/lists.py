"""Any filtered list (tasks, directives) as an Excel sheet or a CSV file, Vietnamese headings."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO, StringIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from workflows.exports.excel import DATE_FORMAT, as_text, local_day
from workflows.exports.report import CATEGORY_WORDS
from workflows.read.listing import DirectiveRow
from workflows.read.task_list import TaskLine

TASK_HEAD = (
    ("Số, ký hiệu", 16),
    ("Ngày ban hành", 12),
    ("Cơ quan ban hành", 22),
    ("Nhiệm vụ số", 8),
    ("Nội dung nhiệm vụ", 55),
    ("Đơn vị", 24),
    ("Đơn vị chủ trì", 24),
    ("Đơn vị phối hợp", 24),
    ("Hạn xử lý", 12),
    ("Hạn ban đầu", 12),
    ("Tình trạng", 18),
    ("Số ngày quá hạn", 9),
    ("Ngày hoàn thành", 12),
    ("Số lần đôn đốc", 9),
    ("Báo cáo gần nhất", 45),
)
DIRECTIVE_HEAD = (
    ("Số, ký hiệu", 16),
    ("Ngày ban hành", 12),
    ("Cơ quan ban hành", 24),
    ("Trích yếu", 60),
    ("Trạng thái", 16),
    ("Số phần việc", 10),
    ("Đã hoàn thành", 10),
    ("Quá hạn", 10),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATUS_WORDS = {
    "assigning": "Chờ giao",
    "in_progress": "Đang thực hiện",
    "suspended": "Tạm dừng",
    "completed": "Hoàn thành",
    "cancelled": "Đã thu hồi",
}


def task_values(line: TaskLine, tz: ZoneInfo) -> list[Any]:
    """One task line as the cells of a row."""
    return [
        line.directive_number,
        line.issued_on,
        line.issuer,
        line.task_number,
        line.content,
        line.unit_code or "",
        "; ".join(line.lead_units),
        "; ".join(line.coordinating_units),
        local_day(line.due_at, tz),
        local_day(line.original_due_at, tz),
        CATEGORY_WORDS[line.category],
        line.days_overdue,
        local_day(line.completed_at, tz) if line.completed_at else None,
        line.nudges,
        line.latest_report,
    ]


def directive_values(row: DirectiveRow) -> list[Any]:
    """One directive of the list as the cells of a row."""
    return [
        row.number,
        row.issued_on,
        row.issuer,
        row.title,
        STATUS_WORDS.get(row.status, row.status),
        row.assignments,
        row.accepted,
        row.overdue,
    ]


def sheet(title: str, head: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a bold frozen heading row, then the rows, dates as dates."""
    book = Workbook(write_only=True)
    written = book.create_sheet(title[:31])
    page: Any = written
    for index, (_, width) in enumerate(head):
        page.column_dimensions[chr(ord("A") + index)].width = width
    page.freeze_panes = "A2"
    heading = []
    for name, _ in head:
        cell = WriteOnlyCell(written, value=name)
        cell.font = Font(bold=True)
        heading.append(cell)
    written.append(heading)
    wrap = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        cells = []
        for value in values:
            cell = as_text(WriteOnlyCell(written, value=value))
            cell.alignment = wrap
            if isinstance(value, date | datetime):
                cell.number_format = DATE_FORMAT
            cells.append(cell)
        written.append(cells)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(head: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]) -> str:
    """CSV with a heading row, dates as dd/mm/yyyy, UTF-8 with a BOM so Excel reads it right."""
    out = StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([name for name, _ in head])
    for values in rows:
        writer.writerow([_csv_cell(value) for value in values])
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # a spreadsheet opening the file must not run user text
    return "" if value is None else value
