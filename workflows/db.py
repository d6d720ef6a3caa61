"""The database and the process engine a running application shares, and the transaction helper."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine import ConcurrentUpdate, ModelRules, ProcessEngine, ProjectionRules
from workflows.errors import ConcurrencyConflict, StorageUnavailable
from workflows.messages import N_, Message
from workflows.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

PROJECTION_RULES = ProjectionRules(
    unit_paths={
        "unit": "assignment.unit",
        "unit_head": "assignment.unit",
        "lead_unit": "assignment.lead_unit",
    },
    ref_path="assignment.assignment_id",
    due_path="assignment.due_at",
)
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_FAILED = N_("the system cannot load this right now; try again later")
MODEL_RULES = ModelRules(
    roles=frozenset({"supervisor", "unit", "unit_head", "lead_unit", "clerk", "admin"}),
    forms=frozenset(
        {"assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge"}
    ),
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
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


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
            except DBAPIError as exc:
                _raise_if_unavailable(exc, READ_FAILED)
                raise
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
                except DBAPIError as exc:
                    session.rollback()
                    if not is_race(exc):
                        _raise_if_unavailable(exc)
                        raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise ConcurrencyConflict(N_("the directive kept changing; please try again"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.processes.store.cache.clear()
        self.engine.dispose()


# PostgreSQL SQLSTATEs: a lost race is retried; these classes mean the database cannot be used.
PG_RACES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
PG_UNAVAILABLE = {
    "55P03": "locked",  # lock_not_available (lock_timeout)
    "25006": "read_only",  # read_only_sql_transaction
    "53100": "full",  # disk_full
    "53300": "unreachable",  # too_many_connections
}
PG_UNAVAILABLE_CLASSES = {"08": "unreachable", "53": "full", "57P": "unreachable"}
# SQLite primary result codes. Writes begin with BEGIN IMMEDIATE and wait the busy timeout, so a
# busy database here has been locked longer than that: not a race worth re-running at once.
SQLITE_UNAVAILABLE = {
    3: "read_only",  # SQLITE_PERM
    5: "locked",  # SQLITE_BUSY
    6: "locked",  # SQLITE_LOCKED
    8: "read_only",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL
    14: "unreachable",  # SQLITE_CANTOPEN
}


def is_race(exc: BaseException) -> bool:
    """Tell whether a database error means another transaction won a race (re-run the command)."""
    return getattr(_driver_error(exc), "sqlstate", None) in PG_RACES


def storage_failure(exc: BaseException) -> str | None:
    """Name why the database cannot be used (locked, read_only, full, unreachable, io), or None.

    None means the error is something else (a bug, a constraint): it must not pass for an outage.
    """
    driver = _driver_error(exc)
    code = getattr(driver, "sqlite_errorcode", None)
    if isinstance(code, int):
        return SQLITE_UNAVAILABLE.get(code & 0xFF)
    state = getattr(driver, "sqlstate", None)
    if isinstance(state, str):
        if state in PG_UNAVAILABLE:
            return PG_UNAVAILABLE[state]
        return next((r for p, r in PG_UNAVAILABLE_CLASSES.items() if state.startswith(p)), None)
    if getattr(exc, "connection_invalidated", False):
        return "unreachable"
    # A driver error without a state is raised before any statement ran: no connection.
    operational = type(driver).__name__ == "OperationalError"
    return "unreachable" if operational and driver is not None else None


def _driver_error(exc: BaseException) -> BaseException | None:
    return exc.orig if isinstance(exc, DBAPIError) else exc


def _raise_if_unavailable(exc: DBAPIError, message: Message | None = None) -> None:
    """Raise StorageUnavailable when the error is an outage; return when it is something else."""
    reason = storage_failure(exc)
    if reason is not None:
        log.warning("database unavailable (%s): %s", reason, exc.orig)
        raise StorageUnavailable(reason, message or "") from exc
