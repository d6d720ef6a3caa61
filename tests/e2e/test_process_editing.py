"""An administrator changes the process in the browser; new directives follow it, old ones do not.

The admin adds "Thẩm định pháp lý / Legal review" (lane supervisor, JSON Schema form with a
required field) between report and accept in the bpmn-js modeler, is stopped by a broken timer,
fixes it, saves and publishes. A directive entered afterwards passes through the new step in
Chromium, with the form checked on the server; one entered before still runs version 1. The
instance view marks what each has done, what is open and what is overdue.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_directive_flow import Person, sign_in
from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.diagrams import migration as diagrams
from workflows.entry import TaskInput
from workflows.read import detail as queries
from workflows.steps import unit_work as steps

LEGAL_REVIEW = "Thẩm định pháp lý / Legal review"


def _element(page: Page, element_id: str):
    return page.locator(f'.djs-element[data-element-id="{element_id}"]').first


def _add_user_task_between_report_and_accept(page: Page, name: str, form: str) -> None:
    """Drag a task from the palette onto the flow from a head's report to accept (bpmn-js
    splits the flow), make it a user task from the context pad and name it and its form."""
    gateway = _element(page, "sign_gw").bounding_box()
    accept = _element(page, "accept").bounding_box()
    lane = _element(page, "lane_unit_head").bounding_box()
    assert gateway is not None
    assert accept is not None
    assert lane is not None
    # On the flow's vertical segment, in the supervisor lane, between accept and the heads' lane.
    x = gateway["x"] + gateway["width"] / 2
    y = (accept["y"] + accept["height"] + lane["y"]) / 2
    entry = page.locator('.djs-palette .entry[data-action="create.task"]').bounding_box()
    assert entry is not None
    page.mouse.move(entry["x"] + entry["width"] / 2, entry["y"] + entry["height"] / 2)
    page.mouse.down()
    page.mouse.move(x - 60, y + 40, steps=10)
    page.mouse.move(x, y, steps=10)
    page.mouse.up()
    page.locator(".djs-direct-editing-parent").wait_for()
    page.keyboard.press("Escape")  # leave in-place editing; the name goes in the panel
    page.click('.djs-context-pad .entry[data-action="replace"]')
    page.click('.djs-popup [data-id="replace-with-user-task"]')
    page.locator('.bio-properties-panel-header-type:text-is("Bước của người dùng")').wait_for()
    page.fill("#properties textarea[name=name]", name)
    page.locator("#properties select[name=dondoc-form]").select_option(form)
    page.locator("#properties textarea[name=name]").blur()
    page.wait_for_timeout(400)  # the panel commits after a short debounce


def _set_timer(page: Page, expression: str) -> str:
    """Replace the selected timer event's expression; return the expression it had."""
    field = page.locator("#properties input[name=timerEventDefinitionValue]")
    before = field.input_value()
    field.fill(expression)
    field.blur()
    page.wait_for_timeout(400)
    return before


def _new_task_id(page: Page) -> str:
    xml = page.evaluate("async () => (await window.dondocModeler.saveXML({format: true})).xml")
    found = re.search(r'<bpmn:userTask id="(\w+)" name="' + re.escape(LEGAL_REVIEW), xml)
    assert found, "the new user task is not in the diagram"
    return found.group(1)


def _edit_and_publish(admin: Person) -> str:
    page = admin.page
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{admin.server.url}/admin/models")
    page.get_by_role("link", name="Sửa phiên bản đang dùng").click()
    page.wait_for_selector("#modeler[data-ready=true]")
    admin.shot("modeler-opened")
    _add_user_task_between_report_and_accept(page, LEGAL_REVIEW, "legal_review")
    task_id = _new_task_id(page)
    admin.shot("legal-review-added")

    # A deliberately broken timer: the save is refused and the timer is marked on the diagram.
    _element(page, "report_overdue").click()
    good = _set_timer(page, 'assignment["due_at"')
    page.fill("#model-comment", "Thêm bước thẩm định pháp lý trước khi duyệt")
    page.click("#model-save")
    problem = page.locator("#model-problems li").filter(has_text="report_overdue")
    expect(problem).to_be_visible()
    expect(_element(page, "report_overdue")).to_have_class(re.compile(r"\bdd-invalid\b"))
    expect(page.locator("#model-status")).to_contain_text("chưa hợp lệ")
    admin.shot("broken-timer-refused")

    problem.locator("button").click()  # the problem list selects the marked element
    _set_timer(page, good)
    page.click("#model-save")
    page.wait_for_url(re.compile(r".*/admin/models/versions/\d+$"))
    expect(page.locator("main")).to_contain_text("Phiên bản 2")
    expect(page.locator("main")).to_contain_text(LEGAL_REVIEW)  # in the diff: added
    admin.shot("version-2-saved")

    page.get_by_role("link", name="Đưa vào sử dụng").first.click()
    expect(page.locator("main")).to_contain_text("Đưa phiên bản 2 vào sử dụng?")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Phiên bản 2")
    admin.shot("version-2-published")
    return task_id


