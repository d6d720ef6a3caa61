"""The JSON API through the test client: auth, every endpoint, and every kind of error."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import workflows
from web.app import create_app, database
from workflows.access.tokens import create_token

Headers = dict[str, str]
V1 = "/api/v1"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "test",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    yield application
    application.extensions["dondoc.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask) -> Callable[[str], Headers]:
    """Bearer headers of a demo user (one token per user, made on first use)."""
    made: dict[str, Headers] = {}

    def headers(username: str) -> Headers:
        if username not in made:
            made[username] = {"Authorization": f"Bearer {create_token(database(app), username)}"}
        return made[username]

    return headers


def directive_body(issued_on: date, number: str = "5/CT-UBND", **changes: Any) -> dict[str, Any]:
    """A directive as a client posts it: two tasks over three units."""
    body = {
        "number": number,
        "kind": "chi_thi",
        "issuer": "UBND tỉnh Lạng Sơn",
        "issued_on": issued_on.isoformat(),
        "title": "Tăng cường chuyển đổi số",
        "tasks": [
            {
                "content": "Xây dựng kế hoạch",
                "lead_units": ["QLKH"],
                "coordinating_units": ["VP"],
                "due_on": (max(issued_on, date.today()) + timedelta(days=30)).isoformat(),
            },
            {
                "content": "Báo cáo định kỳ",
                "lead_units": ["QLCN"],
                "reporting": "quarterly",
                "reporting_until": (date.today() + timedelta(days=400)).isoformat(),
            },
        ],
    }
    return body | changes


def items(client: FlaskClient, headers: Headers, step: str | None = None) -> list[dict[str, Any]]:
    """The caller's inbox items (of one step)."""
    query = {"per_page": 200} | ({"step": step} if step else {})
    response = client.get(f"{V1}/inbox", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return list(response.json["items"])


def item_id(client: FlaskClient, headers: Headers, step: str, task_no: int | None = None) -> str:
    """The one work item of a step (for a task) in the caller's inbox."""
    found = [i for i in items(client, headers, step) if task_no in (None, i["task_no"])]
    assert len(found) == 1, found
    return str(found[0]["work_item_id"])


def complete(client: FlaskClient, headers: Headers, work_item: str, **body: Any) -> TestResponse:
    """Post the completion of a step."""
    return client.post(f"{V1}/work-items/{work_item}/complete", json=body, headers=headers)


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    """Check an error answer's status and shape; return its error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    return dict(error)


def sign_in(client: FlaskClient, username: str, password: str) -> str:
    """Sign in through the login form; return the API's CSRF token for this session."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    form = {"username": username, "password": password, "csrf_token": token.group(1)}
    assert client.post("/login", data=form).status_code == 302
    return str(client.get(f"{V1}/me").json["csrf_token"])


# --- the document and authentication --------------------------------------------------------


def test_openapi_document_describes_every_endpoint_and_the_bearer_scheme(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "Đôn đốc API"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert {"bearerAuth": []} in spec["security"]
    assert set(spec["paths"]) == {
        "/api/v1/directives",
        "/api/v1/directives/{directive_id}",
        "/api/v1/directives/{directive_id}/history",
        "/api/v1/directives/{directive_id}/cancel",
        "/api/v1/directives/proposal",
        "/api/v1/inbox",
        "/api/v1/work-items/{work_item_id}/complete",
        "/api/v1/assignments/{assignment_id}/hand-over",
        "/api/v1/me",
        "/api/v1/statistics",
        "/api/v1/reports/tasks.xlsx",
    }
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"code", "message", "details"}


def test_a_call_without_credentials_is_401_with_a_bearer_challenge(client) -> None:
    response = client.get(f"{V1}/directives")
    assert error_of(response, 401)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer dd_not-a-real-token", "Basic Z2lhbWRvYzp4", "Bearer"])
def test_a_bad_token_is_401(client, header: str) -> None:
    response = client.get(f"{V1}/me", headers={"Authorization": header})
    assert error_of(response, 401)["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_identifies_its_user(client, auth) -> None:
    director = client.get(f"{V1}/me", headers=auth("giamdoc")).json
    staff = client.get(f"{V1}/me", headers=auth("cv.khtc")).json
    assert (director["username"], director["roles"]) == ("giamdoc", ["director", "supervisor"])
    assert (staff["unit_code"], staff["roles"]) == ("KHTC", ["unit_staff"])
    assert director["csrf_token"] is None


def test_the_session_cookie_works_and_writes_need_the_csrf_header(
    client, passwords, assigned_small
) -> None:
    csrf_token = sign_in(client, "giamdoc", passwords["giamdoc"])
    assert client.get(f"{V1}/directives/{assigned_small}").status_code == 200
    cancel = f"{V1}/directives/{assigned_small}/cancel"
    assert error_of(client.post(cancel, json={"reason": "r"}), 400)["code"] == "csrf_failed"
    wrong = client.post(cancel, json={"reason": "r"}, headers={"X-CSRFToken": "forged"})
    assert error_of(wrong, 400)["code"] == "csrf_failed"
    response = client.post(
        cancel, json={"reason": "Đã thay thế"}, headers={"X-CSRFToken": csrf_token}
    )
    assert response.status_code == 204


def test_a_bearer_call_needs_no_csrf_header(client, auth, assigned_small) -> None:
    cancel = f"{V1}/directives/{assigned_small}/cancel"
    assert client.post(cancel, json={"reason": "r"}, headers=auth("giamdoc")).status_code == 204


# --- directives -------------------------------------------------------------------------------


def test_entering_a_directive_answers_201_with_its_location(client, auth, today) -> None:
    response = client.post(f"{V1}/directives", json=directive_body(today), headers=auth("vanthu"))
    assert response.status_code == 201
    new_id = response.json["id"]
    assert response.headers["Location"].endswith(f"{V1}/directives/{new_id}")
    detail = client.get(response.headers["Location"], headers=auth("vanthu")).json
    assert (detail["status"], detail["issued_on"]) == ("assigning", today.isoformat())
    first, second = detail["tasks"]
    assert [a["unit_code"] for a in first["assignments"]] == ["QLKH", "VP"]
    assert first["due_on"] == (today + timedelta(days=30)).isoformat()
    assert second["due_on"] is None
    assert len(detail["open_work_items"]) == 1


def test_the_directive_detail_has_tasks_assignments_state_and_timeliness(
    client, auth, assigned_small
) -> None:
    detail = client.get(f"{V1}/directives/{assigned_small}", headers=auth("truong.khtc")).json
    assert [t["number"] for t in detail["tasks"]] == [1, 2, 3]
    lead = detail["tasks"][0]["assignments"][0]
    assert (lead["unit_code"], lead["role"], lead["state"]) == ("KHTC", "lead", "assigned")
    assert lead["open_steps"] == ["execute"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", lead["due_at"])
    assert lead["timeliness"] == "in_term"
    assert detail["tasks"][2]["assignments"][0]["timeliness"] == "no_deadline"
    assert sum(detail["timeliness_counts"].values()) == 5


def test_the_list_filters_and_pages(client, auth, assigned_small, today) -> None:
    earlier = today - timedelta(days=40)
    body = directive_body(earlier, title="Chỉ thị về đo lường")
    client.post(f"{V1}/directives", json=body, headers=auth("vanthu"))
    director = auth("giamdoc")

    def numbers(**query: Any) -> list[str]:
        response = client.get(f"{V1}/directives", query_string=query, headers=director)
        assert response.status_code == 200
        return [row["number"] for row in response.json["items"]]

    assert numbers() == ["12/TB-SKHCN", "5/CT-UBND"]
    assert numbers(status="assigning") == ["5/CT-UBND"]
    assert numbers(unit="KHTC") == ["12/TB-SKHCN"]
    assert numbers(q="do luong") == ["5/CT-UBND", "12/TB-SKHCN"]  # title first; 12/TB's task
    assert numbers(q="chi thi ve do luong") == ["5/CT-UBND"]
    assert numbers(issued_from=today.isoformat()) == ["12/TB-SKHCN"]
    assert numbers(issued_to=earlier.isoformat()) == ["5/CT-UBND"]
    assert numbers(per_page=1, page=2) == ["5/CT-UBND"]
    assert numbers(overdue="true") == []
    page = client.get(f"{V1}/directives", headers=director).json
    assert (page["total"], page["page"], page["per_page"]) == (2, 1, 20)
    assert page["items"][0]["assignments"] == 5


def test_a_unit_lists_only_the_directives_addressed_to_it(
    client, auth, assigned_small, today
) -> None:
    client.post(f"{V1}/directives", json=directive_body(today), headers=auth("vanthu"))
    khtc = client.get(f"{V1}/directives", headers=auth("cv.khtc")).json
    assert [row["id"] for row in khtc["items"]] == [assigned_small]


def test_another_units_directive_is_403_and_an_unknown_one_404(
    client, auth, assigned_small
) -> None:
    qlkh = auth("cv.qlkh")
    for path in (f"{V1}/directives/{assigned_small}", f"{V1}/directives/{assigned_small}/history"):
        assert error_of(client.get(path, headers=qlkh), 403)["code"] == "forbidden"
    for path in (f"{V1}/directives/9999", f"{V1}/directives/9999/history"):
        assert error_of(client.get(path, headers=qlkh), 404)["code"] == "not_found"


def test_the_history_lists_every_change_oldest_first(client, auth, assigned_small) -> None:
    events = client.get(f"{V1}/directives/{assigned_small}/history", headers=auth("giamdoc")).json[
        "items"
    ]
    assert [e["kind"] for e in events[:2]] == ["directive_created", "directive_assigned"]
    assert events[1]["after"]["status"] == "in_progress"
    assert events[1]["actor"]
    assert re.fullmatch(r".+[+-]\d\d:\d\d", events[0]["at"])


def test_only_clerks_and_supervisors_enter_directives(client, auth, today) -> None:
    response = client.post(f"{V1}/directives", json=directive_body(today), headers=auth("cv.vp"))
    error = error_of(response, 403)
    assert error["code"] == "role_required"
    assert set(error["details"]["roles"]) == {"clerk", "supervisor"}


def test_a_wrong_body_is_422_with_the_fields_at_fault(client, auth, today) -> None:
    body = directive_body(today, kind="luat", extra=1) | {"issued_on": "hôm qua"}
    body["tasks"][0]["lead_units"] = []
    error = error_of(client.post(f"{V1}/directives", json=body, headers=auth("vanthu")), 422)
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {
        "kind",
        "issued_on",
        "extra",
        "tasks.0.lead_units",
    }


def test_what_the_domain_refuses_is_422_with_its_fields(client, auth, today) -> None:
    body = directive_body(today)
    body["tasks"][1]["lead_units"] = ["NOWHERE"]
    error = error_of(client.post(f"{V1}/directives", json=body, headers=auth("vanthu")), 422)
    assert error["code"] == "invalid_input"
    assert error["details"]["fields"] == {"tasks[2]": ["unknown units: NOWHERE"]}


def test_malformed_json_is_400(client, auth) -> None:
    response = client.post(
        f"{V1}/directives",
        data='{"number": ',
        content_type="application/json",
        headers=auth("vanthu"),
    )
    assert error_of(response, 400)["code"] == "invalid_json"


def test_bad_query_parameters_are_400_with_their_names(client, auth) -> None:
    query = {"page": "0", "status": "lost", "issued_from": "tomorrow"}
    response = client.get(f"{V1}/directives", query_string=query, headers=auth("giamdoc"))
    error = error_of(response, 400)
    assert error["code"] == "invalid_query"
    assert set(error["details"]["fields"]) == {"page", "status", "issued_from"}


def test_cancelling_takes_a_reason_and_happens_once(client, auth, assigned_small) -> None:
    director, cancel = auth("giamdoc"), f"{V1}/directives/{assigned_small}/cancel"
    assert error_of(client.post(cancel, json={"reason": " "}, headers=director), 422)
    assert error_of(client.post(cancel, json={}, headers=director), 422)
    assert error_of(client.post(cancel, json={"reason": "r"}, headers=auth("cv.khtc")), 403)
    assert client.post(cancel, json={"reason": "Thay thế"}, headers=director).status_code == 204
    again = client.post(cancel, json={"reason": "r"}, headers=director)
    assert error_of(again, 409)["code"] == "directive_not_active"
    detail = client.get(f"{V1}/directives/{assigned_small}", headers=director).json
    assert detail["status"] == "cancelled"
    assert items(client, auth("cv.khtc")) == []


# --- work ------------------------------------------------------------------------------------


def test_the_inbox_shows_the_callers_steps_with_counts(client, auth, assigned_small) -> None:
    vp = auth("truong.vp")
    inbox = client.get(f"{V1}/inbox", headers=vp).json
    assert inbox["counts"] == {"execute": 2}
    assert [i["task_no"] for i in inbox["items"]] == [1, 3]  # soonest due first, none last
    by_directive = client.get(f"{V1}/inbox", query_string={"sort": "directive"}, headers=vp)
    assert {i["task_no"] for i in by_directive.json["items"]} == {1, 3}
    assert items(client, vp, "report") == []
    paged = client.get(f"{V1}/inbox", query_string={"per_page": 1, "page": 2}, headers=vp).json
    assert (paged["total"], len(paged["items"])) == (2, 1)
    assert client.get(f"{V1}/inbox", query_string={"overdue": "1"}, headers=vp).json["total"] == 0
    bad = client.get(f"{V1}/inbox", query_string={"sort": "random"}, headers=vp)
    assert error_of(bad, 400)["details"]["fields"] == {
        "sort": ["Must be one of: due, waiting, directive."]
    }


def test_a_lead_units_steps_run_through_the_api(client, auth, assigned_small) -> None:
    staff, head, director = auth("cv.khtc"), auth("truong.khtc"), auth("giamdoc")
    done = complete(client, staff, item_id(client, staff, "execute"), note="Bắt đầu")
    assert done.json == {
        "work_item_id": done.json["work_item_id"],
        "step": "execute",
        "directive_id": assigned_small,
    }
    assert (
        complete(client, head, item_id(client, head, "report"), text="Đã rà soát").status_code
        == 200
    )
    accept = item_id(client, director, "accept", task_no=1)
    returned = complete(client, director, accept, decision="return", comment="Thiếu số liệu")
    assert returned.status_code == 200
    assert items(client, staff, "execute") == []  # the redo starts at the report
    redo = item_id(client, head, "report")
    wrong = error_of(complete(client, head, redo, keep=[999_999], text="x"), 422)
    assert "attachments" in wrong["details"]["fields"]  # only files of the earlier rounds
    complete(client, head, redo, text="Bổ sung số liệu")
    accept = item_id(client, director, "accept", task_no=1)
    assert complete(client, director, accept, decision="accept").status_code == 200
    detail = client.get(f"{V1}/directives/{assigned_small}", headers=head).json
    lead = detail["tasks"][0]["assignments"][0]
    assert (lead["state"], lead["attempt"]) == ("accepted", 2)
    assert [r["decision"] for r in lead["reports"]] == ["returned", "accepted"]


def test_a_contribution_is_acknowledged_by_the_lead_unit(client, auth, assigned_small) -> None:
    vp, vp_head, khtc_head = auth("cv.vp"), auth("truong.vp"), auth("truong.khtc")
    complete(client, vp, item_id(client, vp, "execute", task_no=1))
    sent = complete(client, vp_head, item_id(client, vp_head, "contribute", 1), text="Góp ý")
    assert sent.status_code == 200
    acknowledge = item_id(client, khtc_head, "acknowledge", task_no=1)
    missing = complete(client, khtc_head, acknowledge, decision="return")
    assert error_of(missing, 422)["details"]["fields"] == {
        "comment": ["say why the contribution is sent back"]
    }
    assert complete(client, khtc_head, acknowledge, decision="accept").json["step"] == "acknowledge"


def test_the_supervisor_assigns_with_edited_tasks(client, auth, today) -> None:
    created = client.post(f"{V1}/directives", json=directive_body(today), headers=auth("vanthu"))
    director = auth("giamdoc")
    edited = [{"content": "Chỉ một nhiệm vụ", "lead_units": ["TTUD"]}]
    assign = item_id(client, director, "assign")
    assert complete(client, director, assign, step="assign", tasks=edited).status_code == 200
    detail = client.get(created.headers["Location"], headers=director).json
    assert detail["status"] == "in_progress"
    assert [a["unit_code"] for t in detail["tasks"] for a in t["assignments"]] == ["TTUD"]


def test_completing_a_step_twice_is_409_with_who_did_it(client, auth, assigned_small) -> None:
    staff = auth("cv.khtc")
    execute = item_id(client, staff, "execute")
    assert complete(client, staff, execute).status_code == 200
    error = error_of(complete(client, staff, execute), 409)
    assert error["code"] == "task_no_longer_ready"
    assert error["details"]["done_by"]
    assert re.fullmatch(r".+[+-]\d\d:\d\d", error["details"]["done_at"])


def test_naming_another_step_is_409_and_a_missing_field_422(client, auth, assigned_small) -> None:
    staff, head = auth("cv.khtc"), auth("truong.khtc")
    execute = item_id(client, staff, "execute")
    assert error_of(complete(client, staff, execute, step="report"), 409)["code"] == "wrong_step"
    complete(client, staff, execute)
    report = item_id(client, head, "report")
    error = error_of(complete(client, head, report), 422)
    assert error["details"]["fields"] == {"text": ["the report needs its result text"]}
    wrong_type = error_of(complete(client, head, report, text=5, decision="maybe"), 422)
    assert set(wrong_type["details"]["fields"]) == {"text", "decision"}


def test_another_units_step_is_403_and_an_unknown_one_404(client, auth, assigned_small) -> None:
    execute = item_id(client, auth("cv.khtc"), "execute")
    refused = complete(client, auth("cv.qlkh"), execute)
    assert error_of(refused, 403)["code"] == "forbidden"
    unknown = complete(client, auth("cv.khtc"), "00000000-0000-4000-8000-000000000000")
    assert error_of(unknown, 404)["code"] == "not_found"
    assert error_of(complete(client, auth("cv.khtc"), "not-a-uuid"), 404)


def test_the_unit_head_hands_an_assignment_over(client, auth, users, assigned_small) -> None:
    head = auth("truong.khtc")
    assignment = items(client, head, "execute")[0]["assignment_id"]
    hand_over = f"{V1}/assignments/{assignment}/hand-over"
    answer = client.post(hand_over, json={"assignee_id": users["cv.khtc"]}, headers=head)
    assert answer.status_code == 204
    assert items(client, head, "execute")[0]["assignee"]
    assert client.post(hand_over, json={"assignee_id": None}, headers=head).status_code == 204
    assert items(client, head, "execute")[0]["assignee"] is None
    other_unit = {"assignee_id": users["cv.vp"]}
    assert error_of(client.post(hand_over, json=other_unit, headers=head), 422)
    assert error_of(client.post(hand_over, json={}, headers=head), 422)
    staff = client.post(hand_over, json={"assignee_id": None}, headers=auth("cv.khtc"))
    assert error_of(staff, 403)["code"] == "role_required"


# --- what is not an endpoint ------------------------------------------------------------------


def test_unknown_api_routes_and_methods_answer_json(client, auth) -> None:
    assert error_of(client.get("/api/v2/anything", headers=auth("giamdoc")), 404)
    assert error_of(client.get(f"{V1}/nothing-here"), 404)["code"] == "not_found"
    response = client.delete(f"{V1}/directives", headers=auth("giamdoc"))
    assert error_of(response, 405)["details"]["allowed"] == ["GET", "HEAD", "OPTIONS", "POST"]
    assert "POST" in response.headers["Allow"]


def test_pages_keep_their_html_errors(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_a_body_too_large_is_413(client, auth) -> None:
    body = '{"reason": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = client.post(
        f"{V1}/directives/1/cancel",
        data=body,
        content_type="application/json",
        headers=auth("giamdoc"),
    )
    assert error_of(response, 413)["code"] == "request_too_large"


def test_an_unexpected_failure_is_a_logged_json_500(client, auth, monkeypatch, caplog) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workflows, "list_directives", broken)
    with caplog.at_level(logging.ERROR, logger="web.api.errors"):
        response = client.get(f"{V1}/directives", headers=auth("giamdoc"))
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert "disk on fire" not in response.get_data(as_text=True)
    assert "disk on fire" in caplog.text
