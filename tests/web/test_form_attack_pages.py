"""Issue 9, item 3 through the pages: step forms that cannot freeze or break the server."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.helpers import item_of, snapshot
from tests.web.helpers import csrf_token
from tests.workflows.form_diagrams import reported_before_legal_review
from workflows.db import Database
from workflows.diagrams import forms
from workflows.organisation import accounts
from workflows.tables import StepForm

BACKTRACKING = "^(a+)+$"
ATTACK = "a" * 30 + "!"  # Python's re takes about 2**30 steps to refuse it
CODE_FORM = {
    "type": "object",
    "properties": {"code": {"type": "string", "title": "Mã hồ sơ", "pattern": BACKTRACKING}},
    "required": ["code"],
}


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


@pytest.fixture
def step_path(db: Database, users, today: date) -> str:
    """The legal review of task 1 with a form of one patterned field; leaders read English."""
    forms.save_form(db, users["admin"], "legal_review", "Thẩm định", json.dumps(CODE_FORM))
    reported_before_legal_review(db, users, today)  # the bundled legal_review is not installed
    for name in ("giamdoc", "admin"):
        accounts.set_language(db, users[name], "en")
    return f"/work/{item_of(db, users['giamdoc'], 'legal_review', task_no=1).work_item_id}"


def test_a_backtracking_pattern_answers_at_once_and_the_server_keeps_serving(
    app, client_for, db: Database, step_path: str
) -> None:
    leader = client_for("giamdoc")
    token = csrf_token(leader, step_path)
    before = snapshot(db)
    answers: dict[str, Any] = {}

    def submit() -> None:
        started = time.perf_counter()
        response = leader.post(step_path, data={"code": ATTACK, "csrf_token": token})
        answers["seconds"] = time.perf_counter() - started
        answers["status"] = response.status_code
        answers["html"] = response.get_data(as_text=True)

    submission = threading.Thread(target=submit)
    submission.start()
    started = time.perf_counter()
    health = app.test_client().get("/healthz")  # Python's re held the GIL: this waited too
    health_seconds = time.perf_counter() - started
    submission.join(timeout=20)
    assert health.status_code == 200
    assert health_seconds < 0.5
    assert answers["seconds"] < 0.5
    assert answers["status"] == 422
    assert "Mã hồ sơ: This does not have the expected form" in answers["html"]
    assert snapshot(db) == before
    assert _post(leader, step_path, {"code": "a" * 30}).status_code == 302


def _deep(levels: int) -> str:
    return (
        '{"type": "object", "properties": {"a": {"type": "string", "allOf": ['
        + '{"allOf": [' * levels
        + "{}"
        + "]}" * levels
        + "]}}}"
    )


def _with_defs(**definitions: Any) -> str:
    field = {"$ref": "#/$defs/d0", "type": "string", "title": "Ý kiến"}
    return json.dumps({"type": "object", "$defs": definitions, "properties": {"a": field}})


REFUSED = {
    "missing": (_with_defs(), "the reference #/$defs/d0 at /properties/a/$ref points to no schema"),
    "self": (
        _with_defs(d0={"$ref": "#/$defs/d0"}),
        "the reference #/$defs/d0 at /$defs/d0/$ref leads back to itself (a cycle)",
    ),
    "mutual": (
        _with_defs(d0={"$ref": "#/$defs/d1"}, d1={"$ref": "#/$defs/d0"}),
        "the reference #/$defs/d0 at /$defs/d1/$ref leads back to itself (a cycle)",
    ),
    "deep": (_deep(5_000), "the schema is nested more than 32 levels deep"),
    "back-reference": (
        json.dumps(
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "(a)\\1"}}}
        ),
        "the pattern at /properties/a/pattern cannot be used",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_form_editor_refuses_a_runaway_schema_with_422(
    client_for, db: Database, users, case: str
) -> None:
    accounts.set_language(db, users["admin"], "en")
    text, reason = REFUSED[case]
    editor = client_for("admin")
    before = [row.key for row in forms.list_forms(db)]
    response = _post(
        editor, "/admin/forms/new", {"key": "y_kien", "title": "Ý kiến", "schema": text}
    )
    assert response.status_code == 422
    assert f"JSON Schema: {reason}" in response.get_data(as_text=True)
    assert [row.key for row in forms.list_forms(db)] == before


def test_a_broken_stored_form_answers_409_until_an_admin_corrects_it(
    client_for, db: Database, step_path: str
) -> None:
    cycle = _with_defs(d0={"$ref": "#/$defs/d1"}, d1={"allOf": [{"$ref": "#/$defs/d0"}]})
    db.command(
        lambda session: session.execute(
            update(StepForm).where(StepForm.key == "legal_review").values(schema_json=cycle)
        )
    )
    broken = "this step&#39;s form is broken; an administrator must correct it"
    leader = client_for("giamdoc")
    page = leader.get(step_path)
    assert page.status_code == 409
    assert broken in page.get_data(as_text=True)
    assert 'name="code"' not in page.get_data(as_text=True)
    token = csrf_token(leader, "/inbox")
    before = snapshot(db)
    posted = leader.post(step_path, data={"code": "aa", "a": "x", "csrf_token": token})
    assert posted.status_code == 409
    assert broken in posted.get_data(as_text=True)
    assert snapshot(db) == before

    editor = client_for("admin")
    assert "must be corrected" in editor.get("/admin/forms").get_data(as_text=True)
    shown = editor.get("/admin/forms/legal_review")
    assert shown.status_code == 200
    assert "leads back to itself (a cycle)" in shown.get_data(as_text=True)
    fixed = {"title": "Thẩm định", "schema": json.dumps(CODE_FORM), "action": "save"}
    assert _post(editor, "/admin/forms/legal_review", fixed).status_code == 302
    assert "must be corrected" not in editor.get("/admin/forms").get_data(as_text=True)
    assert _post(leader, step_path, {"code": "aaa"}).status_code == 302
