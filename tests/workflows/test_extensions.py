"""Extensions (gia hạn): asked by the unit head, decided by a leader; timers follow the new date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.helpers import item_of, snapshot
from tests.workflows.conftest import small_directive
from workflows import directives, extensions
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.errors import InvalidInput, NotAssignedToUnit, RoleRequired
from workflows.read import detail as queries
from workflows.read import notifications as notices
from workflows.settings import Settings
from workflows.steps import unit_work as steps


def _khtc(db: Database, users, directive_id: int):
    detail = queries.directive_detail(db, users["giamdoc"], directive_id)
    return next(a for t in detail.tasks for a in t.assignments if a.unit_code == "KHTC")


def _timers(db: Database, directive_id: int, assignment_id: int) -> dict[str, datetime]:
    from workflows.tables import Directive

    with db.reading() as session:
        instance = session.get(Directive, directive_id).process_instance_id
        return {
            t.properties["notify"]: t.due_at
            for t in db.processes.waiting_timers(session, instance)
            if t.ref == str(assignment_id) and t.due_at.year < 9999
        }


def test_a_granted_extension_moves_the_deadline_the_reminder_and_the_overdue_timer(
    db: Database, users, assigned_small, today: date
) -> None:
    khtc = _khtc(db, users, assigned_small)
    old = _timers(db, assigned_small, khtc.id)
    wanted = today + timedelta(days=30)
    request_id = extensions.request_extension(
        db, users["truong.khtc"], khtc.id, "Chờ số liệu quyết toán", wanted
    )
    (pending,) = extensions.extension_requests(db, users["giamdoc"], pending_only=True)

    told = [n.kind for n in notices.list_notifications(db, users["phogiamdoc"])]
    assert told == ["extension_requested"]
    assert "extension_requested" not in [
        n.kind for n in notices.list_notifications(db, users["truong.khtc"])
    ]
    assert (pending.id, pending.proposed_due_on, pending.unit_code) == (request_id, wanted, "KHTC")
    granted = today + timedelta(days=25)
    extensions.decide_extension(db, users["giamdoc"], request_id, True, granted, "Đồng ý")
    after = _khtc(db, users, assigned_small)
    assert after.original_due_at == khtc.due_at
    assert after.due_at > khtc.due_at
    assert after.due_at.astimezone(db.settings.tz).date() >= granted
    new = _timers(db, assigned_small, khtc.id)
    assert new["overdue"] == after.due_at
    assert new["reminder"] > old["reminder"]
    assert item_of(db, users["cv.khtc"], "execute").due_at == after.due_at
    kinds = [e.kind for e in queries.history_of(db, users["giamdoc"], assigned_small)]
    assert kinds[-2:] == ["extension_requested", "extension_granted"]


def test_on_time_after_extension_is_told_apart_from_on_time(
    db: Database, users, assigned_small, today
) -> None:
    khtc = _khtc(db, users, assigned_small)
    request_id = extensions.request_extension(
        db, users["truong.khtc"], khtc.id, "Cần thêm thời gian", today + timedelta(days=40)
    )
    extensions.decide_extension(db, users["giamdoc"], request_id, True)
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    late_for_the_old_date = khtc.due_at + timedelta(days=3)
    steps.submit_report(
        db,
        users["truong.khtc"],
        item_of(db, users["truong.khtc"], "report").work_item_id,
        "xong",
        now=late_for_the_old_date,
    )
    steps.accept_report(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "accept", task_no=1).work_item_id
    )
    done = _khtc(db, users, assigned_small)
    assert (done.timeliness, done.timeliness_original) == ("on_time", "late")


@pytest.mark.parametrize(
    ("who", "reason", "days", "error"),
    [
        ("cv.khtc", "x", 30, RoleRequired),
        ("truong.vp", "x", 30, NotAssignedToUnit),
        ("truong.khtc", " ", 30, InvalidInput),
        ("truong.khtc", "x", -1, InvalidInput),
    ],
)
def test_bad_requests_are_refused(
    db: Database, users, assigned_small, today, who, reason, days, error
) -> None:
    khtc = _khtc(db, users, assigned_small)
    day = khtc.due_at.astimezone(db.settings.tz).date() + timedelta(days=days)
    before = snapshot(db)
    with pytest.raises(error):
        extensions.request_extension(db, users[who], khtc.id, reason, day)
    assert snapshot(db) == before


def test_one_pending_request_at_a_time_and_refusal_needs_a_reason(
    db: Database, users, assigned_small, today
) -> None:
    khtc = _khtc(db, users, assigned_small)
    later = today + timedelta(days=30)
    first = extensions.request_extension(db, users["truong.khtc"], khtc.id, "lý do", later)
    with pytest.raises(InvalidInput):
        extensions.request_extension(db, users["truong.khtc"], khtc.id, "lần hai", later)
    with pytest.raises(RoleRequired):
        extensions.decide_extension(db, users["truong.khtc"], first, True)
    with pytest.raises(InvalidInput):
        extensions.decide_extension(db, users["giamdoc"], first, False, reason="")
    extensions.decide_extension(db, users["giamdoc"], first, False, reason="Không có căn cứ")
    assert _khtc(db, users, assigned_small).due_at == khtc.due_at
    with pytest.raises(InvalidInput):
        extensions.decide_extension(db, users["giamdoc"], first, True)


@pytest.mark.parametrize("allowed", [False, True])
def test_after_the_deadline_only_if_the_settings_allow(
    db_url: str, users, today, allowed: bool
) -> None:
    db = Database(db_url, Settings(late_extension_requests=allowed))
    try:
        due = datetime.now(UTC) + timedelta(seconds=1)
        data = replace(
            small_directive(today, "9/LATE"),
            tasks=(TaskInput("Gấp", ("QLKH",), (), due.date(), due_at=due),),
        )
        directive_id = directives.create_directive(db, users["vanthu"], data)
        directives.assign_directive(
            db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
        )
        detail = queries.directive_detail(db, users["giamdoc"], directive_id)
        (qlkh,) = detail.tasks[0].assignments
        after_due = datetime.now(UTC) + timedelta(seconds=2)
        if allowed:
            assert (
                extensions.request_extension(
                    db,
                    users["truong.qlkh"],
                    qlkh.id,
                    "trễ",
                    today + timedelta(days=5),
                    now=after_due,
                )
                > 0
            )
        else:
            with pytest.raises(InvalidInput):
                extensions.request_extension(
                    db,
                    users["truong.qlkh"],
                    qlkh.id,
                    "trễ",
                    today + timedelta(days=5),
                    now=after_due,
                )
    finally:
        db.dispose()


def test_deadlines_in_the_past_are_refused(db: Database, users, today) -> None:
    past = replace(
        small_directive(today),
        tasks=(TaskInput("Hôm qua", ("KHTC",), (), today - timedelta(days=1)),),
    )
    with pytest.raises(InvalidInput) as caught:
        directives.create_directive(
            db, users["vanthu"], replace(past, issued_on=today - timedelta(days=5))
        )
    assert "already past" in caught.value.fields["tasks[1]"]
