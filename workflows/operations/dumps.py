"""Consistent copies of the database for backups, and putting one back: SQLite and PostgreSQL.

SQLite is copied with the online backup API in one step, which reads one snapshot while other
connections keep writing (WAL). PostgreSQL is dumped by `pg_dump -Fc` on a snapshot exported
from a transaction that stays open, so the attachments listed in that transaction are exactly
those of the dump. A dump is put back by `pg_restore` into SQL that `psql` runs in a single
transaction after dropping the tables there: it replaces everything or nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, make_url, text
from sqlalchemy.engine import URL

from workflows.db import SQLITE_BUSY_TIMEOUT_MS, Database
from workflows.errors import BackupRefused

PG_ROOT = Path("/usr/lib/postgresql")
SQLITE_FILE, PG_FILE = "database.sqlite", "database.pgdump"
PG_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Snapshot:
    """What one consistent read of the database found: its revision and its attachments."""

    revision: str | None
    attachments: tuple[tuple[str, str], ...]  # (stored name, SHA-256) of every attachment row


def kind_of(db: Database) -> str:
    """Name the kind of database: sqlite or postgresql (others are not supported)."""
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupRefused(f"backups of {name} databases are not supported")
    return name


def file_name(kind: str) -> str:
    """The name of the database copy inside a backup."""
    return SQLITE_FILE if kind == "sqlite" else PG_FILE


def copy_database(db: Database, target: Path) -> Snapshot:
    """Write a consistent copy of the database to `target`; return what that copy holds."""
    if kind_of(db) == "sqlite":
        return _copy_sqlite(_sqlite_path(db), target)
    return _dump_postgresql(db, target)


def is_empty(db: Database) -> bool:
    """Tell whether the database has no table at all (a new or a blank database)."""
    if kind_of(db) == "sqlite" and not _sqlite_path(db).exists():
        return True  # and connecting would create the file
    with db.engine.connect() as connection:
        return not inspect(connection).get_table_names()


def put_back(db: Database, source: Path) -> None:
    """Replace the whole database with a copy made by copy_database, in one transaction."""
    db.dispose()  # pooled connections must not outlive the tables they cached
    if kind_of(db) == "sqlite":
        _restore_sqlite(source, _sqlite_path(db))
    else:
        _restore_postgresql(db, source)
    db.dispose()


def _sqlite_path(db: Database) -> Path:
    name = make_url(db.url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupRefused(f"cannot back up an SQLite database that is not a plain file: {name}")
    return Path(name)


def _copy_sqlite(source: Path, target: Path) -> Snapshot:
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source}")
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    with (
        closing(sqlite3.connect(source, timeout=timeout)) as src,
        closing(sqlite3.connect(target)) as copy,
    ):
        src.backup(copy)  # one step (pages=-1): a single read transaction, one snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRefused(f"the copy of {source} failed SQLite's integrity check")
        return Snapshot(_revision_sqlite(copy), _attachments_sqlite(copy))


def _revision_sqlite(copy: sqlite3.Connection) -> str | None:
    if not _has_table_sqlite(copy, "alembic_version"):
        return None
    row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _attachments_sqlite(copy: sqlite3.Connection) -> tuple[tuple[str, str], ...]:
    if not _has_table_sqlite(copy, "attachment"):
        return ()
    rows = copy.execute("SELECT stored_name, sha256 FROM attachment ORDER BY id").fetchall()
    return tuple((str(name), str(sha)) for name, sha in rows)


def _has_table_sqlite(connection: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return connection.execute(query, (name,)).fetchone() is not None


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(target, timeout=timeout)) as dst,
    ):
        # Through SQLite's own locks and journal: a -wal file beside the target stays coherent.
        src.backup(dst)


def find_pg_tool(name: str) -> Path:
    """Find a PostgreSQL client program: the newest Debian install first, then PATH."""
    candidates = [path for path in PG_ROOT.glob(f"*/bin/{name}") if path.is_file()]
    if candidates:
        return max(candidates, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parts[-3])])
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            f"{name} was not found in {PG_ROOT}/*/bin or on PATH: install the PostgreSQL "
            "client programs (Debian: postgresql-client) of the server's version or newer"
        )
    return Path(found)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection URI of a SQLAlchemy URL, and the environment with its password."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupRefused(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupRefused(f"{what} failed: {lines[0] if lines else result.returncode}")


def _dump_postgresql(db: Database, target: Path) -> Snapshot:
    pg_dump = find_pg_tool("pg_dump")
    uri, env = _libpq(db.engine.url)
    with _exported_snapshot(db) as (connection, snapshot_id):
        args = [str(pg_dump), "-Fc", "--no-owner", f"--snapshot={snapshot_id}", "-f", str(target)]
        _run([*args, "-d", uri], env, "pg_dump")
        revision = None
        if inspect(connection).has_table("alembic_version"):
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        rows: list[tuple[str, str]] = []
        if inspect(connection).has_table("attachment"):
            query = text("SELECT stored_name, sha256 FROM attachment ORDER BY id")
            rows = [(str(n), str(s)) for n, s in connection.execute(query).all()]
    return Snapshot(None if revision is None else str(revision), tuple(rows))


@contextmanager
def _exported_snapshot(db: Database) -> Iterator[tuple[Connection, str]]:
    """A repeatable-read transaction and the id of its snapshot, for pg_dump to share."""
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            yield connection, str(snapshot_id)


def _restore_postgresql(db: Database, source: Path) -> None:
    pg_restore, psql = find_pg_tool("pg_restore"), find_pg_tool("psql")
    uri, env = _libpq(db.engine.url)
    with tempfile.TemporaryDirectory(prefix="dondoc-restore-") as folder:
        script = Path(folder) / "restore.sql"
        restore = [str(pg_restore), "--no-owner", "--no-privileges", "-f", str(script)]
        _run([*restore, str(source)], env, "pg_restore")
        with script.open("r+", encoding="utf-8") as handle:
            body = handle.read()
            handle.seek(0)
            handle.write(_drop_tables(db) + body)
        run = [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
        _run([*run, "-f", str(script), "-d", uri], env, "psql (restoring the dump)")


def _drop_tables(db: Database) -> str:
    """SQL dropping every table there is, so the dump replaces the database in its transaction."""
    with db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
    return "".join(
        f'DROP TABLE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}" CASCADE;\n' for name in names
    )
