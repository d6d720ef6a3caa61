"""Oversight in Chromium: the director's dashboard, a figure's list, a nudge, the period's report,
and the head of the nudged unit reading it. Screenshots on a laptop and a phone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import LiveServer
from tests.helpers import items_for
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _late_directive(db: Database, users: dict[str, int]) -> None:
    today = datetime.now(TZ).date()
    then = datetime.combine(today - timedelta(days=30), time(9), tzinfo=TZ)
    data = DirectiveInput(
        "77/KH-UBND",
        "ke_hoach",
        "UBND tỉnh Lạng Sơn",
        then.date(),
        "Kế hoạch kiểm tra đo lường năm",
        (
            TaskInput(
                "Tổng hợp đề tài cần nghiệm thu", ("QLKH",), ("VP",), today - timedelta(days=10)
            ),
            TaskInput("Kiểm tra đo lường tại chợ", ("TTR", "CCTDC"), (), today - timedelta(days=3)),
            TaskInput("Ứng dụng tiến bộ kỹ thuật", ("TTUD",), (), today + timedelta(days=5)),
            TaskInput("Theo dõi thường xuyên", ("VP",), (), None),
        ),
    )
    directives.create_directive(db, users["vanthu"], data, now=then)
    item = next(i for i in items_for(db, users["giamdoc"], "assign"))
    directives.assign_directive(db, users["giamdoc"], item.work_item_id, now=then)


def _sign_in(browser, server: LiveServer, username: str, password: str, width: int = 1366):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    return page, errors


PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _on_a_phone(page, path, charts: bool = False) -> None:
    """Reload the page 390 px wide: nothing runs off the side (tables scroll in their own box)."""
    page.set_viewport_size(PHONE)
    page.reload()
    if charts:
        page.wait_for_selector("body[data-charts-ready=true]")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(LAPTOP)


def _real(errors: list[str]) -> list[str]:
    """Console errors and failed responses, less the browser's own favicon request (404)."""
    return [e for e in errors if "favicon" not in e and "404 (NOT FOUND)" not in e]


@pytest.mark.e2e
def test_director_follows_up_and_the_head_sees_the_nudge(
    browser, live_server: LiveServer, passwords, db: Database, users
) -> None:
    _late_directive(db, users)
    shots = live_server.shots
    page, errors = _sign_in(browser, live_server, "giamdoc", passwords["giamdoc"])
    page.wait_for_url(re.compile(r".*/dashboard$"))
    today = datetime.now(TZ).date()
    page.select_option("#period", "custom")  # the last two months and the next one
    page.fill("#from", (today - timedelta(days=60)).isoformat())
    page.fill("#to", (today + timedelta(days=30)).isoformat())
    page.click("form.period-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard\?.*period=custom.*"))
    page.wait_for_selector("body[data-charts-ready=true]")
    assert page.locator("#units-chart").bounding_box()["height"] > 100
    page.screenshot(path=str(shots / "01-dashboard-laptop.png"), full_page=True)
    _on_a_phone(page, shots / "02-dashboard-phone.png", charts=True)

    overdue = page.locator("a.grid-open_overdue")
    assert overdue.locator(".display-6").inner_text() == "2"  # QLKH's task and the joint one
    overdue.click()
    page.wait_for_url(re.compile(r".*/tasks\?.*category=open_overdue"))
    rows = page.locator("table.task-list tbody tr")
    assert rows.count() == 2
    page.screenshot(path=str(shots / "03-overdue-tasks.png"), full_page=True)
    _on_a_phone(page, shots / "03-overdue-tasks-phone.png")

    page.get_by_role("link", name="Đôn đốc QLKH").click()
    page.wait_for_url(re.compile(r".*/assignments/\d+/nudge"))
    page.click("main form button[type=submit]")
    assert page.locator("#message:invalid").count() == 1  # the browser asks for the message
    page.screenshot(path=str(shots / "04-nudge-empty.png"), full_page=True)
    page.fill("#message", "Đề nghị Phòng QLKH báo cáo kết quả trước thứ Sáu.")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/tasks\?.*"))
    assert "Đã gửi đôn đốc đến đơn vị." in page.locator(".alert-success").inner_text()
    assert "đã đôn đốc 1 lần" in page.locator("table.task-list").inner_text()

    page.go_back()
    page.go_back()
    page.go_back()
    page.wait_for_url(re.compile(r".*/dashboard\?.*"))
    page.get_by_role("link", name="Báo cáo kỳ này").click()
    page.wait_for_url(re.compile(r".*/reports\?.*"))
    page.screenshot(path=str(shots / "05-reports.png"), full_page=True)
    _on_a_phone(page, shots / "05-reports-phone.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải Excel").click()
    book = load_workbook(BytesIO(download.value.path().read_bytes()))
    texts = [row[4] for row in book["Nhiệm vụ"].iter_rows(min_row=10, values_only=True)]
    assert "Tổng hợp đề tài cần nghiệm thu" in texts
    page.get_by_role("link", name="Bản in").click()
    page.wait_for_url(re.compile(r".*/reports/print\?.*"))
    page.screenshot(path=str(shots / "06-print-view.png"), full_page=True)
    assert _real(errors) == []  # no CSP violation, no script error, nothing missing

    head, head_errors = _sign_in(browser, live_server, "truong.qlkh", passwords["truong.qlkh"])
    head.wait_for_url(re.compile(r".*/inbox$"))
    head.click("a[href='/notifications']")
    notice = head.locator("li.list-group-item", has_text="Đề nghị Phòng QLKH báo cáo")
    assert "Đôn đốc của lãnh đạo" in notice.inner_text()
    head.screenshot(path=str(shots / "07-head-notifications.png"), full_page=True)
    notice.get_by_role("link", name="Mở").click()
    head.wait_for_url(re.compile(r".*/work/[0-9a-f-]+$"))
    head.screenshot(path=str(shots / "08-head-opens-the-step.png"), full_page=True)
    head.goto(f"{live_server.url}/dashboard")
    head.wait_for_selector("body[data-charts-ready=true]")
    _on_a_phone(head, shots / "09-head-dashboard-phone.png", charts=True)
    assert _real(head_errors) == []


