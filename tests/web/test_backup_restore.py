"""`dondoc backup` of a running, busy server and `dondoc restore` into a fresh instance.

A real `dondoc serve` runs on its instance folder; threads complete steps through its JSON API
and, on the same database, through the domain with attachments, while `dondoc backup` runs.
The backup is restored into a new instance folder and opened with the current code: every
directive, every attachment (same bytes), every step committed before the backup began is
there, and every work item is a READY task of its saved process state.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import projection_disagreements
from tests.support.postgres import PostgresServer
from workflows import directives
from workflows.access import tokens
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.errors import DomainError
from workflows.settings import Settings
from workflows.setup import schema
from workflows.steps import unit_work as steps

DONDOC = Path(sys.executable).with_name("dondoc")
UNITS = ("KHTC", "VP", "TTR", "QLKH", "QLCN", "CCTDC", "TTUD")
DOMAIN_UNITS, HTTP_UNITS = UNITS[:3], UNITS[3:]
STEPS_BEFORE_BACKUP = 40
STEPS_AFTER_BACKUP = 10


@dataclass(frozen=True)
class Instance:
    """An instance folder and the environment that points `dondoc` at it."""

    folder: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        """The environment of a `dondoc` process for this instance (the key stays in a file)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
        env.update(DONDOC_INSTANCE_DIR=str(self.folder), DONDOC_RATE_LIMITS="0")
        env["DONDOC_DATABASE_URL"] = self.url
        return env

    def open(self) -> Database:
        """The instance's database, with its upload folder."""
        return Database(self.url, Settings(upload_dir=self.folder / "uploads"))

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a `dondoc` command on this instance."""
        return subprocess.run(
            [str(DONDOC), *args], env=self.env, capture_output=True, text=True, timeout=300
        )


def sqlite_instance(folder: Path) -> Instance:
    """An instance on its default SQLite file."""
    return Instance(folder, f"sqlite:///{folder / 'dondoc.db'}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A `dondoc serve` process."""

    process: subprocess.Popen[bytes]
    url: str


