"""The job on time: fire the BPMN timers that fell due (reminders, escalations, periods).

Each instance fires in its own transaction. One that fails becomes an incident (see
`workflows.incidents`) and waits for its next try, so it never holds back the others.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import incidents
from workflows.db import Database
from workflows.errors import DirectiveNotActive, DomainError, StorageUnavailable
from workflows.pipeline import apply_step_result, engine_errors
from workflows.tables import Directive

log = logging.getLogger(__name__)


def fire_due_timers(db: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Advance every running instance whose earliest timer is due; return how many fired timers."""
    at = now or utcnow()
    with db.reading() as session:
        held = incidents.held_instances(session, at)
        due = db.processes.due_instances(session, at, limit, skip=held)
    return sum(_fire_isolated(db, instance_id, at) for instance_id in due)


def _fire_isolated(db: Database, instance_id: int, at: datetime) -> int:
    """Fire one instance; a failure of its own is recorded, not passed on to the others."""
    try:
        fired = _fire_instance(db, instance_id, at)
    except StorageUnavailable:
        raise  # the database itself: every instance would fail alike
    except Exception as exc:  # any failure of this instance's diagram or data
        if not isinstance(exc, DomainError):
            log.exception("firing the timers of process instance %s failed", instance_id)
        incidents.record_failure(db, instance_id, _describe(exc), at)
        return 0
    if incidents.has_open(db, instance_id):
        incidents.resolve(db, instance_id, at)
    return fired


def _fire_instance(db: Database, instance_id: int, at: datetime) -> int:
    def run(session: Session) -> int:
        directive = session.scalar(
            select(Directive).where(Directive.process_instance_id == instance_id)
        )
        if directive is None:
            return 0
        with engine_errors():
            result = db.processes.fire_due_timers(session, instance_id)
        apply_step_result(session, db, directive, result, at)
        return len(result.fired_timers)

    try:
        return db.command(run)
    except DirectiveNotActive:
        return 0


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, DomainError) else f"{type(exc).__name__}: {text}"


def next_timer_at(db: Database, now: datetime | None = None) -> datetime | None:
    """When the scheduler should wake: the earliest timer of an instance not held by an
    incident, or the next try of an incident."""
    at = now or utcnow()
    with db.reading() as session:
        held = incidents.held_instances(session, at)
        moments = [
            db.processes.earliest_timer(session, skip=held),
            incidents.next_retry_at(session),
        ]
    return min((moment for moment in moments if moment is not None), default=None)
