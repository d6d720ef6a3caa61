"""A diagram cannot freeze the server: scripts run in workers, runaway timers are refused.

Against a real server (the app served by a threaded WSGI server on loopback, as the e2e tests
do), a step whose script holds a CPU in one C call runs while `/healthz` still answers at once;
the step then fails naming the element, saves nothing, and the server did not grow. A timer
cycle with a zero period fails its step at once instead of holding the SQLite write lock, so
another directive's write goes through; a cycle above the minimum fires a reminder every time,
through the real deadline scheduler.
"""

from __future__ import annotations

import json
import resource
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from engine import EngineLimits, ProcessEngine
from engine.sandbox import ScriptLimits
from tests.engine import variants
from tests.engine.test_sandbox import with_post_script
from tests.helpers import items_for, snapshot
from tests.workflows.conftest import small_directive
from web.app import create_app
from web.scheduler import DeadlineScheduler
from workflows import directives
from workflows.access.tokens import create_token
from workflows.db import MODEL_RULES, PROJECTION_RULES, Database
from workflows.entry import TaskInput
from workflows.errors import ProcessFailed
from workflows.tables import Directive, Event, Notification

MB = 1024 * 1024
SCRIPT_SECONDS = 6.0  # long enough that the attack is surely still running when healthz asks
COMPARE = "a = [[0] * 10**6] * 10**6\nb = [[0] * 10**6] * 10**6\nx = a == b"  # hours of C work
ZERO_PERIOD = '"R/PT" + str(assignment["assignment_id"] * 0) + "S"'  # "R/PT0S", from data


@dataclass(frozen=True)
class Served:
    """The app, its database and where it listens."""

    app: Flask
    db: Database
    url: str


