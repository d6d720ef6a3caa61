"""The practice of a department in Chromium: officers draft, heads sign off, deputies act by
delegation, the leader in charge decides with the files and contributions in view.

Screenshots of every page on a laptop, and of the directive page and the step pages on a
phone (390 px), are saved under test-output/e2e/<test name>/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_directive_flow import Person
from tests.support.pdf import one_page_pdf
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.settings import Settings

PHONE = {"width": 390, "height": 844}
PENDING_PREVIEW = "[data-pdf-url]:not([data-ready='true'])"


def _previews_drawn(page) -> None:
    """Wait until pdf.js has drawn every PDF preview of the page (no eval: the CSP forbids it)."""
    expect(page.locator("[data-pdf-url]").first).to_be_attached()
    expect(page.locator(PENDING_PREVIEW)).to_have_count(0, timeout=30_000)


LAPTOP = {"width": 1366, "height": 900}


def _enter(db_url: str, users_of: dict[str, int], today: date) -> int:
    db = Database(db_url, Settings())
    try:
        data = DirectiveInput(
            "41/TB-SKHCN",
            "thong_bao_ket_luan",
            "Sở Khoa học và Công nghệ tỉnh Lạng Sơn",
            today,
            "Kết luận hội nghị giao ban tháng 11",
            (
                TaskInput(
                    "Rà soát dự toán kinh phí năm sau",
                    ("KHTC",),
                    ("VP",),
                    today + timedelta(days=10),
                ),
                TaskInput("Kiểm tra đo lường tại chợ", ("TTR",), (), today + timedelta(days=15)),
                TaskInput(
                    "Tổng hợp đề tài cần nghiệm thu", ("QLKH",), (), today + timedelta(days=20)
                ),
            ),
        )
        return directives.create_directive(db, users_of["vanthu"], data)
    finally:
        db.dispose()


def _user_ids(db_url: str) -> dict[str, int]:
    from sqlalchemy import select

    from workflows.tables import User

    db = Database(db_url, Settings())
    try:
        with db.reading() as session:
            return {u.username: u.id for u in session.scalars(select(User))}
    finally:
        db.dispose()


def _person(
    browser, server: LiveServer, username: str, password: str, phone: bool = False
) -> Person:
    context = browser.new_context(
        viewport=PHONE if phone else LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = context.new_page()
    page.on("console", lambda m: print("CONSOLE", username, m.type, m.text))
    page.on("pageerror", lambda e: print("PAGEERROR", username, e))
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox|dashboard)$"))
    person = Person(f"{username}{'-phone' if phone else ''}", page, server)
    person.shot("inbox")
    return person


def _open(person: Person, step_label: str) -> None:
    person.page.goto(f"{person.server.url}/inbox")
    person.page.locator("table.inbox tbody tr").get_by_role("link", name=step_label).first.click()
    person.page.wait_for_url(re.compile(r".*/work/[0-9a-f-]+$"))


def _submit(person: Person) -> None:
    person.page.click("main form button[type=submit].btn-primary")
    person.page.wait_for_url(re.compile(r".*/(inbox|dashboard)$"))


class Phones:
    """The same people on a phone: each page opened there too, screenshot, checked for width."""

    def __init__(self, browser, server: LiveServer, passwords: dict[str, str]) -> None:
        self.browser, self.server, self.passwords = browser, server, passwords
        self.people: dict[str, Person] = {}

    def show(self, username: str, url: str, name: str) -> None:
        if username not in self.people:
            self.people[username] = _person(
                self.browser, self.server, username, self.passwords[username], phone=True
            )
        phone = self.people[username]
        phone.page.goto(url if url.startswith("http") else f"{self.server.url}{url}")
        phone.page.wait_for_load_state("networkidle")
        if phone.page.locator("[data-pdf-url]").count():
            _previews_drawn(phone.page)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)  # nothing runs off the side of a phone
        phone.shot(name)


@pytest.mark.e2e
def test_officer_drafts_head_signs_off_deputy_acts_leader_decides(
    browser, live_server: LiveServer, passwords, db_url: str, tmp_path: Path
) -> None:
    today = date.today()
    users = _user_ids(db_url)
    directive_id = _enter(db_url, users, today)
    pdf = tmp_path / "bien-ban-ra-soat.pdf"
    pdf.write_bytes(one_page_pdf("Bien ban ra soat du toan"))
    contribution_pdf = tmp_path / "y-kien-van-phong.pdf"
    contribution_pdf.write_bytes(one_page_pdf("Y kien Van phong"))

    phones = Phones(browser, live_server, passwords)
    director = _person(browser, live_server, "giamdoc", passwords["giamdoc"])
    _open(director, "Giao nhiệm vụ")
    phones.show("giamdoc", director.page.url, "assign")
    director.page.fill("#instruction", "Các đơn vị chủ động phối hợp, báo cáo đúng hạn.")
    director.page.fill(
        "[name='tasks-0-instruction']", "Phòng KH-TC lấy ý kiến Văn phòng trước khi báo cáo."
    )
    director.shot("assign")
    _submit(director)

    # The coordinating unit's head contributes with a file (a head's goes straight on).
    vp = _person(browser, live_server, "truong.vp", passwords["truong.vp"])
    _open(vp, "Thực hiện")
    assert "lấy ý kiến Văn phòng" in vp.page.locator(".instruction").inner_text()
    _submit(vp)
    _open(vp, "Gửi ý kiến phối hợp")
    vp.page.fill("#text", "Văn phòng thống nhất số liệu; đề nghị bổ sung chi phí in ấn.")
    vp.page.set_input_files("#attachments", str(contribution_pdf))
    vp.shot("contribute")
    phones.show("truong.vp", vp.page.url, "contribute")
    _submit(vp)

    # KHTC's head hands the task to an officer, then goes on leave: the deputy stands in.
    head = _person(browser, live_server, "truong.khtc", passwords["truong.khtc"])
    _open(head, "Thực hiện")
    phones.show("truong.khtc", head.page.url, "execute")
    head.page.select_option("#assignee", label="Chuyên viên (KHTC)")
    head.shot("hand-over")
    head.page.click("form[action$='/hand-over'] button[type=submit]")
    head.page.wait_for_load_state()
    head.page.goto(f"{live_server.url}/delegations")
    head.page.select_option("#deputy", label="Phó Trưởng phòng (Phó Trưởng phòng)")
    head.page.fill("#starts_on", today.isoformat())
    head.page.fill("#ends_on", (today + timedelta(days=3)).isoformat())
    head.page.fill("#reason", "Nghỉ phép")
    head.shot("delegate")
    head.page.click("main form button[type=submit].btn-primary")
    head.page.wait_for_url(re.compile(r".*/delegations$"))
    head.shot("delegated")

    deputy = _person(browser, live_server, "pho.khtc", passwords["pho.khtc"])
    _open(deputy, "Tiếp nhận ý kiến phối hợp")
    assert "thay mặt Trưởng phòng (KHTC)" in deputy.page.locator("main").inner_text()
    _previews_drawn(deputy.page)
    deputy.shot("acknowledge-on-behalf")
    phones.show("pho.khtc", deputy.page.url, "acknowledge-on-behalf")
    deputy.page.check("input[name='decision'][value='accept']")
    _submit(deputy)

    # The officer drafts the report with a file; the head sends it back once.
    officer = _person(browser, live_server, "cv.khtc", passwords["cv.khtc"])
    _open(officer, "Thực hiện")
    _submit(officer)
    _open(officer, "Báo cáo kết quả")
    officer.page.fill("#text", "Dự thảo: đã rà soát dự toán kinh phí năm sau.")
    officer.page.set_input_files("#attachments", str(pdf))
    officer.shot("draft-report")
    phones.show("cv.khtc", officer.page.url, "report")
    report_url = officer.page.url
    _submit(officer)

    _open(head, "Ký duyệt báo cáo")
    _previews_drawn(head.page)
    head.shot("sign-off")
    phones.show("truong.khtc", head.page.url, "sign-off")
    head.page.check("input[name='decision'][value='return']")
    head.page.click("main form button[type=submit].btn-primary")
    assert head.page.locator(".alert-danger").count() == 1  # sending back needs a reason
    head.shot("sign-off-without-reason")
    head.page.check("input[name='decision'][value='return']")
    head.page.fill("#comment", "Bổ sung chi phí in ấn theo ý kiến Văn phòng.")
    _submit(head)

    officer.page.goto(f"{live_server.url}/inbox")
    returned = officer.page.locator("[data-returned]")
    assert returned.get_attribute("title") == "Bổ sung chi phí in ấn theo ý kiến Văn phòng."
    officer.shot("inbox-returned")
    _open(officer, "Báo cáo kết quả")
    assert officer.page.input_value("#text") == "Dự thảo: đã rà soát dự toán kinh phí năm sau."
    assert officer.page.locator("input[name='keep']").is_checked()  # the file is kept
    officer.page.fill("#text", "Đã rà soát dự toán, bổ sung chi phí in ấn.")
    officer.shot("redo-report")
    _submit(officer)

    _open(head, "Ký duyệt báo cáo")
    head.page.check("input[name='decision'][value='accept']")
    head.shot("sign-off-send")
    _submit(head)

    # The leader in charge of KHTC decides, with the file and the contribution in view.
    leader = _person(browser, live_server, "phogiamdoc", passwords["phogiamdoc"])
    _open(leader, "Duyệt báo cáo")
    main = leader.page.locator("main").inner_text()
    assert "bien-ban-ra-soat.pdf" in main
    assert "Văn phòng thống nhất số liệu" in main
    assert "y-kien-van-phong.pdf" in main
    _previews_drawn(leader.page)
    accept_url = leader.page.url
    leader.shot("accept")
    phones.show("phogiamdoc", accept_url, "accept")
    leader.page.check("input[name='decision'][value='accept']")
    leader.page.fill("#comment", "Đồng ý.")
    _submit(leader)
    leader.shot("inbox-after")

    directive_url = f"/directives/{directive_id}"
    leader.page.goto(f"{live_server.url}{directive_url}")
    history = leader.page.locator("ol.timeline").inner_text()
    for words in (
        "thay mặt Trưởng phòng (KHTC)",
        "Trả lại dự thảo báo cáo cho chuyên viên",
        "Ký duyệt, gửi báo cáo",
        "cho Chuyên viên (KHTC)",
    ):
        assert words in history, words
    assert "bien-ban-ra-soat.pdf" in leader.page.locator("tr[data-assignment='KHTC']").inner_text()
    leader.shot("directive")

    for name, path in (("directive", directive_url), ("directives", "/directives/")):
        phones.show("phogiamdoc", path, name)
    phones.show("cv.khtc", "/inbox", "inbox")
    phones.show("truong.khtc", "/delegations", "delegations")
    table = phones.people["phogiamdoc"]
    table.page.goto(f"{live_server.url}{directive_url}")
    reports = table.page.locator("tr[data-assignment='KHTC'] td[data-label='Báo cáo']")
    assert reports.bounding_box()["width"] > 300  # the report column is a card, not a sliver
    assert report_url
