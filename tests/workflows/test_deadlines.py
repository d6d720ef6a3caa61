"""Deadline timers seen from the domain: recorded once per assignment, kind and due time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import deadlines, directives, queries, steps
from workflows.db import Database
from workflows.directives import TaskInput
from workflows.models import Event
from workflows.settings import Settings


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
        assert deadlines.fire_due_timers(db) == 0  # nothing else is due yet
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
    assert deadlines.fire_due_timers(db) == 0
    assert _timer_events(db) == []


def test_each_person_sees_and_clears_only_their_own_notices(
    db: Database, users, assigned_small
) -> None:
    from workflows import notifications

    khtc = notifications.list_notifications(db, users["truong.khtc"])
    vp = notifications.list_notifications(db, users["truong.vp"])
    assert [n.kind for n in khtc] == ["assigned"]
    assert sorted(n.kind for n in vp) == ["assigned", "assigned"]  # lead of 3, coordinates 1
    assert notifications.mark_read(db, users["truong.khtc"], [vp[0].id]) == 0
    assert notifications.unread_count(db, users["truong.vp"]) == 2
    assert notifications.mark_read(db, users["truong.vp"]) == 2
    assert notifications.unread_count(db, users["truong.vp"]) == 0
    assert notifications.list_notifications(db, users["cv.khtc"]) == []  # heads are told
