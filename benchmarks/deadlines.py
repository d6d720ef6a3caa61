"""Deadline benchmark: how late BPMN timers fire, and how long a sweep takes on a big database.

1. Lag: K directives of N assignments, every assignment due at a random instant within one
   minute; a real DeadlineScheduler (APScheduler, lease, one-second watch, wake-up job) fires
   them. Lag = when the overdue timer was handled - its due time. Baseline, measured in the
   same run: raw SpiffWorkflow loading one such instance from SQLite, firing its timers and
   saving it back (the least any scheduler must spend per instance).
2. Sweep: a database holding M open assignments (real instance state copied into M/20 rows,
   with their domain rows), timing one safety sweep when nothing is due and when 10 are due.

Run: `python benchmarks/deadlines.py [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import func, insert, select, update

from engine.tables import ProcessInstance, ProcessPart
from web.scheduler import DeadlineScheduler
from workflows import directives, timers
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.setup import demo, schema
from workflows.tables import Assignment, Directive, Event, Task, Unit, User

UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def fresh_database(folder: Path) -> tuple[Database, dict[str, int]]:
    db = Database(f"sqlite:///{folder / 'deadlines.db'}")
    schema.upgrade_schema(db)
    demo.install_process_model(db)
    demo.install_demo(db)
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    return db, users


def directive_due(serial: int, n: int, start: datetime, window: float) -> DirectiveInput:
    today = date.today()
    tasks = []
    for i in range(n):
        due = start + timedelta(seconds=random.uniform(0, window))
        tasks.append(TaskInput(f"Việc {i}", (UNITS[i % len(UNITS)],), (), due.date(), due_at=due))
    return DirectiveInput(f"{serial}/BENCH", "ke_hoach", "Bench", today, "Đo độ trễ", tuple(tasks))


def assign_all(
    db: Database, users: dict[str, int], k: int, n: int, start: datetime, window: float
) -> None:
    for serial in range(1, k + 1):
        directives.create_directive(db, users["vanthu"], directive_due(serial, n, start, window))
        with db.reading() as session:
            item = db.processes.ready_tasks(
                session, session.scalar(select(func.max(ProcessInstance.id)))
            )[0]
        directives.assign_directive(db, users["giamdoc"], item.id)


def measure_lag(db: Database, users: dict[str, int], k: int, n: int) -> list[float]:
    setup_seconds = k * (0.05 + 0.02 * n) + 10
    start = datetime.now(UTC) + timedelta(seconds=setup_seconds)
    assign_all(db, users, k, n, start, 60)
    scheduler = DeadlineScheduler(db, lease_seconds=10, sweep_seconds=30)
    scheduler.start()
    try:
        deadline = time.monotonic() + setup_seconds + 120
        while time.monotonic() < deadline and fired_count(db) < k * n:
            time.sleep(0.5)
    finally:
        scheduler.stop()
    with db.reading() as session:
        rows = session.execute(
            select(Event.at, Assignment.due_at)
            .join(Assignment, Assignment.id == Event.assignment_id)
            .where(Event.kind == "timer_overdue")
        ).all()
    return [(at - due).total_seconds() for at, due in rows]


def fired_count(db: Database) -> int:
    with db.reading() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "timer_overdue")
            )
            or 0
        )


def raw_floor(db: Database, samples: int = 30) -> list[float]:
    """Raw SpiffWorkflow on one instance's whole JSON: parse it, fire its timers, serialize it."""
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    engine = PythonScriptEngine(environment=TaskDataEnvironment({}))
    with db.reading() as session:
        ids = list(session.scalars(select(ProcessInstance.id).limit(samples)))
        states = [
            db.processes.store.serializer.serialize_json(
                db.processes.store.restore_stored(session, instance_id)
            )
            for instance_id in ids
        ]
    timings = []
    for state in states:
        started = time.perf_counter()
        workflow = serializer.deserialize_json(state)
        workflow.script_engine = engine
        workflow.refresh_timers()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def grow_to(db: Database, users: dict[str, int], assignments: int) -> None:
    """Copy one real instance until the database holds `assignments` open ones.

    The copies are never due (their timers are days away), so no copy is ever loaded: they
    make the tables and indexes as big as a large department's; the real instances made by
    the lag measurement are the ones a sweep finds due.
    """
    with db.reading() as session:
        template = session.scalar(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
        state, model = template.state, template.model_version_id
        parts = session.execute(
            select(ProcessPart.key, ProcessPart.state).where(ProcessPart.instance_id == template.id)
        ).all()
        units = list(session.scalars(select(Unit.id).where(Unit.parent_id.is_not(None))))
    now, copies = datetime.now(UTC), assignments // 20

    def run(session) -> None:
        for batch in range(0, copies, 500):
            count = min(500, copies - batch)
            first = session.scalar(select(func.coalesce(func.max(ProcessInstance.id), 0))) + 1
            session.execute(
                insert(ProcessInstance),
                [
                    {
                        "id": first + i,
                        "model_version_id": model,
                        "state": state,
                        "status": "running",
                        "version_id": 1,
                        "created_at": now,
                        "updated_at": now,
                        "next_timer_at": now + timedelta(days=random.uniform(1, 30)),
                    }
                    for i in range(count)
                ],
            )
            session.execute(
                insert(ProcessPart),
                [
                    {
                        "instance_id": first + i,
                        "key": key,
                        "state": blob,
                        "version_id": 1,
                        "updated_at": now,
                        "next_timer_at": now + timedelta(days=random.uniform(1, 30)),
                    }
                    for i in range(count)
                    for key, blob in parts
                ],
            )
            start_d = session.scalar(select(func.coalesce(func.max(Directive.id), 0))) + 1
            session.execute(
                insert(Directive),
                [
                    {
                        "id": start_d + i,
                        "number": f"{start_d + i}/SWEEP",
                        "issued_year": 2026,
                        "kind": "ke_hoach",
                        "issuer": "Bench",
                        "issued_on": date.today(),
                        "title": "Quét",
                        "body": "",
                        "status": "in_progress",
                        "search_text": "",
                        "process_instance_id": first + i,
                        "created_by_id": users["vanthu"],
                        "created_at": now,
                        "cancel_reason": "",
                    }
                    for i in range(count)
                ],
            )
            start_t = session.scalar(select(func.coalesce(func.max(Task.id), 0))) + 1
            session.execute(
                insert(Task),
                [
                    {
                        "id": start_t + i * 20 + j,
                        "directive_id": start_d + i,
                        "number": j + 1,
                        "content": "x",
                        "reporting": "once",
                    }
                    for i in range(count)
                    for j in range(20)
                ],
            )
            session.execute(
                insert(Assignment),
                [
                    {
                        "task_id": start_t + i * 20 + j,
                        "directive_id": start_d + i,
                        "unit_id": units[j % 7],
                        "unit_code": "X",
                        "unit_name": "X",
                        "role": "lead",
                        "lead_unit_code": "X",
                        "state": "in_progress",
                        "attempt": 1,
                        "due_at": now + timedelta(days=random.uniform(1, 30)),
                    }
                    for i in range(count)
                    for j in range(20)
                ],
            )

    db.command(run)


def measure_sweep(db: Database, due: int) -> float:
    now = datetime.now(UTC)
    if due:
        db.command(
            lambda s: s.execute(
                update(ProcessInstance)
                .where(
                    ProcessInstance.id.in_(
                        select(ProcessInstance.id).order_by(ProcessInstance.id).limit(due)
                    )
                )
                .values(next_timer_at=now - timedelta(seconds=1))
            )
        )
    started = time.perf_counter()
    timers.fire_due_timers(db, now)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    k, n, big = (3, 10, 2_000) if args.quick else (50, 20, 100_000)
    random.seed(9)
    with tempfile.TemporaryDirectory() as tmp:
        db, users = fresh_database(Path(tmp))
        lags = measure_lag(db, users, k, n)
        floor = raw_floor(db)
        print(f"Timer lag: {len(lags)} of {k * n} overdue timers fired, due within one minute")
        print(
            f"  lag p50 {percentile(lags, 0.5):.3f} s  p95 {percentile(lags, 0.95):.3f} s  "
            f"p99 {percentile(lags, 0.99):.3f} s  max {max(lags):.3f} s"
        )
        print(
            f"  raw-engine floor per instance (load, fire, save; N={n}): "
            f"p50 {statistics.median(floor):.1f} ms; lag p50 / floor p50 = "
            f"{percentile(lags, 0.5) * 1000 / statistics.median(floor):.1f}x"
        )
        grow_to(db, users, big)
        with db.reading() as session:
            open_count = session.scalar(
                select(func.count()).select_from(Assignment).where(Assignment.state != "accepted")
            )
        due = min(10, k)
        idle, busy = measure_sweep(db, 0), measure_sweep(db, due)
        print(
            f"Sweep with {open_count} open assignments: nothing due {idle * 1000:.1f} ms, "
            f"{due} instances due {busy * 1000:.1f} ms "
            f"({busy * 1000 / due / statistics.median(floor):.1f}x the floor per instance)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
