"""What /healthz reports: can the database be read and written, is a scheduler active, is the
schema current. Every probe is bounded by a short timeout, so a locked database answers fast."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError

from engine import utcnow
from workflows.db import Database, storage_failure
from workflows.setup import schema
from workflows.tables import SchedulerLease

PROBE_TIMEOUT_SECONDS = 0.5
log = logging.getLogger(__name__)
OK, WARNING, FAILING, UNKNOWN = "ok", "warning", "failing", "unknown"
FAILURES = {
    "locked": "the database is locked by another transaction for longer than the probe waits",
    "read_only": "the database is read-only: nothing can be saved",
    "full": "the database is full: nothing more can be saved",
    "unreachable": "the database cannot be reached",
    "io": "the database gives input/output errors",
}


@dataclass(frozen=True)
class Check:
    """One line of the health report: ok, warning (degraded), failing or unknown."""

    state: str
    message: str


@dataclass(frozen=True)
class Health:
    """The health report; failing when any check fails."""

    checks: dict[str, Check]
    elapsed_ms: float

    @property
    def failing(self) -> bool:
        """Tell whether any check fails."""
        return any(check.state in (FAILING, UNKNOWN) for check in self.checks.values())

    def as_json(self) -> dict[str, object]:
        """The report as /healthz answers it."""
        return {
            "status": FAILING if self.failing else OK,
            "checks": {
                name: {"state": check.state, "message": check.message}
                for name, check in self.checks.items()
            },
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def check_health(
    db: Database,
    lease_name: str,
    now: datetime | None = None,
    timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
) -> Health:
    """Probe the database (a read and a rolled-back write), the scheduler lease and the schema."""
    started, at = time.perf_counter(), now or utcnow()
    try:
        with db.engine.connect() as connection, _short_waits(connection, timeout_seconds):
            checks = _probe(connection, lease_name, at, timeout_seconds)
    except DBAPIError as exc:
        checks = _database_failed(exc)
    return Health(checks, (time.perf_counter() - started) * 1000)


def _probe(
    connection: Connection, lease_name: str, at: datetime, timeout_seconds: float
) -> dict[str, Check]:
    revision, lease = _read(connection, lease_name, timeout_seconds)
    if revision is None:  # no tables to write a probe row into
        return {
            "database": Check(OK, "readable; the write probe needs the schema"),
            "scheduler": Check(UNKNOWN, "not known: the database is empty"),
            "schema": _schema(revision),
        }
    try:
        _write(connection, timeout_seconds)
        database = Check(OK, "read and write probes succeeded")
    except DBAPIError as exc:
        database = Check(FAILING, _failure(exc, "readable, but the write probe failed"))
    return {
        "database": database,
        "scheduler": _scheduler(lease, at),
        "schema": _schema(revision),
    }


@cache
def _head_revision() -> str:
    """The newest migration revision (read once: parsing the migrations is slow)."""
    return schema.head_schema_revision()


def _read(
    connection: Connection, lease_name: str, timeout_seconds: float
) -> tuple[str | None, tuple[str, datetime] | None]:
    with connection.begin() as transaction:
        _limit_statements(connection, timeout_seconds)
        revision = MigrationContext.configure(connection).get_current_revision()
        row = None
        if revision is not None:
            row = connection.execute(
                select(SchedulerLease.holder, SchedulerLease.expires_at).where(
                    SchedulerLease.name == lease_name
                )
            ).first()
        transaction.rollback()
    return revision, (row[0], row[1]) if row else None


def _write(connection: Connection, timeout_seconds: float) -> None:
    """Write a row and roll it back: proves the lock can be taken and the store takes writes."""
    connection.execution_options(dondoc_writes=True)  # BEGIN IMMEDIATE on SQLite
    with connection.begin() as transaction:
        _limit_statements(connection, timeout_seconds)
        probe = {"name": f"probe-{uuid.uuid4().hex}", "holder": "", "expires_at": utcnow()}
        connection.execute(insert(SchedulerLease).values(**probe))
        transaction.rollback()


@contextmanager
def _short_waits(connection: Connection, timeout_seconds: float) -> Iterator[None]:
    """On SQLite, wait for a lock only briefly while probing, then restore the busy timeout."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {int(timeout_seconds * 1000)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(before)}")


def _limit_statements(connection: Connection, timeout_seconds: float) -> None:
    """On PostgreSQL, bound lock waits and statements for this transaction only."""
    if connection.dialect.name == "postgresql":
        milliseconds = int(timeout_seconds * 1000)
        connection.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
        connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds * 2}"))


def _failure(exc: DBAPIError, otherwise: str) -> str:
    reason = storage_failure(exc)
    if reason is None:
        log.warning("health probe failed: %s", exc)
    return FAILURES[reason] if reason else otherwise


def _database_failed(exc: DBAPIError) -> dict[str, Check]:
    return {
        "database": Check(FAILING, _failure(exc, "the read probe failed")),
        "scheduler": Check(UNKNOWN, "not known: the database could not be probed"),
        "schema": Check(UNKNOWN, "not known: the database could not be probed"),
    }


def _scheduler(lease: tuple[str, datetime] | None, at: datetime) -> Check:
    """A web process runs without a scheduler of its own: a stale lease is a warning only."""
    if lease is None or not lease[0]:
        return Check(WARNING, "no scheduler has ever run: deadlines and reminders wait")
    expires_at = lease[1]
    if expires_at > at:
        seconds = (expires_at - at).total_seconds()
        return Check(OK, f"active; the lease runs {seconds:.0f} s more unless renewed")
    return Check(WARNING, f"stale since {expires_at.isoformat(timespec='seconds')}")


def _schema(revision: str | None) -> Check:
    head = _head_revision()
    if revision == head:
        return Check(OK, f"at revision {head}")
    if revision is None:
        return Check(FAILING, f"empty database: run `dondoc init` (this release needs {head})")
    if revision not in schema.revisions():
        return Check(FAILING, f"at revision {revision}, unknown here: made by a newer release")
    return Check(FAILING, f"at revision {revision}, the code needs {head}: run `dondoc db upgrade`")
