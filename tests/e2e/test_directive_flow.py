"""The whole job in Chromium: enter, assign, execute, contribute, report, return, accept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Person:
    """One signed-in person in their own browser context."""

    username: str
    page: object
    server: LiveServer
    shots: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        number = len(list(self.server.shots.glob("*.png"))) + 1
        path = self.server.shots / f"{number:02d}-{self.username}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)

    def open_step(self, step_label: str, task: str | None = None) -> None:
        self.page.goto(f"{self.server.url}/inbox")
        rows = self.page.locator("table.inbox tbody tr")
        if task:
            rows = rows.filter(has_text=task)
        rows.filter(has=self.page.get_by_role("link", name=step_label)).first.get_by_role(
            "link", name=step_label
        ).click()


def sign_in(browser, server: LiveServer, username: str, password: str) -> Person:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox|dashboard)$"))  # leaders land on the dashboard
    person = Person(username, page, server)
    person.shot("inbox")
    return person


def choose(page, name: str, values: list[str]) -> None:
    for value in values:
        page.click(f"label[for='{name}-{value}']")


@pytest.mark.e2e
def test_a_directive_from_entry_to_completion(
    browser, live_server: LiveServer, passwords, tmp_path: Path
) -> None:
    today = date.today()
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(PDF)

    clerk = sign_in(browser, live_server, "vanthu", passwords["vanthu"])
    page = clerk.page
    page.click("a[href='/directives/new']")
    page.wait_for_url(re.compile(r".*/directives/new$"))
    page.fill("#number", "15/KH-SKHCN")
    page.select_option("#kind", "ke_hoach")
    page.fill("#issuer", "Sở Khoa học và Công nghệ tỉnh Lạng Sơn")
    page.fill("#issued_on", today.isoformat())
    page.fill("#title", "Kế hoạch kiểm tra đo lường dịp Tết")
    page.fill("[name='tasks-0-content']", "Rà soát dự toán kinh phí kiểm tra")
    choose(page, "tasks-0-lead_units", ["KHTC"])
    choose(page, "tasks-0-coordinating_units", ["VP"])
    page.fill("[name='tasks-0-due_on']", (today + timedelta(days=10)).isoformat())
    page.click("[data-add-task]")
    page.fill("[name='tasks-1-content']", "Kiểm tra đo lường tại chợ")
    choose(page, "tasks-1-lead_units", ["TTR"])
    page.fill("[name='tasks-1-due_on']", (today + timedelta(days=15)).isoformat())
    page.click("[data-add-task]")
    page.fill("[name='tasks-2-content']", "Tổng hợp đề tài cần nghiệm thu")
    choose(page, "tasks-2-lead_units", ["QLKH"])
    page.fill("[name='tasks-2-due_on']", (today + timedelta(days=20)).isoformat())
    page.set_input_files("#attachments", str(pdf))
    clerk.shot("new-directive")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/directives/\d+$"))
    clerk.shot("directive-entered")
    directive_url = page.url
    assert page.get_by_text("ke-hoach.pdf").count() == 1

    boss = sign_in(browser, live_server, "giamdoc", passwords["giamdoc"])
    boss.open_step("Giao nhiệm vụ")
    boss.page.fill("[name='tasks-2-due_on']", (today + timedelta(days=25)).isoformat())
    boss.shot("assign")
    boss.page.click("main form button[type=submit].btn-primary")
    boss.page.wait_for_url(re.compile(r".*/inbox$"))
    boss.shot("assigned")

    khtc = sign_in(browser, live_server, "truong.khtc", passwords["truong.khtc"])
    vp = sign_in(browser, live_server, "truong.vp", passwords["truong.vp"])
    ttr = sign_in(browser, live_server, "truong.ttr", passwords["truong.ttr"])
    qlkh = sign_in(browser, live_server, "truong.qlkh", passwords["truong.qlkh"])
    for person in (khtc, vp, ttr, qlkh):
        start_and_report(person, "Báo cáo kết quả" if person is not vp else "Gửi ý kiến")

    khtc.open_step("Tiếp nhận ý kiến")
    khtc.shot("acknowledge")
    decide(khtc, accept=True, comment="Đã tiếp nhận")

    boss.open_step("Duyệt báo cáo", task="đo lường tại chợ")
    boss.shot("accept-ttr")
    decide(boss, accept=False, comment="")
    assert boss.page.locator(".alert-danger").count() == 1  # a return needs its reason
    boss.shot("return-without-reason")
    decide(boss, accept=False, comment="Bổ sung số cơ sở đã kiểm tra")
    for task in ("Rà soát dự toán", "Tổng hợp đề tài"):
        boss.open_step("Duyệt báo cáo", task=task)
        decide(boss, accept=True, comment="Đồng ý")

    redo_report(ttr, "Đã kiểm tra 12 cơ sở, lập biên bản 2 cơ sở.")
    boss.open_step("Duyệt báo cáo", task="đo lường tại chợ")
    decide(boss, accept=True, comment="Đạt yêu cầu")
    boss.shot("inbox-empty")
    assert boss.page.get_by_text("Không có việc nào cần làm.").count() == 1

    boss.page.goto(directive_url)
    boss.shot("directive-complete")
    assert boss.page.locator("h1 .badge").inner_text() == "Hoàn thành"
    assert boss.page.get_by_text("Hoàn thành đúng hạn: 4").count() == 1
    rows = boss.page.locator("tr[data-assignment='TTR']")
    assert "lần 2" in rows.inner_text()
    history = boss.page.locator("ol.timeline").inner_text()
    for words in ("Nhập văn bản", "Giao nhiệm vụ", "Trả lại báo cáo", "Văn bản hoàn thành"):
        assert words in history


def start_and_report(person: Person, step_label: str, text: str | None = None) -> None:
    person.open_step("Thực hiện")
    person.page.fill("#note", "Đã phân công chuyên viên")
    person.shot("execute")
    person.page.click("main form button[type=submit].btn-primary")
    person.page.wait_for_url(re.compile(r".*/inbox$"))
    person.open_step(step_label)
    person.page.fill("#text", text or f"Kết quả của {person.username}")
    if person.page.locator("#confirm").count():  # before the coordinating unit's contribution
        person.page.check("#confirm")
    person.shot("report")
    person.page.click("main form button[type=submit].btn-primary")
    person.page.wait_for_url(re.compile(r".*/inbox$"))


def redo_report(person: Person, text: str) -> None:
    """A returned report is redone at once: the report step, filled with the last round."""
    person.open_step("Báo cáo kết quả")
    assert person.page.input_value("#text") == f"Kết quả của {person.username}"
    person.page.fill("#text", text)
    person.shot("redo")
    person.page.click("main form button[type=submit].btn-primary")
    person.page.wait_for_url(re.compile(r".*/inbox$"))


def decide(person: Person, accept: bool, comment: str) -> None:
    person.page.check(f"input[name='decision'][value='{'accept' if accept else 'return'}']")
    person.page.fill("#comment", comment)
    person.page.click("main form button[type=submit].btn-primary")
    if accept or comment:
        person.page.wait_for_url(re.compile(r".*/inbox$"))
