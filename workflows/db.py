"""The database and the process engine a running application shares, and the transaction helper."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine import ConcurrentUpdate, ModelRules, ProcessEngine, ProjectionRules
from workflows.errors import ConcurrencyConflict
from workflows.messages import N_
from workflows.settings import Settings

T = TypeVar("T")

PROJECTION_RULES = ProjectionRules(
    unit_paths={"unit": "assignment.unit", "lead_unit": "assignment.lead_unit"},
    ref_path="assignment.assignment_id",
    due_path="assignment.due_at",
)
SQLITE_BUSY_TIMEOUT_MS = 30_000
MODEL_RULES = ModelRules(
    roles=frozenset({"supervisor", "unit", "lead_unit", "clerk", "admin"}),
    forms=frozenset({"assign", "execute", "report", "accept", "contribute", "acknowledge"}),
)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for transactions that write."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get("dondoc_writes", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine for a database URL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """What every use case needs: sessions, the process engine and the settings."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.url = url
        self.settings = settings or Settings()
        self.engine = make_engine(url)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(
            self.engine.execution_options(dondoc_writes=True), expire_on_commit=False
        )
        self.processes = ProcessEngine(
            PROJECTION_RULES, self.settings.workflow_cache_size, MODEL_RULES
        )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Open a read-only session; nothing it does is committed."""
        with self._reads() as session:
            try:
                yield session
            finally:
                session.rollback()

    def command(self, fn: Callable[[Session], T]) -> T:
        """Run one use case in one transaction; reload and re-apply it when someone raced us."""
        retries = self.settings.command_retries
        for attempt in range(retries):
            with self._writes() as session:
                try:
                    result = fn(session)
                    session.commit()
                    return result
                except ConcurrentUpdate:
                    session.rollback()
                except OperationalError as exc:
                    session.rollback()
                    if not _is_lock_error(exc):
                        raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise ConcurrencyConflict(N_("the directive kept changing; please try again"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.processes.workflows.clear()
        self.engine.dispose()


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "serializ" in text
