"""`dondoc db upgrade`, `serve` and `scheduler` on a database that is not at this release's schema.

Each command runs as a real process on a real SQLite file, as an operator would run it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.fixtures.upgrade.rows import fixture_of, load_rows
from workflows.db import Database
from workflows.settings import Settings
from workflows.setup import schema

DONDOC = Path(sys.executable).with_name("dondoc")
REFUSAL_TIMEOUT_SECONDS = 60  # a server that starts instead of refusing runs until this


def _run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DONDOC_INSTANCE_DIR": str(instance), "DONDOC_SECRET_KEY": "test"}
    env.pop("DONDOC_DATABASE_URL", None)
    return subprocess.run(
        [str(DONDOC), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=REFUSAL_TIMEOUT_SECONDS,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def _instance_at(tmp_path: Path, revision: str) -> Path:
    """An instance folder whose database holds a release's rows at its revision."""
    instance = tmp_path / "instance"
    db = Database(f"sqlite:///{instance / 'dondoc.db'}", Settings(upload_dir=instance / "uploads"))
    instance.mkdir()
    schema.upgrade_schema(db, revision)
    load_rows(db, fixture_of(revision), instance / "uploads")
    db.dispose()
    return instance


def test_db_upgrade_that_fails_says_so_on_one_line_and_changes_nothing(tmp_path: Path) -> None:
    instance = _instance_at(tmp_path, "0005")
    with closing(sqlite3.connect(instance / "dondoc.db")) as connection, connection:
        connection.execute("CREATE TABLE step_form (id INTEGER PRIMARY KEY)")  # 0007 makes it
    before = _dump(instance / "dondoc.db")
    result = _run(instance, "db", "upgrade")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: upgrade failed at revision 0007 (step forms): ")
    assert "nothing was changed, the database is still at revision 0005" in lines[0]
    assert _dump(instance / "dondoc.db") == before


def test_db_upgrade_of_a_release_database_succeeds(tmp_path: Path) -> None:
    instance = _instance_at(tmp_path, "0004")
    result = _run(instance, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database at revision {schema.head_schema_revision()}"


def _set_revision(instance: Path, revision: str) -> None:
    with closing(sqlite3.connect(instance / "dondoc.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("empty", "not starting: the database is empty: run `dondoc init`"),
        ("outdated", "not starting: the database schema is at revision 0004, this release needs"),
        ("newer", "not starting: the database schema is at revision 9999, which this release"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "scheduler"])
def test_server_and_scheduler_refuse_a_schema_that_is_not_current(
    tmp_path: Path, command: str, state: str, expected: str
) -> None:
    if state == "empty":
        instance = tmp_path / "instance"
        instance.mkdir()
    else:
        instance = _instance_at(tmp_path, "0004")
    if state == "newer":
        _set_revision(instance, "9999")
    args = ["serve", "--port", str(_free_port())] if command == "serve" else ["scheduler"]
    result = _run(instance, *args)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {expected}")
    if state == "outdated":
        assert lines[0].endswith("run `dondoc db upgrade`")
    assert "serving" not in result.stdout
    assert "started" not in result.stdout
