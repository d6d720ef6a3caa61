"""Every route × every role, plus a user of another unit: allowed, refused, or sent to sign in.

Allowed means the request reached the use case (2xx, a redirect that is not to the sign-in
page, or the domain's own 409/422); refused means 403 or 404 and no data. The table must name
every route the app has, so a new route cannot slip in unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers import item_of
from tests.web.helpers import csrf_token
from workflows import directives, extensions
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.organisation import delegations
from workflows.read import detail as queries

PDF = b"%PDF-1.4\n%%EOF\n"
PEOPLE = {
    "supervisor": "giamdoc",
    "clerk": "vanthu",
    "admin": "admin",
    "unit_head": "truong.khtc",
    "unit_staff": "cv.khtc",
    "other_unit": "truong.qlkh",
}
ALL = frozenset(PEOPLE)
SEES_DIRECTIVE = frozenset({"supervisor", "clerk", "admin", "unit_head", "unit_staff"})
PUBLIC = {
    "/static/<path:filename>",
    "/vendor/<path:name>",
    "/healthz",
    "/",
    "/login",
    "/language",
    "/api/openapi.json",
}


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    path: str
    allowed: frozenset[str]
    data: dict[str, Any] | None = None
    json: dict[str, Any] | None = None


@dataclass(frozen=True)
class World:
    directive_id: int
    work_item_id: str
    assignment_id: int
    attachment_id: int
    user_id: int
    unit_id: int
    extension_id: int
    version_id: int
    delegation_id: int
    notification_id: int = 0  # one of the director's


@pytest.fixture
def world(db: Database, users: dict[str, int], today: date) -> World:
    data = DirectiveInput(
        "21/TB-SKHCN",
        "thong_bao_ket_luan",
        "Sở KH&CN",
        today,
        "Kết luận giao ban",
        (TaskInput("Rà soát", ("KHTC",), ("VP",), today + timedelta(days=9)),),
    )
    directive_id = directives.create_directive(
        db, users["vanthu"], data, uploads=[Upload("bien-ban.pdf", PDF)]
    )
    assign = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    execute = item_of(db, users["cv.khtc"], "execute")
    detail = queries.directive_detail(db, users["giamdoc"], directive_id)
    extension_id = extensions.request_extension(
        db,
        users["truong.khtc"],
        execute.assignment_id or 0,
        "cần thêm thời gian",
        today + timedelta(days=30),
    )
    return World(
        directive_id,
        execute.work_item_id,
        execute.assignment_id or 0,
        detail.attachments[0].id,
        users["cv.vp"],
        2,
        extension_id,
        _published_version(db),
        delegations.delegate(
            db, users["truong.khtc"], users["cv.khtc"], today, today + timedelta(days=3)
        ),
        _a_notification_of(db, users["giamdoc"]),
    )


def _a_notification_of(db: Database, user_id: int) -> int:
    from workflows.tables import Notification

    with db.reading() as session:
        found = session.scalar(
            select(Notification.id).where(Notification.user_id == user_id).limit(1)
        )
    assert found is not None
    return int(found)


def _published_version(db: Database) -> int:
    with db.reading() as session:
        return db.processes.published_model(session, "directive").id


def cases(w: World) -> list[Case]:
    d, item, a = w.directive_id, w.work_item_id, w.assignment_id
    admin_only = frozenset({"admin"})
    return [
        Case("GET", "/inbox", "/inbox", ALL),
        Case("GET", "/notifications", "/notifications", ALL),
        Case("POST", "/notifications/read", "/notifications/read", ALL, data={}),
        Case("POST", "/logout", "/logout", ALL, data={}),
        Case("POST", "/logout/everywhere", "/logout/everywhere", ALL, data={}),
        Case("GET", "/directives/", "/directives/", ALL),
        Case("GET", "/dashboard", "/dashboard", ALL),
        Case("GET", "/directives/export.<any(xlsx, csv):kind>", "/directives/export.xlsx", ALL),
        Case("GET", "/tasks", "/tasks?category=open_overdue&level=item", ALL),
        Case("GET", "/tasks.<any(xlsx, csv):kind>", "/tasks.csv", ALL),
        Case("GET", "/reports", "/reports", ALL),
        Case("GET", "/reports/tasks.<any(xlsx, docx):kind>", "/reports/tasks.docx", ALL),
        Case("GET", "/reports/print", "/reports/print", ALL),
        Case(
            "GET",
            "/assignments/<int:assignment_id>/nudge",
            f"/assignments/{a}/nudge",
            frozenset({"supervisor", "clerk"}),
        ),
        Case(
            "POST",
            "/assignments/<int:assignment_id>/nudge",
            f"/assignments/{a}/nudge",
            frozenset({"supervisor", "clerk"}),
            data={"message": ""},
        ),
        Case(
            "GET",
            "/notifications/<int:notification_id>",
            f"/notifications/{w.notification_id}",
            frozenset({"supervisor"}),
        ),
        Case("GET", "/directives/new", "/directives/new", frozenset({"clerk", "supervisor"})),
        Case(
            "POST",
            "/directives/new",
            "/directives/new",
            frozenset({"clerk", "supervisor"}),
            data={},
        ),
        Case("GET", "/directives/<int:directive_id>", f"/directives/{d}", SEES_DIRECTIVE),
        Case(
            "GET",
            "/directives/<int:directive_id>/cancel",
            f"/directives/{d}/cancel",
            frozenset({"supervisor", "admin"}),
        ),
        Case(
            "POST",
            "/directives/<int:directive_id>/cancel",
            f"/directives/{d}/cancel",
            frozenset({"supervisor", "admin"}),
            data={"reason": ""},
        ),
        Case(
            "GET",
            "/directives/<int:directive_id>/<any(suspend, resume):action>",
            f"/directives/{d}/suspend",
            frozenset({"supervisor", "admin"}),
        ),
        Case(
            "POST",
            "/directives/<int:directive_id>/<any(suspend, resume):action>",
            f"/directives/{d}/resume",
            frozenset({"supervisor", "admin"}),
            data={"reason": "not suspended"},
        ),
        Case(
            "GET",
            "/directives/<int:directive_id>/trail.json",
            f"/directives/{d}/trail.json",
            SEES_DIRECTIVE,
        ),
        *_entry_cases(w),
        Case("GET", "/admin/models", "/admin/models", admin_only),
        Case("GET", "/admin/models/edit", "/admin/models/edit", admin_only),
        Case(
            "GET",
            "/admin/models/versions/<int:version_id>",
            f"/admin/models/versions/{w.version_id}",
            admin_only,
        ),
        Case(
            "GET",
            "/admin/models/versions/<int:version_id>/bpmn",
            f"/admin/models/versions/{w.version_id}/bpmn",
            admin_only,
        ),
        Case(
            "GET",
            "/admin/models/versions/<int:version_id>/edit",
            f"/admin/models/versions/{w.version_id}/edit",
            admin_only,
        ),
        Case(
            "POST",
            "/admin/models/versions",
            "/admin/models/versions",
            admin_only,
            json={"xml": "<not-bpmn/>", "comment": ""},
        ),
        Case("POST", "/admin/models/upload", "/admin/models/upload", admin_only, data={}),
        Case(
            "GET",
            "/admin/models/versions/<int:version_id>/publish",
            f"/admin/models/versions/{w.version_id}/publish",
            admin_only,
        ),
        Case(
            "POST",
            "/admin/models/versions/<int:version_id>/publish",
            f"/admin/models/versions/{w.version_id}/publish",
            admin_only,
            data={},
        ),
        Case(
            "GET",
            "/admin/models/versions/<int:version_id>/migrate",
            f"/admin/models/versions/{w.version_id}/migrate",
            admin_only,
        ),
        Case(
            "POST",
            "/admin/models/versions/<int:version_id>/migrate",
            f"/admin/models/versions/{w.version_id}/migrate",
            admin_only,
            data={},
        ),
        Case("GET", "/work/<item_id>", f"/work/{item}", SEES_DIRECTIVE),
        Case(
            "POST",
            "/work/<item_id>",
            f"/work/{item}",
            frozenset({"unit_head", "unit_staff"}),
            data={"note": "x" * 20_001},
        ),
        Case(
            "POST",
            "/assignments/<int:assignment_id>/hand-over",
            f"/assignments/{a}/hand-over",
            frozenset({"unit_head"}),
            data={"assignee": "", "back": "/inbox"},
        ),
        Case(
            "POST",
            "/assignments/<int:assignment_id>/extension",
            f"/assignments/{a}/extension",
            frozenset({"unit_head"}),
            data={"reason": "x", "proposed_due_on": "2000-01-01"},
        ),
        Case(
            "GET",
            "/extensions/<int:request_id>",
            f"/extensions/{w.extension_id}",
            frozenset({"supervisor"}),
        ),
        Case(
            "POST",
            "/extensions/<int:request_id>",
            f"/extensions/{w.extension_id}",
            frozenset({"supervisor"}),
            data={"decision": "refuse", "reason": ""},
        ),
        Case("GET", "/files/<int:attachment_id>", f"/files/{w.attachment_id}", SEES_DIRECTIVE),
        Case(
            "GET",
            "/files/<int:attachment_id>/view",
            f"/files/{w.attachment_id}/view",
            SEES_DIRECTIVE,
        ),
        Case("GET", "/delegations", "/delegations", ALL),
        Case(
            "POST",
            "/delegations",
            "/delegations",
            frozenset({"supervisor", "unit_head", "other_unit"}),
            data={"deputy": "", "starts_on": "", "ends_on": ""},
        ),
        Case(
            "POST",
            "/delegations/<int:delegation_id>/end",
            f"/delegations/{w.delegation_id}/end",
            frozenset({"unit_head"}),
            data={},
        ),
        Case("GET", "/admin/users", "/admin/users", admin_only),
        Case("GET", "/admin/users/new", "/admin/users/new", admin_only),
        Case("POST", "/admin/users/new", "/admin/users/new", admin_only, data={}),
        Case("GET", "/admin/users/<int:user_id>", f"/admin/users/{w.user_id}", admin_only),
        Case(
            "POST",
            "/admin/users/<int:user_id>",
            f"/admin/users/{w.user_id}",
            admin_only,
            data={"full_name": ""},
        ),
        Case("GET", "/admin/incidents", "/admin/incidents", admin_only),
        Case(
            "POST",
            "/admin/incidents/<int:incident_id>/retry",
            "/admin/incidents/1/retry",
            admin_only,
            data={},
        ),
        Case(
            "POST",
            "/admin/users/<int:user_id>/sign-out",
            f"/admin/users/{w.user_id}/sign-out",
            admin_only,
            data={},
        ),
        Case("GET", "/admin/units", "/admin/units", admin_only),
        Case("GET", "/admin/forms", "/admin/forms", admin_only),
        Case("GET", "/admin/forms/new", "/admin/forms/new", admin_only),
        Case("POST", "/admin/forms/new", "/admin/forms/new", admin_only, data={}),
        Case("GET", "/admin/forms/<key>", "/admin/forms/legal_review", admin_only),
        Case(
            "POST",
            "/admin/forms/<key>",
            "/admin/forms/legal_review",
            admin_only,
            data={"title": "", "schema": "{}"},
        ),
        Case("GET", "/admin/forms/<key>/delete", "/admin/forms/legal_review/delete", admin_only),
        Case(
            "POST",
            "/admin/forms/<key>/delete",
            "/admin/forms/legal_review/delete",
            admin_only,
            data={},
        ),
        Case("GET", "/admin/calendar", "/admin/calendar", admin_only),
        Case("GET", "/admin/audit", "/admin/audit?action=user_created&target=a", admin_only),
        Case("POST", "/admin/calendar", "/admin/calendar", admin_only, data={}),
        Case("GET", "/admin/units/new", "/admin/units/new", admin_only),
        Case("POST", "/admin/units/new", "/admin/units/new", admin_only, data={}),
        Case("GET", "/admin/units/<int:unit_id>", f"/admin/units/{w.unit_id}", admin_only),
        Case(
            "POST",
            "/admin/units/<int:unit_id>",
            f"/admin/units/{w.unit_id}",
            admin_only,
            data={"name": ""},
        ),
        Case("GET", "/api/v1/me", "/api/v1/me", ALL),
        Case("GET", "/api/v1/inbox", "/api/v1/inbox", ALL),
        Case("GET", "/api/v1/directives", "/api/v1/directives", ALL),
        Case("GET", "/api/v1/statistics", "/api/v1/statistics?by=issuer", ALL),
        Case("GET", "/api/v1/reports/tasks.xlsx", "/api/v1/reports/tasks.xlsx", ALL),
        Case(
            "POST",
            "/api/v1/directives",
            "/api/v1/directives",
            frozenset({"clerk", "supervisor"}),
            json=_api_directive(w),
        ),
        Case(
            "GET",
            "/api/v1/directives/<int(min=1, max=2147483647):directive_id>",
            f"/api/v1/directives/{d}",
            SEES_DIRECTIVE,
        ),
        Case(
            "GET",
            "/api/v1/directives/<int(min=1, max=2147483647):directive_id>/history",
            f"/api/v1/directives/{d}/history",
            SEES_DIRECTIVE,
        ),
        Case(
            "POST",
            "/api/v1/directives/<int(min=1, max=2147483647):directive_id>/cancel",
            f"/api/v1/directives/{d}/cancel",
            frozenset({"supervisor", "admin"}),
            json={"reason": "   "},
        ),
        Case(
            "POST",
            "/api/v1/work-items/<uuid:work_item_id>/complete",
            f"/api/v1/work-items/{item}/complete",
            frozenset({"unit_head", "unit_staff"}),
            json={"step": "report", "text": "too early"},
        ),
        Case(
            "POST",
            "/api/v1/assignments/<int(min=1, max=2147483647):assignment_id>/hand-over",
            f"/api/v1/assignments/{a}/hand-over",
            frozenset({"unit_head"}),
            json={"assignee_id": None},
        ),
    ]


def _entry_cases(w: World) -> list[Case]:
    """The entry pages: drafts, templates, corrections, the task spreadsheet, the proposal."""
    d, enterers = w.directive_id, frozenset({"clerk", "supervisor"})
    return [
        Case("GET", "/directives/drafts", "/directives/drafts", enterers),
        Case(
            "POST",
            "/directives/drafts/<int:draft_id>/delete",
            "/directives/drafts/999/delete",
            enterers,
            data={},
        ),
        Case("GET", "/directives/templates", "/directives/templates", enterers),
        Case(
            "POST",
            "/directives/templates/<int:template_id>/delete",
            "/directives/templates/999/delete",
            enterers,
            data={},
        ),
        Case(
            "POST",
            "/directives/<int:directive_id>/template",
            f"/directives/{d}/template",
            enterers,
            data={"name": ""},
        ),
        Case(
            "GET",
            "/directives/<int:directive_id>/correct",
            f"/directives/{d}/correct",
            enterers,
        ),
        Case(
            "POST",
            "/directives/<int:directive_id>/correct",
            f"/directives/{d}/correct",
            enterers,
            data={},
        ),
        Case(
            "GET", "/directives/import-template.xlsx", "/directives/import-template.xlsx", enterers
        ),
        Case(
            "POST",
            "/api/v1/directives/proposal",
            "/api/v1/directives/proposal",
            enterers,
            json={"text": ""},
        ),
    ]


def _api_directive(w: World) -> dict[str, Any]:
    return {
        "number": f"{w.directive_id}/CV-API",
        "kind": "cong_van",
        "issuer": "Sở KH&CN",
        "issued_on": date.today().isoformat(),
        "title": "Qua API",
        "tasks": [{"content": "Một việc", "lead_units": ["QLKH"]}],
    }


def _send(client: FlaskClient, case: Case, token: str | None) -> Any:
    headers = {"X-CSRFToken": token} if token and case.json is not None else {}
    if case.method == "GET":
        return client.get(case.path)
    if case.json is not None:
        return client.post(case.path, json=case.json, headers=headers)
    return client.post(case.path, data={**(case.data or {}), "csrf_token": token or ""})


def _allowed(response: Any) -> bool:
    if response.status_code in (302, 303):
        return "/login?next=" not in response.headers["Location"]
    return response.status_code < 400 or response.status_code in (409, 422)


def test_the_table_names_every_route(app: Flask, world: World) -> None:
    covered = {(c.method, c.rule) for c in cases(world)}
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in covered, f"{method} {rule.rule} is not in the table"


@pytest.mark.parametrize("role", sorted(PEOPLE))
def test_each_role_gets_exactly_what_it_may(
    role: str, app: Flask, world: World, client_for: Callable[[str], FlaskClient]
) -> None:
    wrong = []
    for case in cases(world):
        client = client_for(PEOPLE[role])
        token = csrf_token(client, "/inbox")
        response = _send(client, case, token)
        response.close()
        allowed = _allowed(response)
        if allowed != (role in case.allowed):
            wrong.append(
                f"{case.method} {case.path}: {response.status_code} {response.data[:300]!r}"
            )
        if not allowed:
            assert response.status_code in (403, 404), (case.path, response.status_code)
            assert b"R\xc3\xa0 so\xc3\xa1t" not in response.data  # never the task's text
    assert wrong == [], f"{role} got the wrong answer for: {wrong}"


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, world: World) -> None:
    for case in cases(world):
        client = app.test_client()
        response = _send(client, case, csrf_token(client, "/login"))
        response.close()
        if case.rule.startswith("/api/"):
            assert response.status_code == 401, case.path
            assert response.is_json
        elif case.method == "POST" and case.rule == "/logout":
            assert response.status_code == 302
        else:
            assert response.status_code == 302, case.path
            assert "/login?next=" in response.headers["Location"], case.path