def _open_step(person: Person, link_text: str, directive_number: str) -> None:
    page = person.page
    page.goto(f"{person.server.url}/inbox")
    row = page.locator("table.inbox tbody tr").filter(has_text=directive_number)
    row.get_by_role("link", name=link_text).first.click()


def _marked(page: Page, element_id: str, marker: str) -> None:
    expect(_element(page, element_id)).to_have_class(re.compile(rf"\b{marker}\b"))


def test_an_admin_adds_a_legal_review_and_only_new_directives_take_it(
    browser, live_server: LiveServer, passwords, db: Database, users, today: date
) -> None:
    # Before the change: a directive running on version 1, already past its precise deadline.
    due = datetime.now(UTC) + timedelta(seconds=2)
    old = replace(
        small_directive(today, "5/KH-CU"),
        tasks=(TaskInput("Rà soát hồ sơ", ("KHTC",), (), due.date(), due_at=due),),
    )
    old_id = directives.create_directive(db, users["vanthu"], old)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )

    admin = sign_in(browser, live_server, "admin", passwords["admin"])
    task_id = _edit_and_publish(admin)

    # The dry run would let the old directive move (its lead unit has not reported yet), even
    # though bpmn-js rewrote the whole file; nobody moves it, so it stays on version 1.
    with db.reading() as session:
        version_2 = db.processes.published_model(session, "directive")
    (check,) = diagrams.migration_plan(db, users["admin"], version_2.id)
    assert (check.directive_id, check.can_move) == (old_id, True), check.reasons

    # After the change: a new directive, assigned, executed and reported by the unit.
    new = replace(
        small_directive(today, "6/KH-MOI"),
        tasks=(TaskInput("Kiểm tra đo lường", ("TTR",), (), today + timedelta(days=20)),),
    )
    new_id = directives.create_directive(db, users["vanthu"], new)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(db, users["cv.ttr"], item_of(db, users["cv.ttr"], "execute").work_item_id)
    steps.submit_report(
        db,
        users["truong.ttr"],
        item_of(db, users["truong.ttr"], "report").work_item_id,
        "Đã kiểm tra 12 cơ sở",
    )

    # The director meets the legal review in the inbox; the server checks its form.
    boss = sign_in(browser, live_server, "giamdoc", passwords["giamdoc"])
    _open_step(boss, "Thẩm định pháp lý", "6/KH-MOI")
    page = boss.page
    expect(page.locator("#field-opinion")).to_be_visible()
    boss.shot("legal-review-form")
    page.check("#field-conforms")
    page.fill("#field-legal_basis", "Nghị định 09/2019/NĐ-CP")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#field-opinion-error")).to_be_visible()  # the required field, refused
    expect(page.locator("#field-legal_basis")).to_have_value("Nghị định 09/2019/NĐ-CP")
    boss.shot("legal-review-refused")
    page.fill("#field-opinion", "Kết quả phù hợp quy định về đo lường.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/inbox$"))

    # The instance view: report and legal review done, accept open for the director.
    page.goto(f"{live_server.url}/directives/{new_id}")
    page.wait_for_selector("#instance-view[data-ready=true]")
    _marked(page, "report", "dd-done")
    _marked(page, task_id, "dd-done")
    _marked(page, "accept", "dd-active")
    expect(page.locator(".djs-connection.dd-path")).not_to_have_count(0)
    expect(page.locator("main")).to_contain_text("Kết quả phù hợp quy định về đo lường.")
    boss.shot("new-directive-instance-view")

    _open_step(boss, "Duyệt", "6/KH-MOI")
    page.check("input[name=decision][value=accept]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert queries.directive_detail(db, users["giamdoc"], new_id).status == "completed"

    # The old directive still runs version 1: no legal review, its open step overdue.
    page.goto(f"{live_server.url}/directives/{old_id}")
    page.wait_for_selector("#instance-view[data-ready=true]")
    expect(_element(page, task_id)).to_have_count(0)
    _marked(page, "assign", "dd-done")
    _marked(page, "execute", "dd-overdue")
    expect(page.locator("#instance-view")).to_contain_text("KHTC")  # the unit on its open step
    boss.shot("old-directive-instance-view")
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    steps.submit_report(
        db, users["truong.khtc"], item_of(db, users["truong.khtc"], "report").work_item_id, "Xong"
    )
    accept = item_of(db, users["giamdoc"], "accept")
    assert accept.directive_id == old_id  # straight to accept: no legal review on version 1
    steps.accept_report(db, users["giamdoc"], accept.work_item_id)
    assert queries.directive_detail(db, users["giamdoc"], old_id).status == "completed"
