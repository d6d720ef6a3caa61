"""The job on time: fire the BPMN timers that fell due (reminders, escalations, periods)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.errors import DirectiveNotActive
from workflows.pipeline import apply_step_result, engine_errors
from workflows.tables import Directive


def fire_due_timers(db: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Advance every running instance whose earliest timer is due; return how many fired timers."""
    at = now or utcnow()
    with db.reading() as session:
        due = db.processes.due_instances(session, at, limit)
    return sum(_fire_instance(db, instance_id, at) for instance_id in due)


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


def next_timer_at(db: Database) -> datetime | None:
    """The earliest due time of any waiting timer of a running instance."""
    with db.reading() as session:
        return db.processes.earliest_timer(session)
