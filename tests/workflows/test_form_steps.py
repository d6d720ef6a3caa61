"""Generic steps: JSON Schema forms saved by admins, named by diagrams, completed by the lane."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

import engine
from engine.store import stored_state
from tests.helpers import item_of, items_for, snapshot
from tests.workflows.conftest import small_directive
from tests.workflows.form_diagrams import (
    install_unit_check,
    publish,
    reported_before_legal_review,
    with_legal_review,
    with_unit_check,
)
from workflows import directives
from workflows.db import Database
from workflows.diagrams import forms
from workflows.errors import (
    InvalidInput,
    NotAssignedToUnit,
    NotFound,
    PermissionDenied,
    RoleRequired,
    WrongStep,
)
from workflows.read import detail as queries
from workflows.steps import unit_work as steps
from workflows.steps.form_step import complete_form_step
from workflows.tables import Directive

GOOD = json.dumps(
    {
        "type": "object",
        "properties": {"opinion": {"type": "string", "title": "Ý kiến"}},
        "required": ["opinion"],
    },
    ensure_ascii=False,
)


def _stored(db: Database) -> list[tuple[str, str]]:
    return [(row.key, row.title) for row in forms.list_forms(db)]


def test_bundled_forms_are_installed_once_and_known_to_diagrams(db: Database, tmp_path) -> None:
    assert forms.install_bundled_forms(db) == []  # the seed ran it, as `dondoc init` does
    (tmp_path / "legal_review.json").write_text(GOOD, encoding="utf-8")  # taken: left alone
    (tmp_path / "ket_luan.json").write_text(GOOD, encoding="utf-8")
    assert forms.install_bundled_forms(db, tmp_path) == ["ket_luan"]
    assert forms.install_bundled_forms(db, tmp_path) == []
    assert forms.get_form(db, "ket_luan").title == "ket_luan"  # no title in the schema
    legal = forms.get_form(db, "legal_review")
    assert legal.title == "Thẩm định pháp lý / Legal review"
    assert [(f.name, f.widget, f.required) for f in legal.fields] == [
        ("opinion", "textarea", True),
        ("conforms", "checkbox", False),
        ("legal_basis", "textarea", False),
    ]
    assert legal.fields[2].max_length == 500
    with db.reading() as session:
        keys = forms.known_form_keys(session)
        rules = forms.model_rules(session)
    assert {"legal_review", "assign", "accept", "acknowledge"} <= keys
    assert rules.forms == keys
    assert "supervisor" in rules.roles


def test_an_admin_saves_and_updates_a_form(db: Database, users) -> None:
    before = _stored(db)
    assert forms.save_form(db, users["admin"], "ket_luan", " Kết luận  / Conclusion ", GOOD)
    assert _stored(db) == [("ket_luan", "Kết luận / Conclusion"), *before]
    changed = GOOD.replace("Ý kiến", "Ý kiến thẩm định")
    forms.save_form(db, users["admin"], "ket_luan", "Kết luận", changed)
    assert forms.get_form(db, "ket_luan").fields[0].title == "Ý kiến thẩm định"
    with pytest.raises(InvalidInput) as caught:
        forms.save_form(db, users["admin"], "ket_luan", "Khác", GOOD, new=True)
    assert "key" in caught.value.fields
    assert forms.get_form(db, "ket_luan").title == "Kết luận"


BAD_SCHEMAS = {
    "syntax error": ('{"type": "object",\n  "properties": {,}}', "schema", "line 2, column 18"),
    "not an object": (json.dumps({"type": "string"}), "schema", '"type": "object"'),
    "a list": ("[1, 2]", "schema", '"type": "object"'),
    "no properties": (json.dumps({"type": "object"}), "schema", "properties"),
    "unknown type": (
        json.dumps({"type": "object", "properties": {"files": {"type": "array"}}}),
        "schema",
        "files",
    ),
    "invalid type": (
        json.dumps({"type": "object", "properties": {"d": {"type": "date"}}}),
        "schema",
        "not valid JSON Schema",
    ),
    "remote $ref": (
        json.dumps(
            {
                "type": "object",
                "properties": {"a": {"$ref": "https://example.org/evil.json"}},
            }
        ),
        "schema",
        "https://example.org/evil.json",
    ),
    "oversize": (
        json.dumps(
            {
                "type": "object",
                "properties": {"a": {"type": "string", "description": "x" * 70_000}},
            }
        ),
        "schema",
        "64 kB",
    ),
    "too many fields": (
        json.dumps(
            {"type": "object", "properties": {f"f{i}": {"type": "string"} for i in range(51)}}
        ),
        "schema",
        "50",
    ),
    "other draft": (
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {},
            }
        ),
        "schema",
        "2020-12",
    ),
    "required unknown": (
        json.dumps({"type": "object", "properties": {}, "required": ["ghost"]}),
        "schema",
        "ghost",
    ),
    "reserved field": (
        json.dumps({"type": "object", "properties": {"csrf_token": {"type": "string"}}}),
        "schema",
        "csrf_token",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SCHEMAS))
def test_a_bad_schema_is_refused_and_nothing_is_saved(db: Database, users, case: str) -> None:
    text, field, words = BAD_SCHEMAS[case]
    before = _stored(db)
    with pytest.raises(InvalidInput) as caught:
        forms.save_form(db, users["admin"], "tham_dinh", "Thẩm định", text)
    assert field in caught.value.fields
    assert words in caught.value.fields[field]
    assert _stored(db) == before


@pytest.mark.parametrize(
    ("key", "title"),
    [("accept", "Duyệt"), ("report", "Báo cáo"), ("Legal-Review", "x"), ("a", "x"), ("new", "x")],
)
def test_a_builtin_or_malformed_key_is_refused(db: Database, users, key: str, title: str) -> None:
    before = _stored(db)
    with pytest.raises(InvalidInput) as caught:
        forms.save_form(db, users["admin"], key, title, GOOD)
    assert "key" in caught.value.fields
    assert _stored(db) == before


def test_only_admins_save_forms_and_a_title_is_needed(db: Database, users) -> None:
    before = _stored(db)
    with pytest.raises(RoleRequired):
        forms.save_form(db, users["giamdoc"], "tham_dinh", "Thẩm định", GOOD)
    with pytest.raises(InvalidInput) as caught:
        forms.save_form(db, users["admin"], "tham_dinh", "   ", GOOD)
    assert "title" in caught.value.fields
    assert _stored(db) == before


def test_a_diagram_naming_an_unknown_form_is_refused(db: Database) -> None:
    with pytest.raises(engine.ModelInvalid) as caught:
        publish(db, with_legal_review(form="no_such_form"))
    assert "no_such_form" in str(caught.value)


@pytest.fixture
def legal_directive(db: Database, users, today: date) -> int:
    """A directive started on the diagram with a legal review, assigned, task 1 reported."""
    return reported_before_legal_review(db, users, today)


def _values_in_state(db: Database, directive_id: int) -> list[Any]:
    """The task data stored under the legal_review key anywhere in the serialized workflow."""
    with db.reading() as session:
        instance_id = session.scalar(
            select(Directive.process_instance_id).where(Directive.id == directive_id)
        )
        state = json.loads(stored_state(session, instance_id))
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for data in (node.get("data"), node.get("updates")):  # whole data or a task's delta
                if isinstance(data, dict) and "legal_review" in data:
                    found.append(data["legal_review"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(state)
    return found


def test_a_directive_passes_through_the_legal_review(
    db: Database, users, legal_directive: int
) -> None:
    review = item_of(db, users["giamdoc"], "legal_review", task_no=1)
    assert review.title == "Thẩm định pháp lý / Legal review"
    assert items_for(db, users["giamdoc"], "accept") == []  # accept waits for the review
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        complete_form_step(db, users["giamdoc"], review.work_item_id, {"legal_basis": "NĐ 09"})
    assert caught.value.field_messages["opinion"].text == "This field is required"
    with pytest.raises(InvalidInput) as caught:
        complete_form_step(
            db, users["giamdoc"], review.work_item_id, {"opinion": "ok", "legal_basis": "x" * 501}
        )
    assert caught.value.field_messages["legal_basis"].text == "At most %(count)s characters"
    assert caught.value.fields["legal_basis"] == "At most 500 characters"
    assert snapshot(db) == before
    values = complete_form_step(
        db,
        users["giamdoc"],
        review.work_item_id,
        {"opinion": "  Phù hợp <b>quy định</b> ", "conforms": ["on"], "legal_basis": ""},
    )
    assert values == {"opinion": "Phù hợp <b>quy định</b>", "conforms": True}
    stored = _values_in_state(db, legal_directive)  # the review's data, passed on to accept
    assert stored
    assert all(found == values for found in stored)
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    steps.accept_report(db, users["giamdoc"], accept.work_item_id)
    detail = queries.directive_detail(db, users["giamdoc"], legal_directive)
    (event,) = [e for e in detail.events if e.kind == "form_submitted"]
    assert event.after is not None
    assert event.after["title"] == "Thẩm định pháp lý / Legal review"
    assert event.fields == (
        ("Ý kiến thẩm định", "Phù hợp <b>quy định</b>"),
        ("Phù hợp quy định", True),
    )
    assert event.actor is not None
    assert event.assignment_id == review.assignment_id
    assert detail.tasks[0].assignments[0].state == "accepted"


def test_the_legal_review_belongs_to_supervisors_and_its_own_use_case(
    db: Database, users, legal_directive: int
) -> None:
    review = item_of(db, users["giamdoc"], "legal_review", task_no=1)
    before = snapshot(db)
    for username in ("truong.khtc", "cv.khtc", "vanthu"):
        assert items_for(db, users[username], "legal_review") == []
        with pytest.raises(PermissionDenied):
            complete_form_step(db, users[username], review.work_item_id, {"opinion": "tôi duyệt"})
    with pytest.raises(WrongStep):
        steps.accept_report(db, users["giamdoc"], review.work_item_id)
    builtin = item_of(db, users["cv.vp"], "execute", task_no=3)
    with pytest.raises(WrongStep):
        complete_form_step(db, users["cv.vp"], builtin.work_item_id, {})
    assert snapshot(db) == before


def test_a_second_submission_says_who_did_it(db: Database, users, legal_directive: int) -> None:
    from workflows.errors import TaskNoLongerReady

    review = item_of(db, users["giamdoc"], "legal_review", task_no=1)
    complete_form_step(db, users["giamdoc"], review.work_item_id, {"opinion": "đồng ý"})
    with pytest.raises(TaskNoLongerReady) as caught:
        complete_form_step(db, users["phogiamdoc"], review.work_item_id, {"opinion": "cũng vậy"})
    assert caught.value.done_by is not None


@pytest.fixture
def unit_check_directive(db: Database, users, today: date) -> int:
    """A directive on the diagram with a unit-lane self check after execute, assigned."""
    install_unit_check(db, users["admin"])
    publish(db, with_unit_check())
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(
        db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute", task_no=1).work_item_id
    )
    return directive_id


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"checked_on": "2026-02-30", "level": "đạt"}, "checked_on", "Enter a date as YYYY-MM-DD"),
        ({"checked_on": "hôm qua", "level": "đạt"}, "checked_on", "Enter a date as YYYY-MM-DD"),
        ({"checked_on": "2026-01-05", "level": "tốt"}, "level", "Choose one of the options"),
        ({"checked_on": "2026-01-05"}, "level", "This field is required"),
        ({"checked_on": "2026-01-05", "level": "đạt", "hours": "2.5"}, "hours", "whole number"),
        ({"checked_on": "2026-01-05", "level": "đạt", "hours": "hai"}, "hours", "whole number"),
        ({"checked_on": "2026-01-05", "level": "đạt", "hours": "-1"}, "hours", "at least 0"),
        ({"checked_on": "2026-01-05", "level": "đạt", "score": "nan"}, "score", "a number"),
        ({"checked_on": "2026-01-05", "level": "đạt", "score": "11"}, "score", "at most 10"),
        ({"checked_on": "2026-01-05", "level": "đạt", "note": "x" * 21}, "note", "20 characters"),
    ],
)
def test_wrong_values_of_a_unit_step_are_refused(
    db: Database, users, unit_check_directive: int, posted: dict[str, str], field: str, message
) -> None:
    check = item_of(db, users["cv.khtc"], "unit_check", task_no=1)
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        complete_form_step(db, users["cv.khtc"], check.work_item_id, posted)
    assert message in caught.value.fields[field]
    assert snapshot(db) == before


def test_a_unit_step_is_done_by_the_units_staff_only(
    db: Database, users, unit_check_directive: int
) -> None:
    check = item_of(db, users["cv.khtc"], "unit_check", task_no=1)
    assert check.title == "Tự kiểm tra / Self check"
    assert item_of(db, users["truong.khtc"], "unit_check", task_no=1) == check
    assert items_for(db, users["truong.vp"], "unit_check") == []
    good = {"checked_on": "2026-01-05", "level": "đạt", "hours": "12", "score": "7,5"}
    before = snapshot(db)
    with pytest.raises(NotAssignedToUnit):
        complete_form_step(db, users["cv.vp"], check.work_item_id, good)
    with pytest.raises(NotAssignedToUnit):
        complete_form_step(db, users["giamdoc"], check.work_item_id, good)
    assert snapshot(db) == before
    values = complete_form_step(db, users["cv.khtc"], check.work_item_id, good)
    assert values == {"checked_on": "2026-01-05", "hours": 12, "score": 7.5, "level": "đạt"}
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "xong")
    history = queries.history_of(db, users["cv.khtc"], unit_check_directive)
    (event,) = [e for e in history if e.kind == "form_submitted"]
    assert ("Số giờ", 12) in event.fields


def test_a_handed_over_unit_step_is_refused_to_other_staff(
    db: Database, users, unit_check_directive: int
) -> None:
    check = item_of(db, users["truong.khtc"], "unit_check", task_no=1)
    steps.hand_over(db, users["truong.khtc"], check.assignment_id or 0, users["truong.khtc"])
    with pytest.raises(NotAssignedToUnit):
        complete_form_step(
            db, users["cv.khtc"], check.work_item_id, {"checked_on": "2026-01-05", "level": "đạt"}
        )


def test_a_form_in_use_cannot_be_deleted(db: Database, users, unit_check_directive: int) -> None:
    with pytest.raises(InvalidInput):
        forms.delete_form(db, users["admin"], "unit_check")
    forms.save_form(db, users["admin"], "unused", "Chưa dùng", GOOD)
    with pytest.raises(RoleRequired):
        forms.delete_form(db, users["giamdoc"], "unused")
    forms.delete_form(db, users["admin"], "unused")
    assert [key for key, _ in _stored(db)] == ["legal_review", "unit_check"]
    with pytest.raises(NotFound):
        forms.get_form(db, "unused")
