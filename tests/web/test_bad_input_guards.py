"""Huge ids, deep JSON, NUL characters and look-alike numbers (issue 9, items 9 and 10)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.web.helpers import csrf_token
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.errors import InvalidInput
from workflows.tables import Directive

HUGE = "99999999999999999999"


def _id_routes(app: Flask) -> list[tuple[str, str]]:
    """Every route with an integer id, filled with a huge id, and its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        if "int:" not in rule.rule:
            continue
        path = re.sub(r"<int:[a-z_]+>", HUGE, rule.rule)
        path = re.sub(r"<any\(([a-z_]+)[^>]*>", r"\1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


@pytest.mark.parametrize("username", ["giamdoc", "admin", "truong.khtc"])
def test_huge_ids_find_nothing_instead_of_failing(
    app: Flask, client_for: Callable[[str], FlaskClient], username: str
) -> None:
    client = client_for(username)
    token = csrf_token(client, "/inbox")
    routes = _id_routes(app)
    assert len(routes) >= 15  # pages and API alike
    for method, path in routes:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.open(
                path, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
            )
        assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize("depth", [40, 900, 5000, 100_000])
def test_deeply_nested_json_is_a_bad_request(
    client_for: Callable[[str], FlaskClient], depth: int
) -> None:
    client = client_for("vanthu")
    token = csrf_token(client, "/inbox")
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = client.post(
            "/api/v1/directives",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_json"
        assert "nested" in response.get_json()["error"]["message"]
    assert client.get("/healthz").status_code == 200


def _entry_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "number": "15/KH-SKHCN",
        "kind": "ke_hoach",
        "issuer": "Sở KH&CN",
        "issued_on": date.today().isoformat(),
        "title": "Kế hoạch kiểm tra",
        "tasks-0-content": "Kiểm tra đo lường",
        "tasks-0-lead_units": "KHTC",
    }
    return {**form, **changes}


def _directives(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Directive)) or 0


@pytest.mark.parametrize(
    "field", ["number", "title", "issuer", "body", "tasks-0-content", "tasks-0-lead_units"]
)
def test_nul_characters_from_page_forms_are_refused(
    client_for: Callable[[str], FlaskClient], db: Database, field: str
) -> None:
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    response = clerk.post("/directives/new", data=_entry_form(token, **{field: "Kế\x00hoạch"}))
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert _directives(db) == 0


def test_nul_in_a_query_string_or_a_file_name_is_refused(
    client_for: Callable[[str], FlaskClient],
) -> None:
    client = client_for("giamdoc")
    assert client.get("/directives/?q=abc%00def").status_code == 400


@pytest.mark.parametrize(
    "look_alike",
    [
        "12/TB\u200b-SKHCN",  # zero-width space
        "\ufeff12/TB-SKHCN",  # byte-order mark
        "12/TB-SKHCN\u200d",  # zero-width joiner
        "12/TB\u2013SKHCN",  # en dash
        "12 / TB-SKHCN",  # spaces around the slash
        "12/TB-\u202eSKHCN",  # right-to-left override
    ],
)
def test_a_look_alike_number_is_the_same_number(
    db: Database, users: dict[str, int], today: date, look_alike: str
) -> None:
    directives.create_directive(db, users["vanthu"], small_directive(today))
    with pytest.raises(InvalidInput) as caught:
        directives.create_directive(db, users["vanthu"], small_directive(today, look_alike))
    assert "number" in caught.value.fields
    assert _directives(db) == 1


def test_numbers_and_texts_are_stored_in_one_form(
    db: Database, users: dict[str, int], today: date
) -> None:
    decomposed = "Ke\u0302\u0301 hoa\u0323ch"  # "Kế hoạch" typed with combining marks
    data = small_directive(today, "\u200b7/KH\u2011SKHCN ")
    data = data.__class__(**{**data.__dict__, "title": decomposed})
    directive_id = directives.create_directive(db, users["vanthu"], data)
    with db.reading() as session:
        stored = session.get(Directive, directive_id)
        assert stored is not None
        assert stored.number == "7/KH-SKHCN"
        assert stored.title == "Kế hoạch"
