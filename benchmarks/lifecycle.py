"""Directive lifecycle benchmark: the app's services against the raw SpiffWorkflow floor.

For each N (assignments per directive) it drives K directives through every step (assign;
per assignment execute, report, accept; one assignment is returned once and redone):

* app     - the workflows/ services on a file SQLite database (workflow cache on, the default);
* app-0   - the same with the workflow cache off (every step deserializes from the database);
* floor   - raw SpiffWorkflow with the same diagram: per step SELECT the JSON, deserialize,
            complete the task, do_engine_steps, serialize, UPDATE, COMMIT (WAL, synchronous=NORMAL).

It prints per-step latency p50/p95, directives/s and the app/floor ratio measured in this run.
Run: `dondoc bench` or `python benchmarks/lifecycle.py [--quick] [--sizes 1,5,20,50]`.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.tables import WorkItem
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.settings import Settings
from workflows.setup import demo, schema
from workflows.steps import unit_work as steps
from workflows.tables import User

BPMN = Path(__file__).resolve().parent.parent / "bpmn" / "directive.bpmn"
UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")


@dataclass
class Timings:
    """Latencies per step kind, in milliseconds, and the wall time of whole directives."""

    steps: dict[str, list[float]] = field(default_factory=dict)
    statements: dict[str, list[int]] = field(default_factory=dict)  # SQL statements per step
    wall_seconds: float = 0.0
    directives: int = 0
    counted: list[int] = field(default_factory=lambda: [0])  # statements so far (the app's)

    def add(self, kind: str, seconds: float) -> None:
        self.steps.setdefault(kind, []).append(seconds * 1000)

    def all(self) -> list[float]:
        return [value for values in self.steps.values() for value in values]


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of a list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(timings: Timings, kind: str, action: Callable[[], Any]) -> Any:
    before = timings.counted[0]
    started = time.perf_counter()
    result = action()
    timings.add(kind, time.perf_counter() - started)
    timings.statements.setdefault(kind, []).append(timings.counted[0] - before)
    return result


def count_statements(db: Database, timings: Timings) -> Callable[..., None]:
    """Count every SQL statement the app's database runs into `timings.counted`."""

    def counted(*_: Any) -> None:
        timings.counted[0] += 1

    sqlalchemy.event.listen(db.engine, "before_cursor_execute", counted)
    return counted


# -- the app ------------------------------------------------------------------------------


def directive_of(n: int, serial: int, today: date) -> DirectiveInput:
    tasks = tuple(
        TaskInput(f"Nhiệm vụ {i + 1}", (UNITS[i % len(UNITS)],), (), today + timedelta(days=30))
        for i in range(n)
    )
    return DirectiveInput(f"{serial}/KH-BENCH", "ke_hoach", "Bench", today, "Benchmark", tasks)


def ready_items(db: Database, form: str) -> list[tuple[str, str | None]]:
    with db.reading() as session:
        rows = session.execute(select(WorkItem.id, WorkItem.unit).where(WorkItem.form == form))
        return [(item_id, unit) for item_id, unit in rows]


def run_app(db: Database, users: dict[str, int], n: int, k: int, serial0: int) -> Timings:
    timings, today = Timings(), date.today()
    counter = count_statements(db, timings)
    boss = users["giamdoc"]
    started = time.perf_counter()
    for serial in range(serial0, serial0 + k):
        timed(
            timings,
            "create",
            lambda s=serial: directives.create_directive(
                db, users["vanthu"], directive_of(n, s, today)
            ),
        )
        ((assign, _),) = ready_items(db, "assign")
        timed(timings, "assign", lambda a=assign: directives.assign_directive(db, boss, a))
        returned = False
        while items := ready_items(db, "execute"):
            for item, unit in items:
                staff = users[f"cv.{(unit or '').lower()}"]
                timed(timings, "execute", lambda i=item, u=staff: steps.start_work(db, u, i))
            for item, unit in ready_items(db, "report"):
                head = users[f"truong.{(unit or '').lower()}"]
                timed(timings, "report", lambda i=item, u=head: steps.submit_report(db, u, i, "ok"))
            for item, _ in ready_items(db, "accept"):
                if not returned:
                    returned = True
                    timed(
                        timings,
                        "return",
                        lambda i=item: steps.return_report(db, boss, i, "bổ sung"),
                    )
                else:
                    timed(timings, "accept", lambda i=item: steps.accept_report(db, boss, i))
        timings.directives += 1
    timings.wall_seconds = time.perf_counter() - started
    sqlalchemy.event.remove(db.engine, "before_cursor_execute", counter)
    return timings


# -- the floor: raw SpiffWorkflow plus one SQLite commit per step ---------------------------


