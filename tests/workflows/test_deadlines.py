"""Deadline timers seen from the domain: recorded once per assignment, kind and due time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import directives, timers
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.errors import RoleRequired
from workflows.organisation import calendar_days
from workflows.read import detail as queries
from workflows.read import notifications as notices
from workflows.settings import Settings
from workflows.steps import unit_work as steps
from workflows.tables import Event


def _timer_events(db: Database) -> list[tuple[str, int | None]]:
    with db.reading() as session:
        return list(
            session.execute(
                select(Event.kind, Event.assignment_id)
                .where(Event.kind.like("timer_%"))
                .order_by(Event.id)
            ).all()
        )


def test_a_reminder_already_due_at_assignment_is_recorded_once(db_url: str, users, today: date):
    # Due today with a reminder one day before: the reminder is due the moment work is assigned.
    db = Database(db_url, Settings(reminder_days=1))
    try:
        data = replace(small_directive(today), tasks=(TaskInput("Gấp", ("KHTC",), (), today),))
        directive_id = directives.create_directive(db, users["vanthu"], data)
        directives.assign_directive(
            db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
        )
        first = _timer_events(db)
        assert [kind for kind, _ in first] == ["timer_reminder"]
        # The report step re-arms the same reminder; the history keeps the first firing only.
        steps.start_work(
            db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id
        )
        assert _timer_events(db) == first
        assert timers.fire_due_timers(db) == 0  # nothing else is due yet
        kinds = [e.kind for e in queries.history_of(db, users["giamdoc"], directive_id)]
        assert kinds == [
            "directive_created",
            "directive_assigned",
            "timer_reminder",
            "work_started",
        ]
    finally:
        db.dispose()


def test_no_timer_fires_for_far_or_missing_due_dates(db: Database, users, assigned_small) -> None:
    assert timers.fire_due_timers(db) == 0
    assert _timer_events(db) == []


def test_each_person_sees_and_clears_only_their_own_notices(
    db: Database, users, assigned_small
) -> None:
    from workflows import notifications

    khtc = notices.list_notifications(db, users["truong.khtc"])
    vp = notices.list_notifications(db, users["truong.vp"])
    assert [n.kind for n in khtc] == ["assigned"]
    assert sorted(n.kind for n in vp) == ["assigned", "assigned"]  # lead of 3, coordinates 1
    assert notifications.mark_notifications_read(db, users["truong.khtc"], [vp[0].id]) == 0
    assert notices.unread_notifications(db, users["truong.vp"]) == 2
    assert notifications.mark_notifications_read(db, users["truong.vp"]) == 2
    assert notices.unread_notifications(db, users["truong.vp"]) == 0
    assert notices.list_notifications(db, users["cv.khtc"]) == []  # heads are told


def test_the_daily_digest_comes_once_a_day_to_those_with_late_or_near_steps(
    db: Database, users, today
) -> None:
    from datetime import UTC, datetime, timedelta

    from workflows import digest

    data = replace(
        small_directive(today),
        tasks=(
            TaskInput("Gần hạn", ("KHTC",), (), today + timedelta(days=1)),
            TaskInput("Còn lâu", ("QLKH",), (), today + timedelta(days=60)),
        ),
    )
    directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    morning = datetime.now(UTC)
    created = digest.create_digests(db, morning)
    assert created == 2  # the head and the officer of KHTC; QLKH has nothing near
    assert digest.create_digests(db, morning + timedelta(minutes=5)) == 2  # skipped by key
    kinds = [n.kind for n in notices.list_notifications(db, users["cv.khtc"])]
    assert kinds.count("digest") == 1
    assert [n.kind for n in notices.list_notifications(db, users["truong.qlkh"])].count(
        "digest"
    ) == 0


def test_a_declared_day_off_moves_the_deadlines_given_from_then_on(
    db: Database, users, today
) -> None:
    from datetime import timedelta

    from workflows.read import detail as queries

    due = today + timedelta(days=14)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    calendar_days.set_calendar_day(db, users["admin"], due, False, "Nghỉ bù")
    with pytest.raises(RoleRequired):
        calendar_days.set_calendar_day(db, users["giamdoc"], due, False)
    data = replace(small_directive(today), tasks=(TaskInput("Việc", ("KHTC",), (), due),))
    directive_id = directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    (khtc,) = queries.directive_detail(db, users["giamdoc"], directive_id).tasks[0].assignments
    assert khtc.due_at.astimezone(db.settings.tz).date() > due + timedelta(days=1)
    assert [d.day for d in calendar_days.calendar_days(db)] == [due]