@pytest.mark.e2e
def test_dashboard_in_english(browser, live_server: LiveServer, passwords, db, users) -> None:
    _late_directive(db, users)
    page, errors = _sign_in(browser, live_server, "phogiamdoc", passwords["phogiamdoc"])
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.click("nav button[lang='en']")
    page.goto(f"{live_server.url}/dashboard")
    page.wait_for_selector("body[data-charts-ready=true]")
    assert "Overdue, not completed" in page.inner_text("main")
    shots = live_server.shots
    page.screenshot(path=str(shots / "01-dashboard-en.png"), full_page=True)
    _on_a_phone(page, shots / "01-dashboard-en-phone.png", charts=True)
    page.goto(f"{live_server.url}/tasks?category=open_overdue&level=item&role=lead")
    page.screenshot(path=str(shots / "02-tasks-en.png"), full_page=True)
    _on_a_phone(page, shots / "02-tasks-en-phone.png")
    page.goto(f"{live_server.url}/reports")
    page.screenshot(path=str(shots / "03-reports-en.png"), full_page=True)
    _on_a_phone(page, shots / "03-reports-en-phone.png")
    page.check("#unit-QLKH")  # the ticked units travel with the period (one form, not nested)
    page.click("form.period-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/reports\?.*unit=QLKH"))
    assert "QLKH" in page.inner_text("main p:has(strong)")
    assert _real(errors) == []


@pytest.mark.e2e
def test_search_marks_what_it_found(browser, live_server: LiveServer, passwords, db, users) -> None:
    _late_directive(db, users)
    shots = live_server.shots
    page, errors = _sign_in(browser, live_server, "giamdoc", passwords["giamdoc"])
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.goto(f"{live_server.url}/directives/")
    page.fill("#q", "đo lường")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/directives/\?.*q=.*"))
    assert page.locator("table.directives mark").all_inner_texts() == ["đo", "lường"]
    assert "nhiệm vụ" in page.inner_text("#q-help")
    page.screenshot(path=str(shots / "01-search-vi.png"), full_page=True)
    _on_a_phone(page, shots / "01-search-vi-phone.png")
    page.click("nav button[lang='en']")
    page.wait_for_load_state()
    page.goto(page.url)
    assert "tasks and units" in page.inner_text("#q-help")
    page.screenshot(path=str(shots / "02-search-en.png"), full_page=True)
    _on_a_phone(page, shots / "02-search-en-phone.png")
    assert _real(errors) == []
