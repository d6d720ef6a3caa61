"""One failing instance never stops the other directives' timers (issue 10).

A directive whose diagram script raises when its reminder fires becomes an incident: recorded
with its error, in its directive's history, retried with back-off, skipped meanwhile; the
other directive's reminder fires at the same sweep, even when the failing one comes first.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import EngineLimits, ProcessEngine
from tests.engine import variants
from tests.helpers import items_for
from tests.workflows.conftest import small_directive
from workflows import directives, incidents, list_incidents, retry_incident_now, timers
from workflows.db import MODEL_RULES, PROJECTION_RULES, Database
from workflows.entry import TaskInput
from workflows.errors import RoleRequired
from workflows.tables import Directive, Event, Incident


def _publish(db: Database, xml: bytes) -> None:
    def run(session: Any) -> None:
        db.processes.save_model(session, "directive", xml, author="admin", publish=True)

    db.command(run)


def _assigned(db: Database, users: dict[str, int], number: str) -> int:
    """Enter and assign a one-task directive; return its id."""
    due_on = datetime.now(UTC).date() + timedelta(days=30)
    data = replace(
        small_directive(due_on - timedelta(days=30), number),
        tasks=(TaskInput("Báo cáo nhanh", ("KHTC",), (), due_on),),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data)
    assign = next(
        i for i in items_for(db, users["giamdoc"], "assign") if i.directive_number == number
    )
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return directive_id


def _events(db: Database, directive_id: int, kind: str) -> list[str]:
    """The details of a directive's events of one kind."""
    with db.reading() as session:
        return list(
            session.scalars(
                select(Event.detail).where(Event.directive_id == directive_id, Event.kind == kind)
            )
        )


@pytest.fixture
def two_directives(db: Database, users: dict[str, int]) -> tuple[int, int]:
    """A broken directive whose reminder is due first, then a healthy one."""
    db.processes = ProcessEngine(
        PROJECTION_RULES, 256, MODEL_RULES, limits=EngineLimits(min_timer_seconds=1)
    )
    reminder = ("execute_reminder", "timeDuration", "'PT1S'")
    _publish(db, variants.with_timer(*reminder, variants.with_failing_reminder()))
    broken = _assigned(db, users, "1/CT-BROKEN")
    _publish(db, variants.with_timer(*reminder))
    time.sleep(0.2)  # the healthy one's reminder is due after the broken one's
    healthy = _assigned(db, users, "2/CT-HEALTHY")
    time.sleep(1.5)  # both reminders are due now
    return broken, healthy


def test_a_failing_instance_becomes_an_incident_and_the_others_fire(
    db: Database, two_directives: tuple[int, int]
) -> None:
    broken, healthy = two_directives
    at = datetime.now(UTC)

    timers.fire_due_timers(db, at, limit=1)  # the broken one is first in the due order
    timers.fire_due_timers(db, at, limit=1)  # ... and is skipped: the healthy one fires

    assert len(_events(db, healthy, "timer_reminder")) == 1
    assert _events(db, broken, "timer_reminder") == []
    (opened,) = _events(db, broken, "incident_opened")
    assert "reminder_fails" in opened
    assert "ZeroDivisionError" in opened
    with db.reading() as session:
        (incident,) = session.scalars(select(Incident))
        assert (incident.attempts, incident.resolved_at) == (1, None)
        assert incident.next_try_at - at == incidents.FIRST_RETRY
        assert incident.directive_id == broken


def test_retries_back_off_and_the_scheduler_does_not_spin_on_the_incident(
    db: Database, two_directives: tuple[int, int]
) -> None:
    broken, _ = two_directives
    at = datetime.now(UTC)
    timers.fire_due_timers(db, at)
    assert timers.next_timer_at(db, at) == at + incidents.FIRST_RETRY  # not "due now" again
    timers.fire_due_timers(db, at + timedelta(seconds=30))  # still held: not tried again
    later = at + incidents.FIRST_RETRY + timedelta(seconds=1)
    timers.fire_due_timers(db, later)
    with db.reading() as session:
        attempts, next_try_at = session.execute(
            select(Incident.attempts, Incident.next_try_at)
        ).one()
    assert attempts == 2
    assert next_try_at - later == 2 * incidents.FIRST_RETRY
    assert len(_events(db, broken, "incident_opened")) == 1  # one line in the history


def test_an_admin_sees_the_incident_and_a_fixed_diagram_resolves_it(
    db: Database, users: dict[str, int], two_directives: tuple[int, int]
) -> None:
    broken, _ = two_directives
    at = datetime.now(UTC)
    timers.fire_due_timers(db, at)
    (row,) = list_incidents(db, users["admin"])
    assert (row.directive_number, row.resolved_at) == ("1/CT-BROKEN", None)
    with pytest.raises(RoleRequired):
        list_incidents(db, users["giamdoc"])

    # the administrator repairs the running instance by moving it to a healthy version
    with db.reading() as session:
        directive = session.get(Directive, broken)
        assert directive is not None
        instance = directive.process_instance_id
        target = db.processes.published_model(session, "directive").id
    assert instance is not None
    db.command(lambda session: db.processes.migrate(session, instance, target))
    retry_incident_now(db, users["admin"], row.id, now=at)
    time.sleep(1.2)  # the moved instance's reminder is armed afresh: due a second later
    assert timers.fire_due_timers(db, datetime.now(UTC)) == 1

    (resolved,) = list_incidents(db, users["admin"])
    assert resolved.resolved_at is not None
    assert len(_events(db, broken, "incident_resolved")) == 1
