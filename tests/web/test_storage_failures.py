"""A database that cannot save answers 503 "cannot save right now" (never 409 or a bare 500),
and /healthz probes for real: database read and write, scheduler lease, schema revision."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event

from engine import utcnow
from tests.helpers import item_of, snapshot
from tests.web.helpers import csrf_token
from web.app import create_app, database
from web.scheduler import LEASE
from workflows.access.tokens import create_token
from workflows.db import Database
from workflows.operations import leases
from workflows.setup import schema

CANNOT_SAVE_VI = "Hệ thống tạm thời không lưu được dữ liệu; vui lòng thử lại sau."
CANNOT_LOAD_VI = "Hệ thống tạm thời không tải được dữ liệu; vui lòng thử lại sau."
CANNOT_SAVE_EN = "the system cannot save right now; try again later"
KEPT_CHANGING_VI = "văn bản đang được nhiều người cập nhật"


def _read_only(url: str) -> str:
    """The same SQLite file opened read-only (chmod does not stop root, mode=ro does)."""
    return url.replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true"


def _reopen(app: Flask, url: str) -> None:
    """Point the running application at another URL of its database."""
    old = database(app)
    app.extensions["dondoc.db"] = Database(url, old.settings)
    old.dispose()


def _on_connect(app: Flask, *pragmas: str) -> None:
    """Run PRAGMAs on every new connection of the application's database (after its own)."""

    def run(dbapi_connection: Any, _record: Any) -> None:
        for pragma in pragmas:
            dbapi_connection.execute(pragma)

    engine = database(app).engine
    event.listen(engine, "connect", run)
    engine.dispose()


