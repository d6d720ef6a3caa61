"""Incidents: process instances whose timers failed to fire, kept apart and retried with back-off.

One failing directive (say, a diagram script that raises) must never hold back the timers
of the others: its failure is recorded here, in its directive's history and on the
administrators' incidents page, and the instance is left out of the due timers until its
next try. A later firing that succeeds resolves the incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import history
from workflows.db import Database
from workflows.organisation import people
from workflows.tables import Directive, Incident

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
MAX_ERROR_LENGTH = 2_000


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the administrators' page lists it."""

    id: int
    directive_id: int | None
    directive_number: str
    error: str
    attempts: int
    first_at: datetime
    last_at: datetime
    next_try_at: datetime
    resolved_at: datetime | None


def held_instances(session: Session, at: datetime) -> list[int]:
    """Instances with an open incident whose next try has not come yet."""
    rows = session.scalars(
        select(Incident.instance_id).where(
            Incident.resolved_at.is_(None), Incident.next_try_at > at
        )
    )
    return list(rows)


def next_retry_at(session: Session) -> datetime | None:
    """The earliest next try of an open incident."""
    rows = session.scalars(
        select(Incident.next_try_at)
        .where(Incident.resolved_at.is_(None))
        .order_by(Incident.next_try_at)
        .limit(1)
    )
    return next(iter(rows), None)


def record_failure(db: Database, instance_id: int, error: str, at: datetime) -> None:
    """Open or update the instance's incident; its next try backs off with every failure."""

    def run(session: Session) -> None:
        incident = _open(session, instance_id)
        if incident is None:
            directive = _directive_of(session, instance_id)
            incident = Incident(
                instance_id=instance_id,
                directive_id=directive.id if directive else None,
                kind="timer",
                error=error[:MAX_ERROR_LENGTH],
                attempts=0,
                first_at=at,
                last_at=at,
                next_try_at=at,
            )
            session.add(incident)
            _log(session, directive, "incident_opened", at, incident.error)
        incident.attempts += 1
        incident.error, incident.last_at = error[:MAX_ERROR_LENGTH], at
        incident.next_try_at = at + min(FIRST_RETRY * 2 ** (incident.attempts - 1), LONGEST_RETRY)

    db.command(run)


def resolve(db: Database, instance_id: int, at: datetime) -> None:
    """Close the instance's open incident, if it has one: its timers fire again."""

    def run(session: Session) -> None:
        incident = _open(session, instance_id)
        if incident is None:
            return
        incident.resolved_at = at
        directive = _directive_of(session, instance_id)
        _log(session, directive, "incident_resolved", at, "")

    db.command(run)


def has_open(db: Database, instance_id: int) -> bool:
    """Tell whether the instance has an open incident."""
    with db.reading() as session:
        return _open(session, instance_id) is not None


def retry_incident_now(
    db: Database, actor_id: int, incident_id: int, now: datetime | None = None
) -> None:
    """Let an administrator ask for the next try at once (after fixing the diagram, say)."""
    at = now or utcnow()

    def run(session: Session) -> None:
        people.require_admin(session, actor_id)
        incident = session.get(Incident, incident_id)
        if incident is not None and incident.resolved_at is None:
            incident.next_try_at = at

    db.command(run)


def list_incidents(db: Database, actor_id: int, limit: int = 200) -> list[IncidentRow]:
    """Open incidents first (oldest first), then the latest resolved ones (admin only)."""
    with db.reading() as session:
        people.require_admin(session, actor_id)
        rows = session.execute(
            select(Incident, Directive.number)
            .join(Directive, Directive.id == Incident.directive_id, isouter=True)
            .order_by(Incident.resolved_at.is_not(None), Incident.resolved_at.desc(), Incident.id)
            .limit(min(max(limit, 1), 1000))
        ).all()
        return [_row(incident, number) for incident, number in rows]


def _row(incident: Incident, number: str | None) -> IncidentRow:
    return IncidentRow(
        incident.id,
        incident.directive_id,
        number or "",
        incident.error,
        incident.attempts,
        incident.first_at,
        incident.last_at,
        incident.next_try_at,
        incident.resolved_at,
    )


def _open(session: Session, instance_id: int) -> Incident | None:
    return session.scalar(
        select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
    )


def _directive_of(session: Session, instance_id: int) -> Directive | None:
    return session.scalar(select(Directive).where(Directive.process_instance_id == instance_id))


def _log(session: Session, directive: Directive | None, kind: str, at: datetime, why: str) -> None:
    if directive is not None:
        history.record(session, kind, at=at, actor=None, directive_id=directive.id, detail=why)