def _engine(**limits: Any) -> ProcessEngine:
    script = ScriptLimits(seconds=limits.pop("script_seconds", 1.0))
    return ProcessEngine(PROJECTION_RULES, 256, MODEL_RULES, script, EngineLimits(**limits))


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path / "instance"),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "freeze",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    db: Database = app.extensions["dondoc.db"]
    db.processes = _engine(script_seconds=SCRIPT_SECONDS, call_seconds=30)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(app, db, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        db.dispose()


def _publish(db: Database, xml: bytes) -> None:
    def run(session: Any) -> None:
        db.processes.save_model(session, "directive", xml, author="admin", publish=True)

    db.command(run)


def _directive(db: Database, users: dict[str, int], number: str) -> str:
    """Enter a one-task directive; return the id of its `assign` work item."""
    due_on = datetime.now(UTC).date() + timedelta(days=30)
    data = replace(
        small_directive(due_on - timedelta(days=30), number),
        tasks=(TaskInput("Báo cáo nhanh", ("KHTC",), (), due_on),),
    )
    directives.create_directive(db, users["vanthu"], data)
    return next(
        item.work_item_id
        for item in items_for(db, users["giamdoc"], "assign")
        if item.directive_number == number
    )


def _post(url: str, token: str, body: dict[str, Any], timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_healthz_answers_while_a_script_holds_a_cpu_in_one_c_call(served, users) -> None:
    db = served.db
    _publish(db, with_post_script(COMPARE))
    attack = _directive(db, users, "1/CT-ATTACK")
    token = create_token(db, "giamdoc")
    before, memory_before = snapshot(db), _peak_rss()
    outcome: dict[str, Any] = {}

    def complete() -> None:
        url = f"{served.url}/api/v1/work-items/{attack}/complete"
        outcome["answer"] = _post(url, token, {"step": "assign"}, timeout=60)
        outcome["finished_at"] = time.monotonic()

    began = time.monotonic()
    worker = threading.Thread(target=complete)
    worker.start()
    time.sleep(1.0)  # the request is in the worker by now: it takes SCRIPT_SECONDS + 1
    health = _get(f"{served.url}/healthz")
    login = _get(f"{served.url}/login")
    answered = time.monotonic()
    still_running = worker.is_alive()
    worker.join(30)
    # 503 is a fair answer too: the step holds SQLite's write lock, and healthz says so.
    assert health[0] in (200, 503)
    assert json.loads(health[1])["checks"]["schema"]["state"] == "ok"
    assert login[0] == 200
    assert answered - began < 4, f"healthz and a page took {answered - began - 1.0:.2f} s"
    assert still_running, "the attack had finished before healthz answered: no proof"
    status, body = outcome["answer"]
    assert status == 500
    assert (
        "the script in 'assign' was stopped: it ran longer than 6.0 s" in (body["error"]["message"])
    )
    assert outcome["finished_at"] - began >= SCRIPT_SECONDS
    assert snapshot(db) == before  # nothing of the step was saved
    assert _peak_rss() - memory_before < 64 * MB
    _publish(db, variants.original())  # the next normal step works
    normal = _directive(db, users, "2/CT-NORMAL")
    url = f"{served.url}/api/v1/work-items/{normal}/complete"
    assert _post(url, token, {"step": "assign"}, timeout=30)[0] == 200


def test_a_zero_period_fails_at_once_and_another_write_is_not_blocked(db, users) -> None:
    _publish(db, variants.with_timer("execute_reminder", "timeCycle", ZERO_PERIOD))
    attack = _directive(db, users, "1/CT-ZERO")
    outcome: dict[str, Any] = {}

    def assign() -> None:
        began = time.monotonic()
        try:
            directives.assign_directive(db, users["giamdoc"], attack)
        except ProcessFailed as exc:
            outcome["error"] = str(exc)
        outcome["seconds"] = time.monotonic() - began

    worker = threading.Thread(target=assign, daemon=True)  # before the fix it never returned
    worker.start()
    began = time.monotonic()
    directives.create_directive(
        db, users["vanthu"], small_directive(datetime.now(UTC).date(), "2/CT-OTHER")
    )
    other_write = time.monotonic() - began
    worker.join(10)
    assert not worker.is_alive(), "the step that armed R/PT0S did not return"
    assert other_write < 2, f"another directive's write waited {other_write:.1f} s"
    assert outcome["seconds"] < 2
    assert (
        "the timer in 'execute_reminder' was refused: its cycle repeats every 0 s"
        in (outcome["error"])
    )
    with db.reading() as session:
        status = session.scalar(select(Directive.status).where(Directive.number == "1/CT-ZERO"))
    assert status == "assigning"  # nothing of the step was saved


def _wait(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"not within {seconds}s")


def test_a_cycle_fires_a_reminder_every_time_through_the_scheduler(db, users) -> None:
    db.processes = _engine(min_timer_seconds=1)
    _publish(db, variants.with_timer("execute_reminder", "timeCycle", "'R3/PT1S'"))
    scheduler = DeadlineScheduler(db, lease_seconds=5, sweep_seconds=60)
    scheduler.start()

    def reminders() -> list[Any]:
        with db.reading() as session:
            rows = session.scalars(select(Event.after).where(Event.kind == "timer_reminder"))
            return [after["due_at"] for after in rows]

    try:
        directives.assign_directive(db, users["giamdoc"], _directive(db, users, "1/CT-CYCLE"))
        dues = _wait(lambda: len(reminders()) >= 3 and reminders(), 15)
        time.sleep(2.5)  # a fourth would have fired by now
    finally:
        scheduler.stop()
    assert reminders() == dues
    firsts = [datetime.fromisoformat(due) for due in dues]
    assert [later - earlier for earlier, later in zip(firsts, firsts[1:], strict=False)] == [
        timedelta(seconds=1)
    ] * 2
    with db.reading() as session:
        notices = session.scalars(
            select(Notification.user_id).where(Notification.kind == "reminder")
        ).all()
    assert notices == [users["truong.khtc"]] * 3