def _path_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@contextmanager
def _writer_holding_the_lock(url: str) -> Iterator[None]:
    """Another process's transaction holding the write lock (BEGIN IMMEDIATE)."""
    holder = sqlite3.connect(_path_of(url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _start_work(client: Any, db: Database, users: dict[str, int]) -> tuple[str, str]:
    """Open the execute step's page as the officer would; return its path and form token."""
    item = item_of(db, users["cv.khtc"], "execute", task_no=1)
    path = f"/work/{item.work_item_id}"
    return path, csrf_token(client, path)


def test_a_read_only_database_answers_503_on_pages_and_the_api_and_healthz_fails(
    app, client_for, db, db_url, users, assigned_small
) -> None:
    page_client = client_for("cv.khtc")
    path, token = _start_work(page_client, db, users)
    bearer = {"Authorization": f"Bearer {create_token(db, 'cv.khtc')}"}
    before = snapshot(db)
    _reopen(app, _read_only(db_url))

    page = page_client.post(path, data={"note": "bắt đầu", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert CANNOT_SAVE_VI in html
    assert KEPT_CHANGING_VI not in html
    api = app.test_client().post(
        f"/api/v1/work-items/{path.rsplit('/', 1)[1]}/complete", headers=bearer
    )
    assert api.status_code == 503
    assert api.headers["Retry-After"]
    error = api.get_json()["error"]
    assert (error["code"], error["message"], error["details"]) == (
        "unavailable",
        CANNOT_SAVE_EN,
        {"reason": "read_only"},
    )
    health = page_client.get("/healthz")
    assert health.status_code == 503
    report = health.get_json()
    assert report["status"] == "failing"
    assert report["checks"]["database"]["state"] == "failing"
    assert "read-only" in report["checks"]["database"]["message"]
    assert report["checks"]["schema"]["state"] == "ok"  # it could still be read
    assert snapshot(db) == before


def test_an_unreachable_database_answers_503_even_to_a_signed_in_page(app, client_for, db) -> None:
    """Loading the signed-in user fails too: the error page must not need the database."""
    page_client = client_for("cv.khtc")
    bearer = {"Authorization": f"Bearer {create_token(db, 'cv.khtc')}"}
    _reopen(app, "postgresql+psycopg://dondoc@127.0.0.1:1/dondoc?connect_timeout=2")

    page = page_client.get("/inbox")
    assert page.status_code == 503
    assert CANNOT_LOAD_VI in page.get_data(as_text=True)
    api = app.test_client().get("/api/v1/inbox", headers=bearer)
    assert api.status_code == 503
    assert api.get_json()["error"]["details"] == {"reason": "unreachable"}
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["database"]["message"] == "the database cannot be reached"


def test_a_full_database_answers_with_the_plain_message(
    app, client_for, db, users, assigned_small
) -> None:
    client = client_for("cv.khtc")
    path, token = _start_work(client, db, users)
    bearer = {"Authorization": f"Bearer {create_token(db, 'cv.khtc')}"}
    before = snapshot(db)
    # A database that may not grow by a single page: every write that needs one fails SQLITE_FULL.
    _on_connect(app, "PRAGMA max_page_count = 1")  # below the file's size: capped at its size
    note = secrets.token_hex(9_000)  # a note longer than the free pages the file still has

    response = client.post(path, data={"note": note, "csrf_token": token})
    assert response.status_code == 503
    assert CANNOT_SAVE_VI in response.get_data(as_text=True)
    api = app.test_client().post(
        f"/api/v1/work-items{path.removeprefix('/work')}/complete",
        headers=bearer,
        json={"note": note},
    )
    assert api.status_code == 503
    assert api.get_json()["error"]["details"] == {"reason": "full"}
    assert snapshot(db) == before


def test_a_database_locked_beyond_the_busy_timeout_is_503_not_409(
    app, client_for, db, db_url, users, assigned_small
) -> None:
    client = client_for("cv.khtc")
    path, token = _start_work(client, db, users)
    _on_connect(app, "PRAGMA busy_timeout = 200")
    before = snapshot(db)
    with _writer_holding_the_lock(db_url):
        started = time.monotonic()
        response = client.post(path, data={"note": "bắt đầu", "csrf_token": token})
        waited = time.monotonic() - started
        health_started = time.monotonic()
        health = client.get("/healthz")
        health_seconds = time.monotonic() - health_started
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert CANNOT_SAVE_VI in html
    assert KEPT_CHANGING_VI not in html
    assert waited < 5  # one busy timeout, not eight retries of it
    assert health.status_code == 503
    assert "locked" in health.get_json()["checks"]["database"]["message"]
    assert health_seconds < 2
    assert snapshot(db) == before
    # The lock is gone: the same form goes through.
    assert client.post(path, data={"note": "bắt đầu", "csrf_token": token}).status_code == 302


def test_healthz_answers_fast_while_another_writer_holds_the_lock(client, db_url) -> None:
    """The application waits 30 s for a lock; its probe waits half a second."""
    with _writer_holding_the_lock(db_url):
        started = time.monotonic()
        response = client.get("/healthz")
        seconds = time.monotonic() - started
    assert response.status_code == 503
    database_check = response.get_json()["checks"]["database"]
    assert database_check["state"] == "failing"
    assert "locked" in database_check["message"]
    assert seconds < 2
    assert client.get("/healthz").status_code == 200  # the lock is gone


def test_healthz_is_ok_on_a_healthy_database_and_says_no_scheduler_has_run(client) -> None:
    client.get("/healthz")  # the first call reads the migrations once
    response = client.get("/healthz")
    report = response.get_json()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert report["status"] == "ok"
    assert {name: check["state"] for name, check in report["checks"].items()} == {
        "database": "ok",
        "scheduler": "warning",
        "schema": "ok",
    }
    assert report["elapsed_ms"] < 500


def test_healthz_says_since_when_the_scheduler_lease_is_stale(app, client, db) -> None:
    expired_at = utcnow() - timedelta(hours=2)
    leases.hold_lease(
        db, LEASE, "may-1:4242:abc", ttl_seconds=30, now=expired_at - timedelta(seconds=30)
    )
    stale = client.get("/healthz")
    assert stale.status_code == 200  # a web process without a scheduler is not down
    scheduler = stale.get_json()["checks"]["scheduler"]
    assert scheduler["state"] == "warning"
    assert scheduler["message"] == f"stale since {expired_at.isoformat(timespec='seconds')}"
    leases.hold_lease(db, LEASE, "may-1:4242:abc", ttl_seconds=30)
    active = client.get("/healthz").get_json()["checks"]["scheduler"]
    assert active["state"] == "ok"
    assert active["message"].startswith("active")


def test_healthz_fails_on_a_schema_behind_the_code(tmp_path: Path) -> None:
    head = schema.head_schema_revision()
    previous = ScriptDirectory.from_config(schema.alembic_config("sqlite://")).get_revision(head)
    older = previous.down_revision
    assert isinstance(older, str)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old_db = Database(url)
    schema.upgrade_schema(old_db, older)
    old_db.dispose()
    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": url,
            "DONDOC_SECRET_KEY": "test",
        }
    )
    try:
        response = app.test_client().get("/healthz")
    finally:
        database(app).dispose()
    assert response.status_code == 503
    check = response.get_json()["checks"]["schema"]
    assert check["state"] == "failing"
    assert f"at revision {older}, the code needs {head}" in check["message"]
