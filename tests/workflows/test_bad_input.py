"""Every refused command raises a specific error and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.helpers import item_of, items_for, snapshot
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.errors import (
    DirectiveNotActive,
    InvalidInput,
    NotAssignedToUnit,
    NotFound,
    PermissionDenied,
    RoleRequired,
    TaskNoLongerReady,
    WrongStep,
)
from workflows.read import detail as queries
from workflows.read import inbox as inboxes
from workflows.steps import unit_work as steps


def test_a_step_done_twice_says_who_did_it_and_when(db: Database, users, assigned_small) -> None:
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    before = snapshot(db)
    with pytest.raises(TaskNoLongerReady) as caught:
        steps.start_work(db, users["truong.khtc"], execute.work_item_id)
    assert caught.value.done_by == "Chuyên viên (KHTC)"
    assert caught.value.done_at is not None
    assert snapshot(db) == before


def test_another_units_work_item_is_refused(db: Database, users, assigned_small) -> None:
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    before = snapshot(db)
    with pytest.raises(NotAssignedToUnit):
        steps.start_work(db, users["truong.vp"], execute.work_item_id)
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("cv.khtc", RoleRequired),
        ("truong.khtc", RoleRequired),
        ("vanthu", RoleRequired),
        ("admin", RoleRequired),
    ],
)
def test_only_supervisors_accept(db: Database, users, assigned_small, username, error) -> None:
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "xong")
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    before = snapshot(db)
    with pytest.raises(error):
        steps.accept_report(db, users[username], accept.work_item_id)
    assert snapshot(db) == before


def test_an_officer_not_handed_the_work_cannot_draft_the_report(
    db: Database, users, assigned_small
) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    report = item_of(db, users["truong.khtc"], "report")
    assert items_for(db, users["cv.khtc"], "report") == []  # not offered to the officer either
    before = snapshot(db)
    with pytest.raises(NotAssignedToUnit):
        steps.submit_report(db, users["cv.khtc"], report.work_item_id, "xong")
    assert snapshot(db) == before


@pytest.mark.parametrize("text", ["", "   ", "x" * 20_001])
def test_a_report_needs_its_text(db: Database, users, assigned_small, text: str) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    report = item_of(db, users["truong.khtc"], "report")
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        steps.submit_report(db, users["truong.khtc"], report.work_item_id, text)
    assert set(caught.value.fields) == {"text"}
    assert snapshot(db) == before


def test_a_return_needs_a_reason_and_a_send_back_too(db: Database, users, assigned_small) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    steps.submit_report(
        db, users["truong.khtc"], item_of(db, users["truong.khtc"], "report").work_item_id, "r"
    )
    steps.start_work(db, users["cv.vp"], item_of(db, users["cv.vp"], "execute", 1).work_item_id)
    steps.submit_contribution(
        db, users["truong.vp"], item_of(db, users["truong.vp"], "contribute", 1).work_item_id, "c"
    )
    before = snapshot(db)
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    with pytest.raises(InvalidInput):
        steps.return_report(db, users["giamdoc"], accept.work_item_id, "  ")
    acknowledge = item_of(db, users["truong.khtc"], "acknowledge", task_no=1)
    with pytest.raises(InvalidInput):
        steps.acknowledge_contribution(
            db, users["truong.khtc"], acknowledge.work_item_id, accepted=False
        )
    assert snapshot(db) == before


def test_the_wrong_use_case_for_a_step_is_refused(db: Database, users, assigned_small) -> None:
    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    before = snapshot(db)
    with pytest.raises(WrongStep):
        steps.submit_report(db, users["truong.khtc"], execute.work_item_id, "too early")
    assert snapshot(db) == before


@pytest.mark.parametrize("work_item_id", ["nope", "00000000-0000-4000-8000-000000000000", ""])
def test_unknown_work_items_are_not_found(
    db: Database, users, assigned_small, work_item_id
) -> None:
    with pytest.raises(NotFound):
        steps.start_work(db, users["cv.khtc"], work_item_id)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": " "}, "number"),
        ({"kind": "memo"}, "kind"),
        ({"title": ""}, "title"),
        ({"issuer": ""}, "issuer"),
        ({"tasks": ()}, "tasks"),
        ({"tasks": (TaskInput("", ("KHTC",)),)}, "tasks[1]"),
        ({"tasks": (TaskInput("t", ()),)}, "tasks[1]"),
        ({"tasks": (TaskInput("t", ("XYZ",)),)}, "tasks[1]"),
        ({"tasks": (TaskInput("t", ("KHTC",), ("KHTC",)),)}, "tasks[1]"),
        ({"tasks": (TaskInput("t", ("KHTC",), (), date(2000, 1, 1)),)}, "tasks[1]"),
        ({"tasks": (TaskInput("t", ("KHTC",), (), None, "weekly"),)}, "tasks[1]"),
    ],
)
def test_a_wrong_directive_is_refused_field_by_field(
    db: Database, users, today: date, change, field: str
) -> None:
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        directives.create_directive(db, users["vanthu"], replace(small_directive(today), **change))
    assert field in caught.value.fields
    assert snapshot(db) == before


def test_the_same_number_in_the_same_year_is_refused(db: Database, users, today: date) -> None:
    directives.create_directive(db, users["vanthu"], small_directive(today))
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        directives.create_directive(db, users["vanthu"], small_directive(today))
    assert "number" in caught.value.fields
    assert snapshot(db) == before


def test_units_cannot_enter_directives(db: Database, users, today: date) -> None:
    with pytest.raises(RoleRequired):
        directives.create_directive(db, users["truong.khtc"], small_directive(today))


def test_assign_can_edit_tasks_before_confirming(db: Database, users, today: date) -> None:
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    assign = item_of(db, users["giamdoc"], "assign")
    with pytest.raises(InvalidInput):
        directives.assign_directive(
            db, users["giamdoc"], assign.work_item_id, [TaskInput("t", ("NOPE",))]
        )
    edited = [TaskInput("Chỉ một nhiệm vụ", ("QLKH",), ("TTUD",), today + timedelta(days=5))]
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id, edited)
    detail = queries.directive_detail(db, users["giamdoc"], directive_id)
    assert [(t.content, [a.unit_code for a in t.assignments]) for t in detail.tasks] == [
        ("Chỉ một nhiệm vụ", ["QLKH", "TTUD"])
    ]
    assert inboxes.inbox(db, users["truong.khtc"]).total == 0


def test_cancel_needs_a_reason_a_supervisor_and_an_active_directive(
    db: Database, users, assigned_small
) -> None:
    with pytest.raises(InvalidInput):
        directives.cancel_directive(db, users["giamdoc"], assigned_small, " ")
    with pytest.raises(RoleRequired):
        directives.cancel_directive(db, users["truong.khtc"], assigned_small, "không cần")
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    directives.cancel_directive(db, users["giamdoc"], assigned_small, "UBND tỉnh đã thu hồi")
    assert inboxes.inbox(db, users["cv.khtc"]).total == 0
    with pytest.raises(DirectiveNotActive):
        directives.cancel_directive(db, users["giamdoc"], assigned_small, "again")
    with pytest.raises(NotFound):
        steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    detail = queries.directive_detail(db, users["giamdoc"], assigned_small)
    assert detail.status == "cancelled"
    assert detail.events[-1].kind == "directive_cancelled"


def test_units_see_only_directives_addressed_to_them(db: Database, users, assigned_small) -> None:
    assert queries.directive_detail(db, users["cv.vp"], assigned_small).id == assigned_small
    with pytest.raises(PermissionDenied):
        queries.directive_detail(db, users["cv.qlkh"], assigned_small)
    with pytest.raises(PermissionDenied):
        queries.history_of(db, users["truong.ttud"], assigned_small)
