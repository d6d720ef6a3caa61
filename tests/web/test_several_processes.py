"""Several server processes on one PostgreSQL database: units of one directive act at once.

A real `dondoc serve --workers 3` (gunicorn, a scheduler process beside it) serves the API.
The seven units of the Tết directive (29 assignments) each work through their inbox from
their own thread at the same moment, then the leader and the lead units' heads take the
decisions at once. Every step lands exactly once, the work spread over several processes, and
the directive ends completed with its records agreeing with the engine's stored state.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import seed
from tests.helpers import items_for, projection_disagreements
from workflows import directives
from workflows.access.tokens import create_token
from workflows.db import Database
from workflows.setup import demo
from workflows.tables import Assignment, Directive, Event, User

UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")
BODIES: dict[str, dict[str, Any]] = {
    "execute": {"note": "bắt đầu"},
    "report": {"text": "Báo cáo kết quả"},
    "contribute": {"text": "Ý kiến phối hợp"},
    "accept": {"decision": "accept"},
    "acknowledge": {"decision": "accept"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A `dondoc serve --workers K` process tree on loopback."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def children(self) -> list[int]:
        """The processes the server started (its workers and the scheduler)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.log.read_text(errors="replace")[-3000:]
            pytest.fail(f"the server stopped with {server.process.returncode}:\n{output}")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail("the server did not answer /healthz within a minute")


@contextmanager
def serving(database_url: str, folder: Path, *options: str) -> Iterator[Server]:
    """`dondoc serve` with these options on a free port until the block ends (SIGTERM)."""
    env = {
        **os.environ,
        "DONDOC_INSTANCE_DIR": str(folder / "instance"),
        "DONDOC_DATABASE_URL": database_url,
        "DONDOC_SECRET_KEY": "several-processes",
    }
    port = _free_port()
    command = [sys.executable, "-m", "web.cli", "serve", "--port", str(port), *options]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, port, folder / "server.log")
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when shutdown hangs
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def three_processes(pg_url: str, tmp_path: Path) -> Iterator[Server]:
    seed(pg_url)
    with serving(pg_url, tmp_path, "--workers", "3") as server:
        yield server


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_one_process_serves_with_the_scheduler_in_a_process_of_its_own(
    db_url: str, tmp_path: Path
) -> None:
    with serving(db_url, tmp_path, "--workers", "1") as server:
        (scheduler,) = server.children()
        assert f"-m web.cli scheduler --parent {server.process.pid}" in _command_line(scheduler)
        assert _command_line(server.process.pid).count("serve") == 1
    assert not _alive(scheduler)  # stopped with the server, not orphaned


def test_the_scheduler_stops_when_the_server_is_killed(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, "--workers", "1") as server:
        (scheduler,) = server.children()
        server.process.kill()  # no chance to stop its child
        server.process.wait()
        deadline = time.monotonic() + 15
        while _alive(scheduler) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(scheduler)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent to read its status does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_without_the_scheduler_no_process_is_started_beside(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, "--workers", "1", "--no-scheduler") as server:
        assert server.children() == []


class Client:
    """One person's keep-alive connection to the API."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = json.dumps(body) if body is not None else None
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = json.loads(response.read() or b"null")
        if response.status == 409 and data["error"]["code"] == "task_no_longer_ready":
            return None  # someone else did it first: the answer a person would get
        assert response.status == 200, f"{method} {path}: {response.status} {data}"
        return data

    def work_through_inbox(self, steps: set[str]) -> int:
        """Complete every ready step of these kinds until none is left; return how many."""
        done = 0
        while True:
            page = self.call("GET", "/api/v1/inbox?per_page=100")
            ready = [item for item in page["items"] if item["step"] in steps]
            if not ready:
                return done
            for item in ready:
                body = {"step": item["step"], **BODIES[item["step"]]}
                path = f"/api/v1/work-items/{item['work_item_id']}/complete"
                done += self.call("POST", path, body) is not None


def _at_once(jobs: list[tuple[Client, set[str]]]) -> list[int]:
    """Run every client's inbox at the same moment; return the steps each completed."""
    barrier = threading.Barrier(len(jobs))
    done = [0] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        client, steps = jobs[index]
        try:
            barrier.wait()
            done[index] = client.work_through_inbox(steps)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            client.connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    return done


def _assigned_tet(db: Database, users: dict[str, int]) -> int:
    directive_id = directives.create_directive(
        db, users["vanthu"], demo.tet_directive(date.today())
    )
    assign = items_for(db, users["giamdoc"], "assign")[0]
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return directive_id


@pytest.mark.pg
def test_units_of_one_directive_act_at_once_through_three_server_processes(
    pg_url: str, three_processes: Server
) -> None:
    db = Database(pg_url)
    try:
        with db.reading() as session:
            users = {u.username: u.id for u in session.scalars(select(User))}
        directive_id = _assigned_tet(db, users)
        token = {name: create_token(db, name) for name in users}
        port = three_processes.port
        workers = three_processes.children()
        assert len(workers) >= 4  # three web workers and the scheduler
        ticks = {pid: _cpu_ticks(pid) for pid in workers}

        both = [  # the officer and the head of each unit race for the same execute steps
            (Client(port, token[f"{role}.{c.lower()}"]), {"execute"})
            for c in UNITS
            for role in ("cv", "truong")
        ]
        assert sum(_at_once(both)) == 29
        heads = [
            (Client(port, token[f"truong.{c.lower()}"]), {"report", "contribute"}) for c in UNITS
        ]
        assert sum(_at_once(heads)) == 29
        deciders = [(Client(port, token["giamdoc"]), {"accept"})] + [
            (Client(port, token[f"truong.{c.lower()}"]), {"acknowledge"}) for c in UNITS
        ]
        decided = sum(_at_once(deciders))

        busy = [pid for pid in workers if _cpu_ticks(pid) - ticks[pid] > 10]
        assert len(busy) >= 3, "the steps were not shared among the server's processes"
        _assert_each_step_once(db, directive_id, decided)
    finally:
        db.dispose()


def _assert_each_step_once(db: Database, directive_id: int, decided: int) -> None:
    with db.reading() as session:
        status = session.scalar(select(Directive.status).where(Directive.id == directive_id))
        states = Counter(
            session.scalars(select(Assignment.state).where(Assignment.directive_id == directive_id))
        )
        kinds = Counter(
            session.scalars(select(Event.kind).where(Event.directive_id == directive_id))
        )
        twice = session.execute(
            select(Event.work_item_id, func.count())
            .where(Event.directive_id == directive_id, Event.work_item_id.is_not(None))
            .group_by(Event.work_item_id)
            .having(func.count() > 1)
        ).all()
    assert status == "completed"
    assert sum(states.values()) == 29
    assert kinds["work_started"] == 29
    assert kinds["report_accepted"] + kinds["contribution_accepted"] == 29 == decided
    assert twice == []
    assert projection_disagreements(db) == {}