class Floor:
    """The same process driven directly on SpiffWorkflow, state kept in one SQLite row."""

    def __init__(self, path: Path) -> None:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("directive")
        self.subprocesses = parser.get_subprocess_specs("directive")
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment({}))
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE wf (id INTEGER PRIMARY KEY, state TEXT)")

    def create(self) -> int:
        wf = BpmnWorkflow(self.spec, self.subprocesses, script_engine=self.engine)
        wf.do_engine_steps()
        cursor = self.db.execute(
            "INSERT INTO wf (state) VALUES (?)", (self.serializer.serialize_json(wf),)
        )
        return int(cursor.lastrowid or 0)

    def step(self, wf_id: int, task_id: Any, data: dict[str, Any]) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        (state,) = self.db.execute("SELECT state FROM wf WHERE id = ?", (wf_id,)).fetchone()
        wf = self.serializer.deserialize_json(state)
        wf.script_engine = self.engine
        task = wf.get_task_from_id(task_id)
        task.set_data(**data)
        task.run()
        wf.do_engine_steps()
        self.db.execute(
            "UPDATE wf SET state = ? WHERE id = ?", (self.serializer.serialize_json(wf), wf_id)
        )
        self.db.execute("COMMIT")
        return wf

    def ready(self, wf: Any, name: str) -> list[Any]:
        return [t.id for t in wf.get_tasks(state=TaskState.READY, manual=True, spec_name=name)]


def run_floor(floor: Floor, n: int, k: int) -> Timings:
    timings = Timings()
    due = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assignments = [
        {
            "assignment_id": i,
            "unit": UNITS[i % len(UNITS)],
            "role": "lead",
            "lead_unit": UNITS[i % len(UNITS)],
            "task_no": i + 1,
            "due_at": due,
            "remind_at": due,
        }
        for i in range(n)
    ]
    started = time.perf_counter()
    for _ in range(k):
        floor_directive(floor, timings, assignments)
        timings.directives += 1
    timings.wall_seconds = time.perf_counter() - started
    return timings


def floor_directive(floor: Floor, timings: Timings, assignments: list[dict[str, Any]]) -> None:
    """Drive one directive on the floor, step for step like the app."""
    wf_id = timed(timings, "create", floor.create)
    state = floor.db.execute("SELECT state FROM wf WHERE id = ?", (wf_id,)).fetchone()[0]
    wf = floor.serializer.deserialize_json(state)

    def step(kind: str, task: Any, data: dict[str, Any]) -> Any:
        return timed(timings, kind, lambda: floor.step(wf_id, task, data))

    (assign,) = floor.ready(wf, "assign")
    wf = step("assign", assign, {"assignments": assignments})
    returned = False
    while executes := floor.ready(wf, "execute"):
        for task in executes:
            wf = step("execute", task, {"execution_note": ""})
        for task in floor.ready(wf, "report"):
            wf = step("report", task, {"report_text": "ok", "report_signed": True})
        for task in floor.ready(wf, "accept"):
            kind, verdict = ("accept", True) if returned else ("return", False)
            returned = True
            wf = step(kind, task, {"accepted": verdict, "comment": ""})


# -- driver -------------------------------------------------------------------------------


def app_database(folder: Path, name: str, cache_size: int) -> tuple[Database, dict[str, int]]:
    db = Database(f"sqlite:///{folder / name}", Settings(workflow_cache_size=cache_size))
    schema.upgrade_schema(db)
    demo.install_process_model(db)
    demo.install_demo(db)
    with db.reading() as session:
        users = {user.username: user.id for user in session.scalars(select(User))}
    return db, users


def report_size(n: int, results: dict[str, Timings]) -> None:
    floor = results["floor"]
    floor_p50 = statistics.median(floor.all())
    print(f"\nN = {n} assignments per directive, {floor.directives} directives")
    print(f"  {'run':<7} {'step':<8} {'count':>5} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5}")
    for run, timings in results.items():
        for kind in ("create", "assign", "execute", "report", "return", "accept"):
            values = timings.steps.get(kind, [])
            statements = timings.statements.get(kind, [])
            if values:
                sql = f"{statistics.median(statements):>5.0f}" if run != "floor" else ""
                print(
                    f"  {run:<7} {kind:<8} {len(values):>5} "
                    f"{percentile(values, 0.5):>8.2f} {percentile(values, 0.95):>8.2f} {sql}"
                )
    for run, timings in results.items():
        every = timings.all()
        rate = timings.directives / timings.wall_seconds
        print(
            f"  {run:<7} all steps p50 {statistics.median(every):7.2f} ms  "
            f"p95 {percentile(every, 0.95):7.2f} ms  {rate:7.2f} directives/s  "
            f"ratio app/floor (p50) {statistics.median(every) / floor_p50:5.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20,50", help="comma-separated N values")
    parser.add_argument("--quick", action="store_true", help="fewer directives (a smoke run)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app, users = app_database(folder, "app.db", 256)
        uncached, users0 = app_database(folder, "app0.db", 0)
        floor = Floor(folder / "floor.db")
        serial = 1
        for n in sizes:
            k = 1 if args.quick else max(2, min(20, 100 // n))
            results = {
                "floor": run_floor(floor, n, k),
                "app": run_app(app, users, n, k, serial),
                "app-0": run_app(uncached, users0, n, k, serial),
            }
            serial += k
            report_size(n, results)
        app.dispose()
        uncached.dispose()


if __name__ == "__main__":
    main()
