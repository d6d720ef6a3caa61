"""The pages changed after review, on a laptop (1366 px) and a phone (390 px), in Vietnamese and
English: the delegations page with each delegation's history, the unit page, a task row's time
error on the entry page. Screenshots under test-output/e2e/<test name>/."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_entry_flow import LAPTOP, PHONE, person
from workflows.db import Database
from workflows.organisation import delegations

WIDTH = "() => document.documentElement.scrollWidth"


def _switch(page, lang: str, folded: bool) -> None:
    if folded:
        page.click(".navbar-toggler")  # the language switch is in the folded menu
    page.click(f"button[lang={lang}]")
    page.wait_for_selector(f"html[lang={lang}]")


def _pages(browser, server: LiveServer, passwords, viewport: dict, name: str) -> None:
    folded = viewport == PHONE
    head = person(browser, server, "truong.khtc", passwords["truong.khtc"], viewport)
    admin = person(browser, server, "admin", passwords["admin"], viewport)
    clerk = person(browser, server, "vanthu", passwords["vanthu"], viewport)
    for lang, words in (
        ("vi", ("Giao ủy quyền", "Kết thúc ủy quyền trước hạn")),
        ("en", ("Delegation given", "Delegation ended early")),
    ):
        for who in (head, admin, clerk):  # the choice is kept per person: set it each time
            _switch(who.page, lang, folded)
        head.page.goto(f"{server.url}/delegations")
        text = head.page.locator("main").inner_text()
        assert all(word in text for word in words), (lang, text)
        assert head.page.evaluate(WIDTH) <= viewport["width"]
        head.shot(f"{name}-delegations-{lang}")
        admin.page.goto(f"{server.url}/admin/units/5")
        assert admin.page.evaluate(WIDTH) <= viewport["width"]
        admin.shot(f"{name}-unit-{lang}")
        clerk.page.goto(f"{server.url}/directives/new")
        clerk.page.fill("#tasks-0-content", "Kiểm tra đo lường")
        clerk.page.evaluate("document.getElementById('tasks-0-due_time').type = 'text'")
        clerk.page.fill("#tasks-0-due_time", "25:99")
        clerk.page.click("main form button[type=submit].btn-primary")
        clerk.page.wait_for_selector("#tasks-0-due_time.is-invalid")
        error = clerk.page.locator("#tasks-0-due_time ~ .invalid-feedback")
        expected = "Giá trị giờ không hợp lệ." if lang == "vi" else "Not a valid time value."
        assert error.inner_text() == expected
        assert error.is_visible()
        error.scroll_into_view_if_needed()
        clerk.page.screenshot(path=str(server.shots / f"{name}-entry-time-error-{lang}.png"))


@pytest.mark.e2e
def test_changed_pages_on_a_laptop_and_a_phone_in_both_languages(
    browser, live_server: LiveServer, passwords, db: Database, users, today: date
) -> None:
    head, deputy = users["truong.khtc"], users["pho.khtc"]
    leave = delegations.delegate(db, head, deputy, today, today + timedelta(days=2), "Nghỉ phép")
    delegations.delegate(db, head, deputy, today + timedelta(days=7), today + timedelta(days=9))
    delegations.end_delegation(db, head, leave)
    _pages(browser, live_server, passwords, LAPTOP, "laptop")
    _pages(browser, live_server, passwords, PHONE, "phone")
