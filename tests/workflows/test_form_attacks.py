"""Issue 9, item 3: a step form must neither freeze the server nor break its steps.

The attacks: a backtracking `pattern` frozen the server inside the write transaction; a `$ref`
to a missing or self-referencing definition saved fine and then every submission was a 500;
a very deep schema was a 500 at save; and forms stored before the checks existed.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from tests.helpers import item_of, snapshot
from tests.workflows.conftest import small_directive
from tests.workflows.form_diagrams import publish, with_unit_check
from workflows import directives
from workflows.db import Database
from workflows.diagrams import forms
from workflows.diagrams.form_patterns import form_errors
from workflows.errors import BrokenForm, InvalidInput
from workflows.steps import unit_work as steps
from workflows.steps.form_step import complete_form_step
from workflows.tables import StepForm

BACKTRACKING = "^(a+)+$"  # Python's re needs about 2**n steps to refuse "a" * n + "!"
ATTACK = "a" * 30 + "!"


def _form(**fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": fields}


def _unit_check_step(db: Database, users: dict[str, int], today: date, schema: Any) -> str:
    """Store the unit_check form, publish a diagram with it after execute; return its item."""
    forms.save_form(db, users["admin"], "unit_check", "Tự kiểm tra", json.dumps(schema))
    publish(db, with_unit_check())
    directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    return item_of(db, users["cv.khtc"], "unit_check", task_no=1).work_item_id


def _store_directly(db: Database, key: str, schema_text: str) -> None:
    """Write a form's schema past every check, as a form saved before them would be."""
    db.command(
        lambda session: session.execute(
            update(StepForm).where(StepForm.key == key).values(schema_json=schema_text)
        )
    )


CODE_FORM = _form(code={"type": "string", "title": "Mã", "pattern": BACKTRACKING})


def test_a_backtracking_pattern_answers_at_once_and_changes_nothing(
    db: Database, users, today: date
) -> None:
    item = _unit_check_step(db, users, today, CODE_FORM)
    before = snapshot(db)
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        complete_form_step(db, users["cv.khtc"], item, {"code": ATTACK})
    assert time.perf_counter() - started < 0.5
    assert caught.value.fields == {"code": "This does not have the expected form"}
    assert snapshot(db) == before
    assert complete_form_step(db, users["cv.khtc"], item, {"code": "a" * 30}) == {"code": "a" * 30}


def test_every_pattern_keyword_runs_without_backtracking() -> None:
    schema = {
        "type": "object",
        "patternProperties": {BACKTRACKING: {"type": "integer"}},
        "propertyNames": {"pattern": BACKTRACKING},
        "additionalProperties": False,
        "properties": {"note": {"type": "string", "format": "regex"}},
    }
    started = time.perf_counter()
    errors = form_errors(schema, {ATTACK: 1, "a" * 30: "x", "note": "(a)\\1"})
    assert time.perf_counter() - started < 0.5
    assert sorted(e.validator for e in errors) == [
        "additionalProperties",  # ATTACK matches no patternProperties pattern
        "format",  # RE2 cannot compile a back-reference
        "pattern",  # ATTACK is not a name propertyNames allows
        "pattern",  # "note" neither
        "type",  # "a" * 30 matches the pattern, its value must be an integer
    ]


def _deep(levels: int) -> str:
    """A form whose one field nests `levels` allOf below it (about 10 bytes a level)."""
    return (
        '{"type": "object", "properties": {"a": {"type": "string", "allOf": ['
        + '{"allOf": [' * levels
        + "{}"
        + "]}" * levels
        + "]}}}"
    )


def _defs(**definitions: Any) -> dict[str, Any]:
    return {"$defs": definitions, **_form(a={"$ref": "#/$defs/d0", "type": "string"})}


def _fanning(levels: int, width: int) -> dict[str, Any]:
    """Each definition refers `width` times to the next: no cycle, width**levels once inlined."""
    chain = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * width} for i in range(levels)}
    return _defs(**chain, **{f"d{levels}": {"minLength": 1}})


BAD_SCHEMAS = {
    "missing definition": (_defs(d1={}), "#/$defs/d0 at /properties/a/$ref points to no schema"),
    "self reference": (_defs(d0={"$ref": "#/$defs/d0"}), "#/$defs/d0 at /$defs/d0/$ref leads back"),
    "mutual references": (
        _defs(d0={"$ref": "#/$defs/d1"}, d1={"allOf": [{"$ref": "#/$defs/d0"}]}),
        "a cycle",
    ),
    "the whole form": ({"allOf": [{"$ref": "#"}], **CODE_FORM}, "# at /allOf/0/$ref leads back"),
    "not a schema": (
        {**_form(a={"$ref": "#/required", "type": "string"}), "required": ["a"]},
        "#/required at /properties/a/$ref points to no schema",
    ),
    "a list index past the end": (
        {"$defs": {"l": [{}]}, **_form(a={"$ref": "#/$defs/l/1", "type": "string"})},
        "points to no schema",
    ),
    "5,000 levels deep": (_deep(5_000), "nested more than 32 levels deep"),
    "900 levels deep": (_deep(900), "nested more than 32 levels deep"),
    "a long chain of references": (
        _defs(**{f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(40)}, d40={}),
        "nested more than 32 levels deep (references followed)",
    ),
    "references fanning out at each level": (_fanning(6, 4), "more than 2000 objects and lists"),
    "a back-reference": (
        _form(a={"type": "string", "pattern": "^(a)\\1$"}),
        "the pattern at /properties/a/pattern cannot be used",
    ),
    "a look-ahead": (
        _form(a={"type": "string", "pattern": "^(?=a)"}),
        "the pattern at /properties/a/pattern cannot be used",
    ),
    "a look-behind in patternProperties": (
        {**_form(a={"type": "string"}), "patternProperties": {"(?<!a)b": {}}},
        "the pattern at /patternProperties/(?<!a)b cannot be used",
    ),
    "an absurdly long pattern": (
        _form(a={"type": "string", "pattern": "a?" * 501}),
        "the pattern at /properties/a/pattern is longer than 1000 characters",
    ),
    "patternProperties with unevaluatedProperties": (
        {**CODE_FORM, "patternProperties": {"^x": {}}, "unevaluatedProperties": False},
        "unevaluatedProperties together with patternProperties",
    ),
    "a dynamic reference": (
        _form(a={"type": "string", "$dynamicRef": "#/$defs/x"}),
        "$dynamicRef (at /properties/a) is not supported",
    ),
    "an $id below the top": (
        _form(a={"type": "string", "$id": "https://example.org/a.json"}),
        "$id is only allowed at the top of a form",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SCHEMAS))
