"""Any filtered list (tasks, directives) as an Excel sheet or a CSV file.

Headings, states and statuses are domain messages: the web layer says them in the reader's
language (the province's report, in report.py and excel.py, stays in Vietnamese)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from io import BytesIO, StringIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from workflows.exports.excel import DATE_FORMAT, as_text, local_day
from workflows.messages import N_, Message
from workflows.read.listing import DirectiveRow
from workflows.read.task_list import TaskLine

TASK_HEAD: tuple[tuple[Message, int], ...] = (
    (N_("Number and code"), 16),
    (N_("Issue date"), 12),
    (N_("Issuing body"), 22),
    (N_("Task no."), 8),
    (N_("Task text"), 55),
    (N_("Unit"), 24),
    (N_("Lead units"), 24),
    (N_("Coordinating units"), 24),
    (N_("Deadline"), 12),
    (N_("First deadline"), 12),
    (N_("State"), 18),
    (N_("Days overdue"), 9),
    (N_("Date completed"), 12),
    (N_("Nudges"), 9),
    (N_("Latest report"), 45),
)
DIRECTIVE_HEAD: tuple[tuple[Message, int], ...] = (
    (N_("Number and code"), 16),
    (N_("Issue date"), 12),
    (N_("Issuing body"), 24),
    (N_("Subject"), 60),
    (N_("Status"), 16),
    (N_("Unit assignments"), 10),
    (N_("Completed"), 10),
    (N_("Overdue"), 10),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def task_values(line: TaskLine, tz: ZoneInfo, states: Mapping[str, str]) -> list[Any]:
    """One task line as the cells of a row, its state said by `states`."""
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
        states.get(line.category, line.category),
        line.days_overdue,
        local_day(line.completed_at, tz) if line.completed_at else None,
        line.nudges,
        line.latest_report,
    ]


def directive_values(row: DirectiveRow, statuses: Mapping[str, str]) -> list[Any]:
    """One directive of the list as the cells of a row, its status said by `statuses`."""
    return [
        row.number,
        row.issued_on,
        row.issuer,
        row.title,
        statuses.get(row.status, row.status),
        row.assignments,
        row.accepted,
        row.overdue,
    ]


def sheet(
    title: str, head: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]], note: str = ""
) -> bytes:
    """A one-sheet workbook: a bold frozen heading row, the rows (dates as dates), a last note."""
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
    if note:  # e.g. that the list was cut: said where the reader of the rows will see it
        last = WriteOnlyCell(written, value=note)
        last.font = Font(bold=True, italic=True)
        written.append([last])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(head: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]], note: str = "") -> str:
    """CSV with a heading row, dates as dd/mm/yyyy, UTF-8 with a BOM so Excel reads it right."""
    out = StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([name for name, _ in head])
    for values in rows:
        writer.writerow([_csv_cell(value) for value in values])
    if note:
        writer.writerow([_csv_cell(note)])
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # a spreadsheet opening the file must not run user text
    return "" if value is None else value
