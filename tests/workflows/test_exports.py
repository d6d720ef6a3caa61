"""The province's report, re-read: the workbook's cells and the Word document's tables."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import seed
from tests.workflows import oversight_data
from tests.workflows.oversight_data import World
from workflows.db import Database
from workflows.exports import excel, report, word
from workflows.exports.report import report_data
from workflows.read.statistics import StatsQuery
from workflows.rules import periods
from workflows.settings import Settings
from workflows.tables import User

Q1 = periods.period_of("quarter", date(2025, 1, 1))
TZ = oversight_data.TZ


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    url = f"sqlite:///{tmp_path_factory.mktemp('exports') / 'o.db'}"
    seed(url)
    db = Database(url, Settings(upload_dir=tmp_path_factory.mktemp("uploads")))
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    return oversight_data.build(db, users)


def data(world: World, *units: str):
    query = StatsQuery(Q1, as_of=oversight_data.d("03-25"), unit_codes=units)
    return report_data(world.db, world.users["giamdoc"], query, now=oversight_data.at("12-01"))


def test_the_workbook_has_its_header_one_row_per_task_and_the_grid(world: World) -> None:
    book = load_workbook(BytesIO(excel.workbook(data(world), TZ)))
    tasks, summary = book["Nhiệm vụ"], book["Tổng hợp"]
    assert tasks["A1"].value == "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH LẠNG SƠN"
    assert tasks["A2"].value == "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ"
    assert (
        tasks["A3"].value == "Kỳ báo cáo: Từ ngày 01/01/2025 đến ngày 31/03/2025 (theo hạn xử lý)"
    )
    assert tasks["A4"].value == "Số liệu tính đến: 00:00 ngày 26/03/2025"
    assert tasks["A5"].value == "Ngày lập báo cáo: 01/12/2025"
    assert "1 văn bản đang tạm dừng và 1 văn bản đã thu hồi" in tasks["A7"].value
    head = [cell.value for cell in tasks[9]]
    assert head[:5] == [
        "STT",
        "Số, ký hiệu văn bản",
        "Ngày ban hành",
        "Cơ quan ban hành",
        "Nội dung nhiệm vụ",
    ]
    assert tasks.freeze_panes == "A10"
    assert tasks.page_setup.orientation == "landscape"
    assert str(tasks.page_setup.paperSize) == tasks.PAPERSIZE_A4
    assert tasks.column_dimensions["E"].width == 55
    rows = [[cell.value for cell in row] for row in tasks.iter_rows(min_row=10)]
    assert len(rows) == 11  # the eleven tasks of the first quarter, hand-counted
    by_text = {row[4]: row for row in rows}
    joint = by_text["Kiểm tra đo lường tại chợ"]
    assert joint[1] == "01/KH-UBND"
    assert joint[2].date() == date(2025, 1, 6)  # a real date, shown dd/mm/yyyy
    assert tasks.cell(row=10 + rows.index(joint), column=3).number_format == "dd/mm/yyyy"
    head, text = tasks.cell(row=9, column=5), tasks.cell(row=10 + rows.index(joint), column=5)
    assert head.font.bold
    assert head.fill.fgColor.rgb.endswith("DDE7F3")
    assert (text.border.left.style, text.alignment.wrap_text) == ("thin", True)
    assert not text.font.bold
    assert joint[5] == "Thanh tra Sở; Chi cục Tiêu chuẩn Đo lường Chất lượng"
    assert joint[7].date() == date(2025, 3, 14)
    assert joint[9] == "Hoàn thành quá hạn"
    assert joint[10].date() == date(2025, 3, 20)  # the last acceptance's report
    assert by_text["Báo cáo tiến độ hằng tháng"][7].date() == date(2025, 3, 17)
    assert by_text["Rà soát dự toán kinh phí"][6] == "Văn phòng Sở"
    summary_rows = {row[1]: row[2:] for row in summary.iter_rows(min_row=10, values_only=True)}
    assert summary_rows["Phòng Quản lý Khoa học"][:6] == (0, 0, 1, 1, 0, 2)
    assert summary_rows["Tổng cộng (theo đơn vị chủ trì)"][:6] == (4, 2, 2, 2, 2, 12)
    assert summary_rows["Tổng cộng (theo đơn vị chủ trì)"][6] == pytest.approx(0.75)
    assert summary_rows["Tổng cộng (theo đơn vị chủ trì)"][7] == pytest.approx(0.5)
    assert summary_rows["Tổng số nhiệm vụ"][:6] == (3, 2, 2, 2, 2, 11)
    assert summary.cell(row=10 + 8, column=9).number_format == "0.0%"


def test_a_unit_selection_narrows_rows_and_summary(world: World) -> None:
    book = load_workbook(BytesIO(excel.workbook(data(world, "QLKH", "TTUD"), TZ)))
    rows = list(book["Nhiệm vụ"].iter_rows(min_row=10, values_only=True))
    assert sorted(row[4] for row in rows) == [
        "Chuyển giao mô hình",
        "Rà soát quy hoạch",
        "Tổng hợp đề tài cần nghiệm thu",
        "Ứng dụng tiến bộ kỹ thuật",
    ]
    assert "Đơn vị: Phòng Quản lý Khoa học; Trung tâm" in book["Nhiệm vụ"]["A6"].value
    names = [row[1] for row in book["Tổng hợp"].iter_rows(min_row=10, values_only=True)]
    assert len(names) == 4  # two units, the total and the task total


def test_the_word_document(world: World) -> None:
    doc = Document(BytesIO(word.document(data(world), TZ)))
    text = "\n".join(p.text for p in doc.paragraphs)
    motto = doc.tables[0].rows[0].cells[1].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in motto
    assert "Độc lập - Tự do - Hạnh phúc" in motto
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH LẠNG SƠN" in doc.tables[0].rows[0].cells[0].text
    assert "BÁO CÁO" in text
    assert "Trong kỳ có 11 nhiệm vụ: 3 hoàn thành đúng hạn, 2 hoàn thành quá hạn" in text
    assert "Tỷ lệ hoàn thành 71,4%, tỷ lệ hoàn thành đúng hạn 42,9%" in text
    summary = doc.tables[1]
    total = [cell.text for cell in summary.rows[-1].cells]
    assert total == ["", "Tổng cộng", "4", "2", "2", "2", "2", "75,0%", "50,0%"]
    overdue = doc.tables[2]
    assert len(overdue.rows) == 3  # the head and the two overdue tasks
    assert {row.cells[1].text for row in overdue.rows[1:]} == {"15/CT-UBND", "40/KH-UBND"}
    signature = doc.tables[3].rows[0].cells
    assert "Nơi nhận:" in signature[0].text
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in signature[1].text


def test_a_report_cut_at_its_limit_says_so(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = data(world)
    assert whole.cut_words == ""
    assert excel_last_row(whole) == whole.total_lines  # the last row is a task, numbered
    monkeypatch.setattr(report, "MAX_EXPORT_ROWS", 3)  # 50,000 in use: too many to build
    cut = data(world)
    assert (len(cut.lines), cut.total_lines) == (3, whole.total_lines)
    words = f"Danh sách chỉ gồm 3 nhiệm vụ đầu trong tổng số {whole.total_lines} nhiệm vụ"
    assert excel_last_row(cut).startswith(words)
    doc = Document(BytesIO(word.document(cut, TZ)))
    assert any(p.text.startswith(words) for p in doc.paragraphs)


def excel_last_row(report_data_: object) -> object:
    tasks = load_workbook(BytesIO(excel.workbook(report_data_, TZ)))["Nhiệm vụ"]  # type: ignore[arg-type]
    return [row[0] for row in tasks.iter_rows(values_only=True)][-1]
