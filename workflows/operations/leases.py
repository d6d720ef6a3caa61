"""A lease row makes exactly one scheduler active; another takes over when it stops renewing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.tables import SchedulerLease


def hold_lease(
    db: Database, name: str, holder: str, ttl_seconds: float, now: datetime | None = None
) -> bool:
    """Take or renew the lease; True while this holder is the active one."""
    at = now or utcnow()

    def run(session: Session) -> bool:
        _ensure_row(session, name, at)
        row = session.scalar(
            select(SchedulerLease).where(SchedulerLease.name == name).with_for_update()
        )
        assert row is not None
        if row.holder != holder and row.expires_at > at:
            return False
        row.holder, row.expires_at = holder, at + timedelta(seconds=ttl_seconds)
        return True

    return db.command(run)


def release_lease(db: Database, name: str, holder: str, now: datetime | None = None) -> None:
    """Give the lease up at once (an orderly shutdown), so another scheduler need not wait."""
    at = now or utcnow()

    def run(session: Session) -> None:
        row = session.get(SchedulerLease, name)
        if row is not None and row.holder == holder:
            row.expires_at = at

    db.command(run)


def lease_holder(db: Database, name: str) -> tuple[str, datetime] | None:
    """Who holds the lease and until when."""
    with db.reading() as session:
        row = session.get(SchedulerLease, name)
        return (row.holder, row.expires_at) if row else None


def _ensure_row(session: Session, name: str, at: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(SchedulerLease)
        .values(name=name, holder="", expires_at=at)
        .on_conflict_do_nothing(index_elements=["name"])
    )
