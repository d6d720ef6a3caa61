"""Creating and upgrading the database schema with Alembic, from code (no alembic.ini needed)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection

from workflows.db import Database
from workflows.errors import SchemaNotCurrent, UpgradeFailed

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration pointing at our migrations and a database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(db: Database, revision: str = "head") -> None:
    """Bring the schema up to a revision (the newest by default), all of it in one transaction.

    Raises SchemaNotCurrent for a database newer than this release, UpgradeFailed when a
    migration fails or leaves a broken foreign key; either way nothing was changed.
    """
    before = schema_revision(db)
    if before is not None and before not in revisions():
        raise _newer(before, "; nothing was changed")
    config = alembic_config(db.url)
    applied: list[str] = []
    config.attributes["applied"] = applied
    try:
        with _migration_connection(db) as connection, connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            _check_foreign_keys(connection, revision)
    except UpgradeFailed:
        raise
    except Exception as exc:  # a migration is code: whatever it raised, report it on one line
        log.debug("upgrade failed", exc_info=True)
        failed = _failed_revision(before, revision, applied)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UpgradeFailed(
            failed,
            f"upgrade failed at revision {failed} ({_title(failed)}): {reason}; nothing was "
            f"changed, the database is still at revision {before or '(empty)'}",
        ) from exc


@contextmanager
def _migration_connection(db: Database) -> Iterator[Connection]:
    """A connection for migrations; on SQLite with foreign keys off, so tables can be rebuilt.

    Alembic rebuilds a SQLite table (copy, drop, rename) to alter it; with foreign keys on,
    dropping a table other rows point to fails. The pragma is a no-op inside a transaction,
    so it is set on the raw connection before the migration transaction begins, and set back
    before the connection returns to the pool.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        connection.execution_options(dondoc_writes=True)  # BEGIN IMMEDIATE: one writer
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 0:
                raise RuntimeError("could not turn SQLite foreign keys off for the migration")
            yield connection
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection, revision: str) -> None:
    """Fail the upgrade (inside its transaction) when a row points at a missing row."""
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL checks every foreign key as the migration runs
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        target = head_schema_revision() if revision == "head" else revision
        raise UpgradeFailed(
            target,
            f"upgrade to revision {target} failed the foreign key check: {len(broken)} row(s) "
            f"point at missing rows (first: {table} row {rowid} -> {parent}); nothing was changed",
        )


def _failed_revision(before: str | None, target: str, applied: list[str]) -> str:
    """The first revision of the upgrade path that did not finish."""
    try:
        path = [s.revision for s in _script().iterate_revisions(target, before or "base")]
    except (CommandError, RevisionError):  # the target itself is unknown
        return target
    pending = [revision for revision in reversed(path) if revision not in applied]
    return pending[0] if pending else target


def _title(revision: str) -> str:
    script = _script().get_revision(revision) if revision in revisions() else None
    return (script.doc or "").strip() if script else "unknown"


def _newer(revision: str, then: str = "") -> SchemaNotCurrent:
    head = head_schema_revision()
    return SchemaNotCurrent(
        "newer",
        revision,
        head,
        f"the database schema is at revision {revision}, which this release does not know "
        f"(its newest is {head}): it was made by a newer release{then}",
    )


def check_schema(db: Database) -> str:
    """Return the schema revision when it is this release's newest; raise SchemaNotCurrent."""
    revision, head = schema_revision(db), head_schema_revision()
    if revision == head:
        return head
    if revision is None:
        raise SchemaNotCurrent(
            "empty", None, head, "the database is empty: run `dondoc init` (or `dondoc db upgrade`)"
        )
    if revision in revisions():
        raise SchemaNotCurrent(
            "outdated",
            revision,
            head,
            f"the database schema is at revision {revision}, this release needs {head}: "
            "run `dondoc db upgrade`",
        )
    raise _newer(revision)


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@cache
def revisions() -> tuple[str, ...]:
    """Return every revision the migrations know, oldest first."""
    return tuple(script.revision for script in reversed(list(_script().walk_revisions())))


def schema_revision(db: Database) -> str | None:
    """Return the schema revision the database is at, None when empty."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_schema_revision() -> str:
    """Return the newest revision the migrations know."""
    head = _script().get_current_head()
    assert head is not None
    return head
