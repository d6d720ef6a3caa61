"""Two `dondoc scheduler` processes on one database: kill -9 the active one mid-run.

The survivor takes the lease over and fires the rest; every timer fires once and every person
gets exactly one notice per event, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import seed
from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from web.scheduler import LEASE
from workflows import directives
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.operations import leases
from workflows.tables import Event, Notification, User

UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC")
LEASE_SECONDS = 3


def _start(url: str, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DONDOC_DATABASE_URL": url,
        "DONDOC_INSTANCE_DIR": str(tmp_path / name),
        "DONDOC_SECRET_KEY": "t",
        "DONDOC_LEASE_SECONDS": str(LEASE_SECONDS),
        "DONDOC_TIMER_POLL_SECONDS": "2",
    }
    dondoc = Path(sys.executable).with_name("dondoc")
    return subprocess.Popen(
        [str(dondoc), "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {seconds}s")


def _count(db: Database, what) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(what[0]).where(what[1])) or 0


def _run_failover(url: str, tmp_path: Path) -> None:
    db = Database(url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with db.reading() as session:
            users = {u.username: u.id for u in session.scalars(select(User))}
        first_due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
        tasks = tuple(
            TaskInput(
                f"Việc {i}",
                (unit,),
                (),
                first_due.date(),
                due_at=first_due + timedelta(seconds=2 * i),
            )
            for i, unit in enumerate(UNITS)
        )
        data = replace(small_directive(first_due.date()), tasks=tasks)
        directives.create_directive(db, users["vanthu"], data)
        directives.assign_directive(
            db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
        )
        processes.append(_start(url, tmp_path, "a"))
        holder = _wait(lambda: (leases.lease_holder(db, LEASE) or ("",))[0], 30)
        processes.append(_start(url, tmp_path, "b"))
        overdue = (Event, Event.kind == "timer_overdue")
        _wait(lambda: _count(db, overdue) >= 1, 30)
        active = next(p for p in processes if f":{p.pid}:" in holder)
        os.kill(active.pid, signal.SIGKILL)
        active.wait(10)
        _wait(lambda: _count(db, overdue) == len(UNITS), 40)
        time.sleep(LEASE_SECONDS)  # give a duplicate every chance to appear
        assert _count(db, overdue) == len(UNITS)
        notices = (Notification, Notification.kind == "overdue")
        assert _count(db, notices) == len(UNITS) * 3  # the unit head and two leaders each
        assert leases.lease_holder(db, LEASE)[0] != holder
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
        db.dispose()


def test_failover_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    seed(url)
    _run_failover(url, tmp_path)


@pytest.mark.pg
def test_failover_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    seed(pg_url)
    _run_failover(pg_url, tmp_path)
