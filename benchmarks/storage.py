"""Storage benchmark: workflow state per assignment, and the database at 100,000 assignments.

1. Sample: real directives of mixed sizes (5 to 100 assignments, every third task with a
   coordinating unit, the demo's Tết directive among them) entered, assigned and worked
   through the use cases on a SQLite file: four in five to the end (one report in each
   returned once and redone), the rest left halfway (executed, half of them reported).
   Printed: the workflow state bytes per assignment of ended and of running directives, as
   stored now (ended: one compressed piece; running: a compressed top and one compressed part
   per assignment) and, measured on the same workflows in the same run, as the release before
   stored it (the whole instance as SpiffWorkflow's JSON, specs included, uncompressed); then
   every table's and index's bytes per assignment (SQLite's dbstat).
2. Scale: the sample's rows copied (ids shifted, unique texts suffixed) until the database
   holds the target number of assignments, VACUUM, and the file's size.

Run: `python benchmarks/storage.py [--quick] [--target 100000]`.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.tables import WorkItem  # noqa: E402
from workflows import Submission, complete_step, directives  # noqa: E402
from workflows.db import Database  # noqa: E402
from workflows.entry import DirectiveInput, TaskInput  # noqa: E402
from workflows.setup import demo, schema  # noqa: E402
from workflows.tables import Directive, User  # noqa: E402

UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")
SIZES = (5, 10, 20, 50, 100)
# Rows that grow with directives, parents first; the rest (units, users, the diagram) stay.
GROWING = (
    "process_instance",
    "process_part",
    "work_item",
    "directive",
    "task",
    "assignment",
    "report",
    "attachment",
    "extension_request",
    "event",
    "notification",
)


@dataclass
class Sample:
    """What the sample made: its directives, ended or not, and its assignment count."""

    ended: list[int] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    assignments: int = 0


def directive_of(n: int, serial: int, today: date) -> DirectiveInput:
    tasks = tuple(
        TaskInput(
            f"Nhiệm vụ {i + 1}: triển khai và báo cáo kết quả thực hiện",
            (UNITS[i % len(UNITS)],),
            (UNITS[(i + 1) % len(UNITS)],) if i % 3 == 2 else (),
            today + timedelta(days=30 + i % 60),
        )
        for i in range(n)
    )
    return DirectiveInput(
        f"{serial}/KH-STORAGE", "ke_hoach", "UBND tỉnh", today, f"Kế hoạch số {serial}", tasks
    )


def _actor(users: dict[str, int], form: str, unit: str | None) -> int:
    code = (unit or "").lower()
    if form == "execute":
        return users[f"cv.{code}"]
    if form in ("assign", "accept"):
        return users["giamdoc"]
    return users[f"truong.{code}"]  # report, contribute, acknowledge


def _ready(db: Database, instance_id: int, forms: set[str]) -> list[tuple[str, str, str | None]]:
    with db.reading() as session:
        rows = session.execute(
            sa.select(WorkItem.id, WorkItem.form, WorkItem.unit).where(
                WorkItem.instance_id == instance_id, WorkItem.form.in_(forms)
            )
        )
        return [(item, form, unit) for item, form, unit in rows]


def work(
    db: Database,
    users: dict[str, int],
    instance_id: int,
    forms: set[str],
    share: float,
    return_one: bool,
) -> None:
    """Do the ready steps of these forms (a share of them) until none is left."""
    returned = not return_one
    while ready := _ready(db, instance_id, forms):
        ready = ready[: max(1, int(len(ready) * share))] if share < 1 else ready
        for item, form, unit in ready:
            decision = "accept"
            if form == "accept" and not returned:
                decision, returned = "return", True
            submission = Submission(
                step=form, text="Đã thực hiện", decision=decision, comment="Bổ sung số liệu"
            )
            complete_step(db, _actor(users, form, unit), item, submission)
        if share < 1:
            return


def make_sample(db: Database, users: dict[str, int], rounds: int) -> Sample:
    sample, today, serial = Sample(), date.today(), 0
    inputs = [demo.tet_directive(today)] + [
        directive_of(n, serial := serial + 1, today) for _ in range(rounds) for n in SIZES
    ]
    for index, data in enumerate(inputs):
        directive_id = directives.create_directive(db, users["vanthu"], data)
        with db.reading() as session:
            instance_id = session.scalar(
                sa.select(Directive.process_instance_id).where(Directive.id == directive_id)
            )
        assert instance_id is not None
        work(db, users, instance_id, {"assign"}, 1, False)
        work(db, users, instance_id, {"execute"}, 1, False)
        sample.assignments += sum(len(t.lead_units) + len(t.coordinating_units) for t in data.tasks)
        if index % 5 == 4:  # left halfway
            work(db, users, instance_id, {"report", "contribute"}, 0.5, False)
            sample.running.append(instance_id)
            continue
        forms = {"report", "contribute", "accept", "acknowledge", "execute"}
        work(db, users, instance_id, forms, 1, True)
        sample.ended.append(instance_id)
    return sample


def state_bytes(db: Database, instances: list[int]) -> tuple[int, int, int]:
    """(bytes stored now, bytes as the release before stored them, assignments) of instances."""
    store = db.processes.store
    now = before = assignments = 0
    with db.reading() as session:
        for instance_id in instances:
            now += (
                session.scalar(
                    sa.text("SELECT length(state) FROM process_instance WHERE id = :i"),
                    {"i": instance_id},
                )
                or 0
            )
            now += (
                session.scalar(
                    sa.text(
                        "SELECT coalesce(sum(length(state)), 0) FROM process_part "
                        "WHERE instance_id = :i"
                    ),
                    {"i": instance_id},
                )
                or 0
            )
            workflow = store.restore_stored(session, instance_id)
            before += len(store.serializer.serialize_json(workflow).encode("utf-8"))
            assignments += (
                session.scalar(
                    sa.text(
                        "SELECT count(*) FROM assignment a JOIN directive d "
                        "ON d.id = a.directive_id WHERE d.process_instance_id = :i"
                    ),
                    {"i": instance_id},
                )
                or 0
            )
    return now, before, assignments


def table_sizes(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()


def vacuum(path: Path) -> None:
    """Rewrite the file compactly and fold the write-ahead log into it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def grow(path: Path, target: int) -> int:
    """Copy the growing rows until `target` assignments; return how many there are."""
    metadata = sa.MetaData()
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.reflect(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        span = {
            name: int(connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar() or 0)
            for name in GROWING
        }
        top = {
            name: int(
                connection.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {name}")).scalar()
                or 0
            )
            for name in GROWING
            if name != "work_item"
        }
        have = span["assignment"]
        copy = 0
        while have < target:
            copy += 1
            for name in GROWING:
                connection.execute(_copy_statement(metadata.tables[name], top, copy))
            have += span["assignment"]
    engine.dispose()
    vacuum(path)
    return have


def _copy_statement(table: sa.Table, top: dict[str, int], copy: int) -> sa.Insert:
    unique = {
        c.name
        for u in table.constraints
        if isinstance(u, sa.UniqueConstraint)
        for c in u.columns
        if isinstance(c.type, sa.String)
    }
    unique |= {c.name for c in table.columns if c.unique and isinstance(c.type, sa.String)}
    if table.name == "work_item":
        unique.add("id")
    values = []
    for column in table.columns:
        shift = _shift(table, column, top)
        if shift is not None:
            values.append((column + shift * copy).label(column.name))
        elif column.name in unique:
            values.append((column + sa.literal(f"~{copy}")).label(column.name))
        else:
            values.append(column)
    original = [table.c.id <= top[table.name]] if table.name in top else []
    if table.name == "work_item":
        original = [~table.c.id.contains("~")]
    select = sa.select(*values).where(*original)
    return table.insert().from_select([c.name for c in table.columns], select)


def _shift(table: sa.Table, column: sa.Column, top: dict[str, int]) -> int | None:
    if column.primary_key and column.name == "id" and table.name in top:
        return top[table.name]
    for key in column.foreign_keys:
        if key.column.table.name in top:
            return top[key.column.table.name]
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--target", type=int, default=100_000)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dondoc-storage-"))
    path = folder / "storage.db"
    db = Database(f"sqlite:///{path}")
    schema.upgrade_schema(db)
    demo.install_process_model(db)
    demo.install_demo(db)
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(sa.select(User))}
    started = time.perf_counter()
    sample = make_sample(db, users, 1 if args.quick else 3)
    print(
        f"sample: {len(sample.ended) + len(sample.running)} directives, "
        f"{sample.assignments} assignments, {time.perf_counter() - started:.0f} s"
    )
    for label, instances in (("ended", sample.ended), ("running", sample.running)):
        now, before, count = state_bytes(db, instances)
        print(
            f"  workflow state per {label} assignment: {now / count:7.0f} B now, "
            f"{before / count:7.0f} B as stored before (×{before / now:.1f} smaller)"
        )
    db.dispose()
    vacuum(path)
    print(f"  database: {file_size(path) / sample.assignments:.0f} B per assignment")
    for name, size in table_sizes(path)[:12]:
        print(f"    {name:40} {size / sample.assignments:8.0f} B per assignment")
    target = 10_000 if args.quick else args.target
    started = time.perf_counter()
    have = grow(path, target)
    print(
        f"scaled to {have} assignments ({time.perf_counter() - started:.0f} s): "
        f"{file_size(path) / 1e6:.0f} MB, {file_size(path) / have:.0f} B per assignment"
    )
    for name, size in table_sizes(path)[:8]:
        print(f"    {name:40} {size / 1e6:8.1f} MB")


if __name__ == "__main__":
    main()
