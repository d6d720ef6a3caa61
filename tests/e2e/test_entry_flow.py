"""In Chromium: a .docx read into a proposal, corrected and saved; assigned; corrected again.

The clerk uploads a Word directive, corrects one proposed unit and one deadline and saves it;
the director assigns it; later the clerk corrects a deadline and adds a coordinating unit, and
the directive's history shows both corrections. Screenshots at a laptop's and a phone's width,
in Vietnamese and English, forms sent empty included, go to test-output/e2e/<test>/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_directive_flow import Person

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def directive_docx(path: Path, issued: date) -> None:
    """A Sở directive as a clerk receives it: header, numbered tasks, recipients, signature."""
    document = docx.Document()
    for line in ("UBND TỈNH LẠNG SƠN", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số: 27/KH-SKHCN"):
        document.add_paragraph(line)
    document.add_paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    document.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    document.add_paragraph(
        f"Lạng Sơn, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}"
    )
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Kiểm tra đo lường, chất lượng hàng hóa cuối năm")
    document.add_paragraph("Thực hiện chỉ đạo của UBND tỉnh, Sở giao nhiệm vụ như sau:")
    due = issued + timedelta(days=20)
    tasks = (
        "Chi cục TĐC chủ trì, phối hợp với Thanh tra Sở kiểm tra đo lường xăng dầu tại các "
        f"cửa hàng, hoàn thành trước ngày {due.day}/{due.month}/{due.year}.",
        "Phòng KH-TC bố trí kinh phí cho đoàn kiểm tra, phối hợp với Văn phòng Sở.",
        "Văn phòng Sở tổng hợp kết quả, báo cáo Giám đốc Sở; thực hiện thường xuyên.",
    )
    for text in tasks:
        document.add_paragraph(text, style="List Number")
    for line in ("Nơi nhận:", "- Như trên;", "- Lưu: VT.", "GIÁM ĐỐC", "Nguyễn Văn Bình"):
        document.add_paragraph(line)
    document.save(path)


def person(browser, server: LiveServer, username: str, password: str, viewport=LAPTOP) -> Person:
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox|dashboard)$"))
    return Person(username, page, server)


def checked(page, row: int, kind: str) -> set[str]:
    boxes = page.locator(f"input[name='tasks-{row}-{kind}']:checked")
    return {boxes.nth(i).get_attribute("value") or "" for i in range(boxes.count())}


@pytest.mark.e2e
def test_a_docx_is_proposed_corrected_saved_assigned_and_corrected_again(
    browser, live_server: LiveServer, passwords, tmp_path: Path
) -> None:
    today = date.today()
    source = tmp_path / "ke-hoach-kiem-tra.docx"
    directive_docx(source, today)
    clerk = person(browser, live_server, "vanthu", passwords["vanthu"])
    page = clerk.page
    page.click("a[href='/directives/new']")
    page.click("button[value=propose]")  # nothing pasted, no file: a clear message
    page.wait_for_selector(".invalid-feedback")
    clerk.shot("propose-empty")
    page.set_input_files("#source_file", str(source))
    page.click("button[value=propose]")
    page.wait_for_selector("[data-proposal]")
    clerk.shot("proposal")
    assert page.input_value("#number") == "27/KH-SKHCN"
    assert page.input_value("#issued_on") == today.isoformat()
    assert page.locator("[data-task-row]").count() == 3
    assert checked(page, 0, "lead_units") == {"CCTDC"}
    assert checked(page, 0, "coordinating_units") == {"TTR"}
    assert checked(page, 1, "lead_units") == {"KHTC"}
    assert checked(page, 1, "coordinating_units") == {"VP"}
    assert page.input_value("[name='tasks-2-due_text']") == "thường xuyên"
    assert page.get_by_text("Trích từ văn bản").count() == 3
    page.click("label[for='tasks-1-coordinating_units-VP']")  # the clerk corrects a unit ...
    page.click("label[for='tasks-1-coordinating_units-QLKH']")
    first_due = today + timedelta(days=25)
    page.fill("[name='tasks-1-due_on']", first_due.isoformat())  # ... and a deadline
    page.fill("[name='tasks-1-due_text']", "")
    clerk.shot("corrected-proposal")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/directives/\d+$"))
    clerk.shot("saved")
    directive_url = page.url
    assert page.get_by_text("ke-hoach-kiem-tra.docx").count() == 1  # the source is attached
    card = page.locator("section.card", has_text="Phòng KH-TC bố trí kinh phí")
    assert "QLKH" in card.inner_text()
    assert "VP)" not in card.inner_text()

    boss = person(browser, live_server, "giamdoc", passwords["giamdoc"])
    boss.open_step("Giao nhiệm vụ")
    boss.shot("assign")
    boss.page.click("main form button[type=submit].btn-primary")
    boss.page.wait_for_url(re.compile(r".*/(inbox|dashboard)$"))

    page.goto(directive_url)
    page.click("[data-correct]")
    page.wait_for_url(re.compile(r".*/correct$"))
    clerk.shot("correct")
    later = today + timedelta(days=40)
    page.fill("[name='tasks-0-due_on']", later.isoformat())
    page.click("label[for='tasks-0-coordinating_units-QLCN']")
    page.click("main form button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r".*/directives/\d+$"))
    clerk.shot("corrected")
    history = page.locator("ol.timeline").inner_text()
    assert "Sửa thời hạn" in history
    assert later.strftime("%d/%m/%Y") in history
    assert "Thêm đơn vị vào nhiệm vụ" in history
    assert "QLCN" in history
    assert "Văn thư" in history  # who corrected
    card = page.locator("section.card", has_text="Chi cục TĐC chủ trì")
    assert "văn bản ghi" not in card.inner_text()  # the old phrase no longer says the date

    qlcn = person(browser, live_server, "truong.qlcn", passwords["truong.qlcn"])
    assert qlcn.page.locator("table.inbox").inner_text().count("27/KH-SKHCN") == 1
    qlcn.shot("new-unit-inbox")

    _phone_and_english(browser, live_server, passwords, directive_url, source)


def _phone_and_english(browser, server: LiveServer, passwords, directive_url: str, source):
    """The same pages at a phone's width, in Vietnamese and English; empty forms sent."""
    small = person(browser, server, "vanthu", passwords["vanthu"], PHONE)
    small.page.goto(f"{server.url}/directives/new")
    small.page.set_input_files("#source_file", str(source))
    small.page.click("button[value=propose]")
    small.page.wait_for_selector("[data-proposal]")
    small.shot("phone-proposal-vi")
    small.page.goto(f"{server.url}/directives/new")
    small.page.click("main button[type=submit]")  # the entry form sent empty
    small.page.wait_for_selector(".alert-danger")
    small.shot("phone-empty-save-vi")
    small.page.goto(directive_url)
    small.page.click(".save-template summary")  # the template's name, asked in place
    small.shot("phone-directive-vi")
    small.page.click(".navbar-toggler")  # the language switch is in the folded menu
    small.page.click("button[lang=en]")
    small.page.goto(directive_url + "/correct")
    small.shot("phone-correct-en")
    small.page.fill("#number", "")
    small.page.click("main form button[type=submit].btn-primary")
    small.page.wait_for_selector(".alert-danger")
    small.shot("phone-correct-empty-en")
    small.page.goto(f"{server.url}/directives/templates")
    small.shot("phone-templates-en")
    wide = person(browser, server, "vanthu", passwords["vanthu"])
    wide.page.click("button[lang=en]")
    wide.page.goto(f"{server.url}/directives/new")
    wide.shot("laptop-new-en")
    wide.page.goto(directive_url)
    wide.shot("laptop-directive-en")
    wide.page.goto(f"{server.url}/directives/drafts")
    wide.shot("laptop-drafts-en")


