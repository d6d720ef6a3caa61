"""Delegations in the history: each one given or ended, by whom and when, on the delegations
page of the giver and the deputy; a delegation that expired or was ended lets the deputy act no
more; a leader delegates to another leader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import item_of, items_for
from tests.web.helpers import csrf_token
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.errors import PermissionDenied
from workflows.organisation import delegations
from workflows.steps import unit_work as steps
from workflows.tables import Event, User


def _name(db: Database, user_id: int) -> str:
    with db.reading() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.full_name


def _officer_drafts_task_1(db: Database, users: dict[str, int], today: date) -> str:
    """KHTC's officer drafts the report of task 1: the sign-off waits for KHTC's head."""
    directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    steps.hand_over(db, users["truong.khtc"], execute.assignment_id or 0, users["cv.khtc"])
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    report = item_of(db, users["cv.khtc"], "report", task_no=1)
    steps.submit_report(db, users["cv.khtc"], report.work_item_id, "Dự thảo")
    return item_of(db, users["truong.khtc"], "sign_off", task_no=1).work_item_id


def _signs(db: Database, user_id: int) -> set[str]:
    return {i.work_item_id for i in items_for(db, user_id, "sign_off")}


def test_the_delegations_page_tells_each_delegation_given_and_ended(
    db: Database, users, today: date, client_for
) -> None:
    head, deputy = users["truong.khtc"], users["pho.khtc"]
    leave = delegations.delegate(db, head, deputy, today, today + timedelta(days=2), "Nghỉ phép")
    trip = delegations.delegate(db, head, deputy, today + timedelta(days=5), today + timedelta(6))
    delegations.end_delegation(db, head, leave)
    rows = {r.id: r for r in delegations.delegations(db, deputy)}
    assert [e.kind for e in rows[leave].history] == ["delegation_created", "delegation_ended"]
    assert [e.kind for e in rows[trip].history] == ["delegation_created"]
    assert {e.by for r in rows.values() for e in r.history} == {_name(db, head)}
    for username in ("truong.khtc", "pho.khtc"):
        page = client_for(username).get("/delegations").get_data(as_text=True)
        assert page.count("Giao ủy quyền · ") == 2, username
        assert page.count("Kết thúc ủy quyền trước hạn · ") == 1, username
        assert f"Giao ủy quyền · {_name(db, head)}" in page
    assert "Giao ủy quyền" not in client_for("truong.vp").get("/delegations").get_data(as_text=True)


def test_an_expired_or_ended_delegation_lets_the_deputy_act_no_more(
    db: Database, users, today: date, client_for
) -> None:
    head, deputy = users["truong.khtc"], users["pho.khtc"]
    sign = _officer_drafts_task_1(db, users, today)
    long_ago = datetime.combine(today - timedelta(days=10), datetime.min.time(), UTC)
    delegations.delegate(
        db, head, deputy, today - timedelta(days=9), today - timedelta(days=8), now=long_ago
    )
    assert sign not in _signs(db, deputy)
    with pytest.raises(PermissionDenied):
        steps.sign_off(db, deputy, sign, True)
    assert "đã hết hạn" in client_for("pho.khtc").get("/delegations").get_data(as_text=True)
    running = delegations.delegate(db, head, deputy, today, today + timedelta(days=1))
    assert sign in _signs(db, deputy)  # the delegation at work: the deputy may sign it off
    delegations.end_delegation(db, head, running)
    assert sign not in _signs(db, deputy)
    with pytest.raises(PermissionDenied):
        steps.sign_off(db, deputy, sign, True)
    steps.sign_off(db, head, sign, True)
    assert item_of(db, users["phogiamdoc"], "accept", task_no=1).unit_code == "KHTC"


def test_a_leader_delegates_to_another_leader(db: Database, users, today: date, client_for) -> None:
    director, deputy = users["giamdoc"], users["phogiamdoc"]
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(db, director, item_of(db, director, "assign").work_item_id)
    execute = item_of(db, users["truong.vp"], "execute", task_no=3)
    steps.start_work(db, users["truong.vp"], execute.work_item_id)
    report = item_of(db, users["truong.vp"], "report", task_no=3)
    steps.submit_report(db, users["truong.vp"], report.work_item_id, "Báo cáo tháng")
    accept = item_of(db, director, "accept", task_no=3).work_item_id
    assert accept not in {i.work_item_id for i in items_for(db, deputy, "accept")}  # VP: not his
    deputies = {d.id for d in delegations.deputies(db, director)}
    assert deputy in deputies  # a leader, to another leader
    assert users["truong.vp"] not in deputies
    delegations.delegate(db, director, deputy, today, today, "Công tác Hà Nội")
    client = client_for("phogiamdoc")
    page = client.get(f"/work/{accept}").get_data(as_text=True)
    assert f"Anh/chị xử lý thay mặt {_name(db, director)} (ủy quyền)" in page
    done = client.post(
        f"/work/{accept}",
        data={"decision": "accept", "comment": "", "csrf_token": csrf_token(client, "/inbox")},
    )
    assert done.status_code == 302
    with db.reading() as session:
        event = session.scalars(select(Event).where(Event.kind == "report_accepted")).one()
        assert (event.actor_id, event.on_behalf_of_id) == (deputy, director)
    history = client.get(f"/directives/{directive_id}").get_data(as_text=True)
    assert (
        f'{_name(db, deputy)} <span class="text-body-secondary">(thay mặt {_name(db, director)})'
        in history
    )
