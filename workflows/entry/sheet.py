"""The spreadsheet template for entering tasks as rows: one sheet to fill, one that explains."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HEADERS = ("STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn")
WIDTHS = (6, 70, 30, 30, 22)
GUIDE = (
    "Mỗi dòng của trang «Nhiệm vụ» là một nhiệm vụ; giữ nguyên dòng tiêu đề.",
    "Đơn vị: ghi tên, tên viết tắt hoặc mã của đơn vị, cách nhau bằng dấu phẩy hoặc dấu chấm phẩy.",
    "Thời hạn: một ngày (25/10/2024), giờ và ngày (17:00 25/10/2024), «thường xuyên», "
    "«hằng tháng», «định kỳ hằng quý», «trong quý IV», «trước Tết Nguyên đán».",
    "Each row of the «Nhiệm vụ» sheet is one task; keep the header row. Units: name, short name "
    "or code, separated by commas. Deadline: a date, a time and date, or a phrase as above.",
)


def task_sheet_template(units: Sequence[tuple[str, str]]) -> bytes:
    """Return the .xlsx template: the task sheet, then a guide listing the units by code."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nhiệm vụ"
    sheet.append(list(HEADERS))
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions["ABCDE"[index]].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn")
    for line in GUIDE:
        guide.append([line])
    guide.append([])
    guide.append(["Mã / Code", "Đơn vị / Unit"])
    for code, name in units:
        guide.append([code, name])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