@pytest.mark.e2e
def test_a_precise_time_is_entered_and_a_bad_one_is_said_under_the_field(
    browser, live_server: LiveServer, passwords
) -> None:
    """The time field at a laptop's and a phone's width, in Vietnamese and English."""
    today = date.today()
    due = today + timedelta(days=12)
    said = {"vi": "Giá trị giờ không hợp lệ.", "en": "Not a valid time value."}
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        for language in ("vi", "en"):
            clerk = person(browser, live_server, "vanthu", passwords["vanthu"], viewport)
            page = clerk.page
            if viewport is PHONE:
                page.click(".navbar-toggler")
            page.click(f"button[lang={language}]")  # the choice is kept with the account
            page.goto(f"{live_server.url}/directives/new")
            page.fill("#number", f"{size}-{language}/TB-SKHCN")
            page.fill("#issuer", "Sở Khoa học và Công nghệ tỉnh Lạng Sơn")
            page.fill("#issued_on", today.isoformat())
            page.fill("#title", "Thông báo kết luận giao ban")
            page.fill("[name='tasks-0-content']", "Chuẩn bị hội nghị sơ kết")
            page.click("label[for='tasks-0-lead_units-VP']")
            page.fill("[name='tasks-0-due_on']", due.isoformat())
            # a browser's time input holds only valid times: an old browser or a script sends more
            page.eval_on_selector("[name='tasks-0-due_time']", "e => { e.type = 'text'; }")
            page.fill("[name='tasks-0-due_time']", "25:61")
            page.click("main form button[type=submit].btn-primary")
            page.wait_for_selector("#tasks-0-due_time.is-invalid")
            feedback = page.locator("#tasks-0-due_time ~ .invalid-feedback")
            assert feedback.inner_text() == said[language]
            assert feedback.is_visible()
            clerk.shot(f"{size}-bad-time-{language}")
            page.fill("[name='tasks-0-due_time']", "14:30")
            page.click("main form button[type=submit].btn-primary")
            page.wait_for_url(re.compile(r".*/directives/\d+$"))
            card = page.locator("section.card", has_text="Chuẩn bị hội nghị sơ kết")
            assert "14:30" in card.inner_text()
            assert due.strftime("%d/%m/%Y") in card.inner_text()
            clerk.shot(f"{size}-saved-with-time-{language}")
            clerk.page.context.close()
