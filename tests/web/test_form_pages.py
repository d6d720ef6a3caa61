"""Generic step pages rendered from JSON Schema forms, and the administrators' form editor."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from tests.helpers import item_of, snapshot
from tests.web.helpers import csrf_token
from tests.workflows.form_diagrams import reported_before_legal_review
from workflows.db import Database
from workflows.diagrams import forms
from workflows.organisation import accounts


@pytest.fixture
def review_path(db: Database, users, today: date) -> str:
    """The legal review step of task 1, waiting for a leader; the leaders read English."""
    reported_before_legal_review(db, users, today)
    for name in ("giamdoc", "phogiamdoc", "admin"):
        accounts.set_language(db, users[name], "en")
    return f"/work/{item_of(db, users['giamdoc'], 'legal_review', task_no=1).work_item_id}"


def _field(html: str, name: str) -> str:
    """The rendered block of one form field."""
    found = re.search(rf'<div class="mb-3" data-field="{name}">(.*?)\n</div>', html, re.S)
    assert found, f"no field {name}"
    return found.group(1)


def _post(client: FlaskClient, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_the_step_page_renders_the_schema_fields(client_for, review_path: str) -> None:
    html = client_for("giamdoc").get(review_path).get_data(as_text=True)
    assert '<h1 class="h3 mb-1">Thẩm định pháp lý / Legal review</h1>' in html
    opinion = _field(html, "opinion")
    assert "<textarea" in opinion
    assert "Ý kiến thẩm định" in opinion
    assert 'aria-required="true"' in opinion
    assert "Nhận xét về tính hợp pháp" in opinion  # the description as help text
    assert 'type="checkbox"' in _field(html, "conforms")
    assert 'maxlength="500"' in _field(html, "legal_basis")
    assert 'name="csrf_token"' in html
    assert "Đã rà soát xong" in html  # the report under review, from the side column


def test_the_inbox_lists_the_step_by_its_title(client_for, review_path: str) -> None:
    leader = client_for("giamdoc")
    html = leader.get("/inbox").get_data(as_text=True)
    assert f'href="{review_path}">Thẩm định pháp lý / Legal review</a>' in html
    assert "step=legal_review" in html
    only = leader.get("/inbox?step=legal_review").get_data(as_text=True)
    assert review_path in only
    assert only.count('href="/work/') == 1


def test_a_missing_required_field_is_shown_at_the_field_and_keeps_what_was_typed(
    client_for, db: Database, review_path: str
) -> None:
    before = snapshot(db)
    response = _post(
        client_for("giamdoc"),
        review_path,
        {"opinion": "  ", "conforms": "on", "legal_basis": "Luật <Ban hành> VBQPPL"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required" in _field(html, "opinion")
    assert "is-invalid" in _field(html, "opinion")
    assert "Luật &lt;Ban hành&gt; VBQPPL</textarea>" in _field(html, "legal_basis")
    assert " checked" in _field(html, "conforms")
    assert "Ý kiến thẩm định: This field is required" in html  # the summary names the field
    assert snapshot(db) == before


def test_a_valid_post_lands_on_the_inbox_and_shows_in_the_history(
    client_for, db: Database, users, review_path: str
) -> None:
    leader = client_for("giamdoc")
    response = _post(
        leader, review_path, {"opinion": "Hợp lệ <script>x</script>", "conforms": "on"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    assert "Thẩm định pháp lý / Legal review: done." in leader.get("/inbox").get_data(as_text=True)
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    assert accept.assignment_id is not None
    assert leader.get(review_path).status_code == 409  # done: the page says by whom
    page = leader.get(f"/work/{accept.work_item_id}").get_data(as_text=True)
    directive = re.search(r'href="(/directives/\d+)"', page).group(1)
    history = leader.get(directive).get_data(as_text=True)
    assert "Thẩm định pháp lý / Legal review</span>" in history
    assert "Ý kiến thẩm định</dt>" in history
    assert "Hợp lệ &lt;script&gt;x&lt;/script&gt;</dd>" in history
    assert "<script>x" not in history
    assert "Phù hợp quy định</dt><dd" in history


def test_a_stale_post_answers_409_and_keeps_the_text(
    client_for, db: Database, review_path: str
) -> None:
    first, second = client_for("giamdoc"), client_for("phogiamdoc")
    token = csrf_token(second, review_path)
    assert _post(first, review_path, {"opinion": "đồng ý"}).status_code == 302
    before = snapshot(db)
    response = second.post(review_path, data={"opinion": "ý kiến <i>khác</i>", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "ý kiến &lt;i&gt;khác&lt;/i&gt;" in html
    assert snapshot(db) == before


def test_a_unit_reads_the_step_but_cannot_post_it(
    client_for, db: Database, review_path: str
) -> None:
    head = client_for("truong.khtc")
    page = head.get(review_path)
    assert page.status_code == 200
    assert 'name="opinion"' not in page.get_data(as_text=True)
    before = snapshot(db)
    token = csrf_token(head, "/inbox")
    assert head.post(review_path, data={"opinion": "x", "csrf_token": token}).status_code == 403
    assert snapshot(db) == before


SCHEMA = {
    "type": "object",
    "properties": {
        "ket_qua": {"type": "string", "title": "Kết quả", "enum": ["Đạt", "Không đạt"]},
        "ngay": {"type": "string", "format": "date", "title": "Ngày"},
        "so_lan": {"type": "integer", "title": "Số lần", "minimum": 1},
    },
    "required": ["ket_qua"],
}


def test_the_form_editor_saves_previews_and_refuses_with_messages(
    client_for, db: Database, review_path: str
) -> None:
    editor = client_for("admin")
    listing = editor.get("/admin/forms").get_data(as_text=True)
    assert 'href="/admin/forms/legal_review"' in listing
    assert "Thẩm định pháp lý / Legal review" in listing
    text = json.dumps(SCHEMA, ensure_ascii=False, indent=2)
    broken = text.replace('"Ngày"', "'Ngày'")
    bad = _post(
        editor, "/admin/forms/new", {"key": "kiem_tra", "title": "Kiểm tra", "schema": broken}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r"The JSON is not valid at line \d+, column \d+", html, re.I)
    assert "&#39;Ngày&#39;" in html  # the text is kept, escaped, to be corrected
    preview = _post(
        editor,
        "/admin/forms/new",
        {"key": "kiem_tra", "title": "Kiểm tra", "schema": text, "action": "preview"},
    )
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert '<select class="form-select" id="preview-ket_qua"' in shown
    assert 'type="date"' in shown
    assert 'step="1"' in shown
    assert [row.key for row in forms.list_forms(db)] == ["legal_review"]
    saved = _post(
        editor,
        "/admin/forms/new",
        {"key": "kiem_tra", "title": "Kiểm tra", "schema": text, "action": "save"},
    )
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/admin/forms/kiem_tra"
    page = editor.get("/admin/forms/kiem_tra").get_data(as_text=True)
    assert 'id="preview-so_lan"' in page
    assert " disabled" in page
    assert "Kiểm tra" in page
    again = _post(editor, "/admin/forms/new", {"key": "accept", "title": "x", "schema": text})
    assert again.status_code == 422
    assert "built-in form" in again.get_data(as_text=True)
    assert sorted(row.key for row in forms.list_forms(db)) == ["kiem_tra", "legal_review"]


def test_a_form_a_diagram_uses_is_not_deleted(client_for, db: Database, review_path: str) -> None:
    editor = client_for("admin")
    response = _post(editor, "/admin/forms/legal_review/delete", {})
    assert response.status_code == 302
    assert "cannot be deleted" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert [row.key for row in forms.list_forms(db)] == ["legal_review"]


def test_deleting_an_unused_form_asks_first(client_for, db: Database, users) -> None:
    schema = '{"type": "object", "properties": {"note": {"type": "string"}}}'
    forms.save_form(db, users["admin"], "ghi_chu", "Ghi chú", schema, new=True)
    editor = client_for("admin")
    assert "/admin/forms/ghi_chu/delete" in editor.get("/admin/forms/ghi_chu").get_data(
        as_text=True
    )
    confirm = editor.get("/admin/forms/ghi_chu/delete")
    assert confirm.status_code == 200
    assert "Ghi chú" in confirm.get_data(as_text=True)
    assert "ghi_chu" in [row.key for row in forms.list_forms(db)]  # asking deletes nothing
    response = _post(editor, "/admin/forms/ghi_chu/delete", {})
    assert response.status_code == 302
    assert "ghi_chu" not in [row.key for row in forms.list_forms(db)]