def test_a_form_that_could_run_away_is_refused_at_save(db: Database, users, case: str) -> None:
    schema, words = BAD_SCHEMAS[case]
    text = schema if isinstance(schema, str) else json.dumps(schema)
    assert len(text.encode()) < 64 * 1024  # refused for what it is, not for its size
    before = [row.key for row in forms.list_forms(db)]
    with pytest.raises(InvalidInput) as caught:
        forms.save_form(db, users["admin"], "tham_dinh", "Thẩm định", text)
    assert words in caught.value.fields["schema"]
    assert [row.key for row in forms.list_forms(db)] == before


def test_references_without_cycles_still_work(db: Database, users, today: date) -> None:
    schema = {
        "$id": "https://example.org/forms/unit_check.json",
        "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{2}-\\d+$", "title": "Mã"}},
        **_form(code={"$ref": "#/$defs/code"}, again={"$ref": "#/$defs/code", "title": "Lại"}),
    }
    item = _unit_check_step(db, users, today, schema)
    with pytest.raises(InvalidInput) as caught:
        complete_form_step(db, users["cv.khtc"], item, {"code": "AB-12", "again": "ab"})
    assert caught.value.fields == {"again": "This does not have the expected form"}
    values = complete_form_step(db, users["cv.khtc"], item, {"code": "AB-12", "again": "CD-3"})
    assert values == {"code": "AB-12", "again": "CD-3"}


BROKEN = {
    "a cycle": json.dumps(_defs(d0={"$ref": "#/$defs/d1"}, d1={"$ref": "#/$defs/d0"})),
    "a missing definition": json.dumps(_defs()),
    "deep": _deep(5_000),
    "not JSON": '{"type": "object", "properties": {',
    "a backtracking look-ahead": json.dumps(_form(a={"type": "string", "pattern": "(?=a)a"})),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_form_stored_before_the_checks_stops_its_step_until_an_admin_fixes_it(
    db: Database, users, today: date, case: str
) -> None:
    item = _unit_check_step(db, users, today, _form(a={"type": "string"}))
    _store_directly(db, "unit_check", BROKEN[case])
    view = forms.get_form(db, "unit_check")
    assert view.problem is not None
    assert view.fields == ()
    assert [row.broken for row in forms.list_forms(db) if row.key == "unit_check"] == [True]
    before = snapshot(db)
    with pytest.raises(BrokenForm) as caught:
        complete_form_step(db, users["cv.khtc"], item, {"a": "x"})
    assert str(caught.value) == "this step's form is broken; an administrator must correct it"
    assert snapshot(db) == before
    forms.save_form(db, users["admin"], "unit_check", "Tự kiểm tra", json.dumps(CODE_FORM))
    assert forms.get_form(db, "unit_check").problem is None
    assert complete_form_step(db, users["cv.khtc"], item, {"code": "aa"}) == {"code": "aa"}


def test_values_are_checked_before_the_write_transaction(db: Database, users, today: date) -> None:
    """A submission whose check runs its whole time budget keeps no one else from writing."""
    slow = {f"f{i}": {"type": "string", "pattern": f".*a.{{{900 + i}}}!"} for i in range(40)}
    item = _unit_check_step(db, users, today, _form(**slow))
    letters = random.Random(9)
    text = "".join(letters.choice("ab") for _ in range(19_990))  # a field takes 20,000 at most
    refused: list[InvalidInput] = []

    def submit() -> None:
        try:
            complete_form_step(db, users["cv.khtc"], item, {n: text + n for n in slow})
        except InvalidInput as exc:
            refused.append(exc)

    submission = threading.Thread(target=submit)
    started = time.perf_counter()
    submission.start()
    time.sleep(0.2)  # the submission is matching its patterns now
    forms.save_form(db, users["admin"], "ghi_chu", "Ghi chú", json.dumps(CODE_FORM))
    saved_after = time.perf_counter() - started
    submission.join()
    took = time.perf_counter() - started
    assert took > 0.9  # it did run its budget of about a second...
    assert saved_after < 0.6  # ...while another command wrote
    assert took < 3
    assert "took too long" in refused[0].fields["form"]
