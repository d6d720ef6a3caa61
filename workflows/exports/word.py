"""The report as a Word document (python-docx) in the usual administrative layout: the
department and the national motto side by side, the title, the figures, a table per unit, the
overdue tasks, and a signature block left to fill in."""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import Table

from workflows.exports.excel import local_day
from workflows.exports.report import ReportData, period_words
from workflows.rules.counting import Grid, percent

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
SUMMARY_HEAD = (
    "STT",
    "Đơn vị",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Chưa hoàn thành, trong hạn",
    "Quá hạn, chưa hoàn thành",
    "Không có thời hạn",
    "Tỷ lệ hoàn thành",
    "Tỷ lệ đúng hạn",
)
OVERDUE_HEAD = (
    "STT",
    "Văn bản",
    "Nội dung nhiệm vụ",
    "Đơn vị chủ trì",
    "Hạn xử lý",
    "Số ngày quá hạn",
)


def document(data: ReportData, tz: ZoneInfo) -> bytes:
    """The report as .docx bytes."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    _motto(doc, data)
    _title(doc, data, tz)
    _figures(doc, data)
    _summary_table(doc, data)
    _overdue(doc, data, tz)
    _signature(doc)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _centred(cell_or_doc: object, text: str, bold: bool = False, italic: bool = False) -> None:
    paragraph = cell_or_doc.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic


def _motto(doc: object, data: ReportData) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    left, right = table.rows[0].cells
    _centred(left, data.department.upper(), bold=True)
    _centred(left, "Số:      /BC-")
    _centred(right, MOTTO[0], bold=True)
    _centred(right, MOTTO[1], bold=True)
    _centred(
        right,
        f"ngày {data.made_on.day:02d} tháng {data.made_on.month:02d} năm {data.made_on.year}",
        italic=True,
    )


def _title(doc: object, data: ReportData, tz: ZoneInfo) -> None:
    _centred(doc, "BÁO CÁO", bold=True)
    _centred(doc, "Tình hình thực hiện nhiệm vụ", bold=True)
    _centred(doc, f"Kỳ báo cáo: {period_words(data)}", italic=True)
    _centred(doc, f"Số liệu tính đến {data.as_of.astimezone(tz):%H:%M ngày %d/%m/%Y}", italic=True)


def _rate(value: object) -> str:
    shown = percent(value)  # type: ignore[arg-type]
    return "—" if shown is None else f"{shown}%".replace(".", ",")


def _figures(doc: object, data: ReportData) -> None:
    grid = data.by_task.total
    text = (
        f"Trong kỳ có {grid.total} nhiệm vụ: {grid.completed_on_time} hoàn thành đúng hạn, "
        f"{grid.completed_late} hoàn thành quá hạn, {grid.open_in_term} chưa hoàn thành trong "
        f"hạn, {grid.open_overdue} quá hạn chưa hoàn thành, {grid.no_deadline} không có thời "
        f"hạn. Tỷ lệ hoàn thành {_rate(grid.completion_rate)}, tỷ lệ hoàn thành đúng hạn "
        f"{_rate(grid.on_time_rate)}. Không tính {data.by_unit.suspended} văn bản đang tạm dừng "
        f"và {data.by_unit.cancelled} văn bản đã thu hồi."
    )
    doc.add_paragraph(text)  # type: ignore[attr-defined]


def _grid_cells(grid: Grid) -> list[str]:
    return [
        str(grid.completed_on_time),
        str(grid.completed_late),
        str(grid.open_in_term),
        str(grid.open_overdue),
        str(grid.no_deadline),
        _rate(grid.completion_rate),
        _rate(grid.on_time_rate),
    ]


def _table(doc: object, head: tuple[str, ...], rows: list[list[str]]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(head))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, head, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(title).bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):  # type: ignore[no-untyped-call]
            cell.text = value
    return table


def _summary_table(doc: object, data: ReportData) -> None:
    doc.add_paragraph().add_run("1. Kết quả theo đơn vị chủ trì").bold = True  # type: ignore[attr-defined]
    rows = [
        [str(n), row.name, *_grid_cells(row.grid)]
        for n, row in enumerate(data.by_unit.rows, start=1)
    ]
    rows.append(["", "Tổng cộng", *_grid_cells(data.by_unit.total)])
    _table(doc, SUMMARY_HEAD, rows)


def _overdue(doc: object, data: ReportData, tz: ZoneInfo) -> None:
    doc.add_paragraph().add_run("2. Nhiệm vụ quá hạn, chưa hoàn thành").bold = True  # type: ignore[attr-defined]
    late = [line for line in data.lines if line.category == "open_overdue"]
    rows = [
        [
            str(n),
            line.directive_number,
            line.content,
            "; ".join(line.lead_units),
            f"{local_day(line.due_at, tz):%d/%m/%Y}",
            str(line.days_overdue or 0),
        ]
        for n, line in enumerate(late, start=1)
    ]
    if rows:
        _table(doc, OVERDUE_HEAD, rows)
    else:
        doc.add_paragraph("Không có nhiệm vụ quá hạn.")  # type: ignore[attr-defined]
    if data.cut_words:
        doc.add_paragraph().add_run(data.cut_words).italic = True  # type: ignore[attr-defined]


def _signature(doc: object) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    left.add_paragraph("- ...........;")
    left.add_paragraph("- Lưu: VT.")
    _centred(right, "THỦ TRƯỞNG ĐƠN VỊ", bold=True)
    _centred(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True)