def start_server(instance: Instance, log: Path) -> Server:
    """Start `dondoc serve` on a free port and wait until it answers."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(DONDOC), "serve", "--port", str(port)],
            env=instance.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dondoc serve exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5):
                return Server(process, f"http://127.0.0.1:{port}")
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"dondoc serve did not answer: {log.read_text()}")


def seed_directives(db: Database, users: dict[str, int], count: int) -> None:
    """Directives with one task per unit, entered and assigned: work for every unit."""
    today = date.today()
    for number in range(1, count + 1):
        tasks = tuple(
            TaskInput(f"Nhiệm vụ {number}.{i} của {unit}", (unit,), (), today + timedelta(days=30))
            for i, unit in enumerate(UNITS, 1)
        )
        data = DirectiveInput(
            f"{number}/TB-SL",
            "thong_bao_ket_luan",
            "Sở KH&CN",
            today,
            f"Kết luận số {number}",
            tasks,
        )
        directive_id = directives.create_directive(db, users["vanthu"], data)
        with db.engine.connect() as connection:
            item = connection.execute(
                sa.text(
                    "SELECT work_item.id FROM work_item JOIN directive"
                    " ON directive.process_instance_id = work_item.instance_id"
                    " WHERE directive.id = :id AND work_item.form = 'assign'"
                ),
                {"id": directive_id},
            ).scalar_one()
        directives.assign_directive(db, users["giamdoc"], item)


@dataclass(frozen=True)
class Done:
    """A step a load thread completed: when it began and when its commit had returned."""

    work_item_id: str
    started_at: float
    finished_at: float


@dataclass
class Load:
    """Threads completing steps until told to stop."""

    db: Database
    users: dict[str, int]
    server_url: str
    api_tokens: dict[str, str]
    done: list[Done] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, worker: Callable[[], bool]) -> None:
        """Call a worker until stopped; it returns whether it completed a step."""
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                item_id = worker()
                if item_id:
                    with self.lock:
                        self.done.append(Done(item_id, started, time.monotonic()))
                else:
                    time.sleep(0.02)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.errors.append(exc)

    def count(self, after: float = 0.0) -> int:
        """How many steps finished after a moment."""
        with self.lock:
            return sum(1 for d in self.done if d.finished_at > after)

    def ready(self, forms: tuple[str, ...], units: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """Ready (id, form, unit) items of some forms and units, in random order."""
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                sa.select(sa.text("id, form, unit")).select_from(sa.text("work_item"))
            ).all()
        found = [(r[0], r[1], r[2]) for r in rows if r[1] in forms and r[2] in units]
        random.shuffle(found)
        return found

    def domain_step(self) -> Any:
        """Start work or report with an attachment, through the domain, for DOMAIN_UNITS."""
        for item_id, form, unit in self.ready(("execute", "report"), DOMAIN_UNITS)[:1]:
            head = self.users[f"truong.{unit.lower()}"]
            try:
                if form == "execute":
                    steps.start_work(self.db, head, item_id)
                else:
                    data = b"%PDF-1.4\n" + os.urandom(random.randint(100, 50_000))
                    upload = Upload(f"minh-chung-{item_id[:8]}.pdf", data)
                    steps.submit_report(self.db, head, item_id, "Đã xong", uploads=[upload])
            except DomainError:
                return None  # another thread or the server did it first
            return item_id
        return None

    def http_step(self, username: str, forms: tuple[str, ...]) -> Any:
        """Do one of the caller's ready steps of some forms through the server's JSON API."""
        inbox = self._api(username, "GET", "/api/v1/inbox?per_page=50")
        items = [i for i in inbox["items"] if i["step"] in forms]
        if not items:
            return None
        item = random.choice(items)
        body = {"text": "Báo cáo qua API", "decision": "accept", "comment": "Đạt"}
        path = f"/api/v1/work-items/{item['work_item_id']}/complete"
        try:
            self._api(username, "POST", path, body)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 409):
                return None
            raise
        return item["work_item_id"]

    def _api(self, username: str, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.server_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.api_tokens[username]}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")


def _users(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT username, id FROM app_user")).all())


def _column(db: Database, query: str) -> set[Any]:
    with db.engine.connect() as connection:
        return set(connection.execute(sa.text(query)).scalars())


def _start_load(load: Load) -> list[threading.Thread]:
    heads = [f"truong.{unit.lower()}" for unit in HTTP_UNITS]
    workers: list[Callable[[], Any]] = [load.domain_step, load.domain_step]
    workers += [lambda: load.http_step(random.choice(heads), ("execute", "report"))] * 2
    workers.append(lambda: load.http_step("giamdoc", ("accept",)))
    threads = [threading.Thread(target=load.run, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    return threads


def _wait_for(condition: Callable[[], bool], load: Load, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert not load.errors, load.errors
        assert time.monotonic() < deadline, f"the load never reached {what}"
        time.sleep(0.05)


def back_up_under_load(source: Instance, target: Path, tmp_path: Path) -> tuple[Load, float, float]:
    """Seed, serve, load, and take `dondoc backup` in the middle; return the load and when."""
    assert source.run("init", "--demo").returncode == 0
    db = source.open()
    users = _users(db)
    seed_directives(db, users, 12)
    names = ["giamdoc", *(f"truong.{unit.lower()}" for unit in HTTP_UNITS)]
    api_tokens = {name: tokens.create_token(db, name, "load") for name in names}
    server = start_server(source, tmp_path / "server.log")
    load = Load(db, users, server.url, api_tokens)
    threads = _start_load(load)
    try:
        _wait_for(lambda: load.count() >= STEPS_BEFORE_BACKUP, load, "the steps before the backup")
        began = time.monotonic()
        made = source.run("backup", str(target))
        ended = time.monotonic()
        assert made.returncode == 0, made.stderr
        _wait_for(lambda: load.count(after=ended) >= STEPS_AFTER_BACKUP, load, "later steps")
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(60)
        server.process.terminate()
        server.process.wait(30)
        db.dispose()
    assert not load.errors, load.errors
    return load, began, ended


def check_restored(
    source: Instance, restored: Instance, load: Load, began: float, ended: float
) -> None:
    """The restored instance has everything committed before the backup, consistently."""
    src, db = source.open(), restored.open()
    try:
        assert schema.check_schema(db) == schema.head_schema_revision()
        assert _column(db, "SELECT id FROM directive") == _column(src, "SELECT id FROM directive")
        done_ids = _column(db, "SELECT work_item_id FROM event WHERE work_item_id IS NOT NULL")
        committed = {d.work_item_id for d in load.done if d.finished_at < began}
        assert len(committed) >= STEPS_BEFORE_BACKUP
        assert committed <= done_ids, "steps committed before the backup are missing"
        during = [d for d in load.done if began < d.finished_at < ended]
        assert during, "no step was committed while the backup ran"
        later = {d.work_item_id for d in load.done if d.started_at > ended}
        assert later, "no step began after the backup ended"
        assert later.isdisjoint(done_ids), "the backup holds steps begun after it ended"
        _check_attachments(source, restored, db)
        assert projection_disagreements(db) == {}
        assert (restored.folder / "secret_key").read_bytes() == (
            source.folder / "secret_key"
        ).read_bytes()
        _continue_one_step(db)
    finally:
        src.dispose()
        db.dispose()


def _check_attachments(source: Instance, restored: Instance, db: Database) -> None:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT stored_name, sha256 FROM attachment")).all()
    assert len(rows) >= 5, "the load uploaded too few attachments to tell anything"
    for stored_name, sha256 in rows:
        copy = (restored.folder / "uploads" / stored_name).read_bytes()
        assert copy == (source.folder / "uploads" / stored_name).read_bytes()
        assert hashlib.sha256(copy).hexdigest() == sha256


def _continue_one_step(db: Database) -> None:
    users = _users(db)
    with db.engine.connect() as connection:
        item_id, unit = connection.execute(
            sa.text("SELECT id, unit FROM work_item WHERE form = 'execute' LIMIT 1")
        ).one()
    steps.start_work(db, users[f"truong.{unit.lower()}"], item_id, "sau khi khôi phục")
    assert item_id not in _column(db, "SELECT id FROM work_item")


def test_backup_of_a_busy_sqlite_server_restores_everything_committed(tmp_path: Path) -> None:
    source = sqlite_instance(tmp_path / "source")
    load, began, ended = back_up_under_load(source, tmp_path / "backup", tmp_path)
    restored = sqlite_instance(tmp_path / "restored")
    result = restored.run("restore", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(restored.folder / "dondoc.db")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    check_restored(source, restored, load, began, ended)


@pytest.fixture
def second_pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """Another empty database on the test server, to restore into."""
    name = f"t_restore_{uuid.uuid4().hex[:10]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.mark.pg
def test_backup_of_a_busy_postgresql_server_restores_everything_committed(
    pg_url: str, second_pg_url: str, tmp_path: Path
) -> None:
    source = Instance(tmp_path / "source", pg_url)
    load, began, ended = back_up_under_load(source, tmp_path / "backup", tmp_path)
    assert (tmp_path / "backup" / "database.pgdump").is_file()
    restored = Instance(tmp_path / "restored", second_pg_url)
    result = restored.run("restore", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    check_restored(source, restored, load, began, ended)
    again = restored.run("restore", str(tmp_path / "backup"))
    assert again.returncode == 1
    assert "the database is not empty" in again.stderr
    forced = restored.run("restore", "--force", str(tmp_path / "backup"))
    assert forced.returncode == 0, forced.stderr
    check_restored(source, restored, load, began, ended)
