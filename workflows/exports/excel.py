"""The report as an Excel workbook (openpyxl): one row per task, and a summary sheet per unit.

Written in openpyxl's write-only mode (a year of tasks in well under the 3 s budget): dates are
real dates, the header row is frozen and repeated on every printed page, columns are wide
enough and wrap for Vietnamese text, A4 landscape, fitted to the page width.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from workflows.exports.report import CATEGORY_WORDS, ReportData, period_words
from workflows.rules.counting import Grid

DATE_FORMAT = "dd/mm/yyyy"
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
TASK_COLUMNS = (
    ("STT", 6),
    ("Số, ký hiệu văn bản", 16),
    ("Ngày ban hành", 12),
    ("Cơ quan ban hành", 22),
    ("Nội dung nhiệm vụ", 55),
    ("Đơn vị chủ trì", 24),
    ("Đơn vị phối hợp", 24),
    ("Hạn xử lý", 12),
    ("Hạn sau gia hạn", 12),
    ("Tình trạng", 18),
    ("Ngày hoàn thành", 12),
    ("Số lần đôn đốc", 9),
    ("Báo cáo gần nhất", 45),
)
SUMMARY_COLUMNS = (
    ("STT", 6),
    ("Đơn vị", 40),
    ("Hoàn thành đúng hạn", 12),
    ("Hoàn thành quá hạn", 12),
    ("Chưa hoàn thành, trong hạn", 13),
    ("Quá hạn, chưa hoàn thành", 13),
    ("Không có thời hạn", 11),
    ("Tổng số", 9),
    ("Tỷ lệ hoàn thành", 11),
    ("Tỷ lệ đúng hạn", 11),
    ("Phối hợp: hoàn thành", 11),
    ("Phối hợp: quá hạn", 11),
)
TASK_HEADER_ROW = 9
# Each cell takes one of these named styles: setting border and alignment cell by cell made
# openpyxl look each style up anew (two thirds of a year's report went there).
TEXT, DAY, HEAD = "dondoc-text", "dondoc-day", "dondoc-head"


def _named_styles() -> list[NamedStyle]:
    return [
        NamedStyle(name=TEXT, border=BOX, alignment=WRAP),
        NamedStyle(name=DAY, border=BOX, alignment=WRAP, number_format=DATE_FORMAT),
        NamedStyle(name=HEAD, border=BOX, alignment=WRAP, font=Font(bold=True), fill=HEAD_FILL),
    ]


def as_text(cell: Any) -> Any:
    """Keep user text that starts with '=' a text, never a formula Excel would run."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
    return cell


def local_day(moment: datetime | None, tz: ZoneInfo) -> Any:
    """The last day a due instant covers (or the day of any other instant), as a date."""
    if moment is None:
        return None
    return (moment.astimezone(tz) - timedelta(microseconds=1)).date()


def workbook(data: ReportData, tz: ZoneInfo) -> bytes:
    """The report as .xlsx bytes."""
    book = Workbook(write_only=True)
    for style in _named_styles():
        book.add_named_style(style)
    tasks = book.create_sheet("Nhiệm vụ")
    _setup(tasks, TASK_COLUMNS)
    _header(tasks, data, tz, len(TASK_COLUMNS))
    _row(tasks, [title for title, _ in TASK_COLUMNS], head=True)
    for number, line in enumerate(data.lines, start=1):
        extended = line.due_at if line.due_at != line.original_due_at else None
        _row(
            tasks,
            [
                number,
                line.directive_number,
                line.issued_on,
                line.issuer,
                line.content + (f" (kỳ báo cáo {line.cycle + 1})" if line.cycle else ""),
                "; ".join(line.lead_units),
                "; ".join(line.coordinating_units),
                local_day(line.original_due_at, tz),
                local_day(extended, tz),
                CATEGORY_WORDS[line.category],
                local_day(line.completed_at, tz) if line.completed_at else None,
                line.nudges,
                line.latest_report,
            ],
        )
    if data.cut_words:  # the list stops at its limit: the sheet says so in its last row
        note = WriteOnlyCell(tasks, value=data.cut_words)
        note.font = Font(bold=True, italic=True)
        tasks.append([note])
    summary = book.create_sheet("Tổng hợp")
    _setup(summary, SUMMARY_COLUMNS)
    _header(summary, data, tz, len(SUMMARY_COLUMNS))
    _summary(summary, data)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _setup(written: WriteOnlyWorksheet, columns: Sequence[tuple[str, int]]) -> None:
    sheet: Any = written  # the stubs leave out what write-only sheets proxy at run time
    for index, (_, width) in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = f"A{TASK_HEADER_ROW + 1}"
    sheet.print_title_rows = f"{TASK_HEADER_ROW}:{TASK_HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _cell(sheet: WriteOnlyWorksheet, value: Any, bold: bool = False, size: int = 11) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=bold, size=size)
    return cell


def _header(sheet: WriteOnlyWorksheet, data: ReportData, tz: ZoneInfo, width: int) -> None:
    excluded = (
        f"Không tính {data.by_unit.suspended} văn bản đang tạm dừng và "
        f"{data.by_unit.cancelled} văn bản đã thu hồi."
    )
    lines = [
        (data.department.upper(), True, 12),
        ("BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ", True, 14),
        (f"Kỳ báo cáo: {period_words(data)}", False, 11),
        (f"Số liệu tính đến: {data.as_of.astimezone(tz):%H:%M ngày %d/%m/%Y}", False, 11),
        (f"Ngày lập báo cáo: {data.made_on:%d/%m/%Y}", False, 11),
        (f"Đơn vị: {'; '.join(data.units) or 'tất cả các đơn vị'}", False, 11),
        (excluded, False, 11),
    ]
    for text, bold, size in lines:
        sheet.append([_cell(sheet, text, bold, size)])
    sheet.append([])


def _row(sheet: WriteOnlyWorksheet, values: Sequence[Any], head: bool = False) -> None:
    cells = []
    for value in values:
        if isinstance(value, Cell):
            cells.append(value)
            continue
        cell = as_text(WriteOnlyCell(sheet, value=value))
        cell.style = HEAD if head else DAY if hasattr(value, "year") else TEXT
        cells.append(cell)
    sheet.append(cells)


def _rate(sheet: WriteOnlyWorksheet, rate: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=None if rate is None else float(rate))
    cell.number_format, cell.border = "0.0%", BOX
    return cell


def _grid_values(sheet: WriteOnlyWorksheet, grid: Grid, coordinating: Grid) -> list[Any]:
    return [
        grid.completed_on_time,
        grid.completed_late,
        grid.open_in_term,
        grid.open_overdue,
        grid.no_deadline,
        grid.total,
        _rate(sheet, grid.completion_rate),
        _rate(sheet, grid.on_time_rate),
        coordinating.completed,
        coordinating.open_overdue,
    ]


def _summary(sheet: WriteOnlyWorksheet, data: ReportData) -> None:
    _row(sheet, [title for title, _ in SUMMARY_COLUMNS], head=True)
    stats = data.by_unit
    for number, row in enumerate(stats.rows, start=1):
        _row(sheet, [number, row.name, *_grid_values(sheet, row.grid, row.coordinating)])
    _row(
        sheet,
        [
            "",
            "Tổng cộng (theo đơn vị chủ trì)",
            *_grid_values(sheet, stats.total, stats.coordinating_total),
        ],
    )
    _row(sheet, ["", "Tổng số nhiệm vụ", *_grid_values(sheet, data.by_task.total, Grid())])
