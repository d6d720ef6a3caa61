"""The operators' consistency check (`dondoc check`): read-only, one finding per thing wrong.

- work_items: every READY user task in an instance's stored state has its work-item row, and
  every row has its READY task (each running or suspended instance is deserialized)
- assignment_states: an assignment's state matches the step the engine waits at for it
- directive_status: a directive's status matches its process instance's status
- history: every decided report or contribution has its event; a completed directive, its own
- attachments: every attachment's file is in the upload folder with its recorded size, and
  every file there belongs to an attachment
- state_size: no instance's serialized state is over the limit
- due_items: the statistics' due items agree with a recount from assignments, reports, events
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import engine
from engine import ReadyTask, WorkItem
from workflows import tallies
from workflows.db import Database
from workflows.errors import DomainError, SchemaNotCurrent
from workflows.setup import schema
from workflows.tables import Assignment, Attachment, Directive, Event, Report, Task

CHECKS: tuple[str, ...] = ("work_items", "assignment_states", "directive_status", "history")
CHECKS += ("attachments", "state_size", "due_items")
MAX_STATE_BYTES = 5 * 1024 * 1024
LIVE = ("running", "suspended")
INSTANCE_STATUS = {
    "assigning": "running",
    "in_progress": "running",
    "suspended": "suspended",
    "completed": "completed",
    "cancelled": "cancelled",
}
# The built-in step an assignment waits at in each state (steps.py sets the states).
EXPECTED_STEPS: dict[tuple[str, str], frozenset[str]] = {
    ("lead", "assigned"): frozenset({"execute"}),
    ("lead", "returned"): frozenset({"execute", "report"}),  # a redo starts at the report now
    ("lead", "in_progress"): frozenset({"report"}),
    ("lead", "drafted"): frozenset({"sign_off"}),
    ("lead", "reported"): frozenset({"accept"}),
    ("coordinating", "assigned"): frozenset({"execute"}),
    ("coordinating", "returned"): frozenset({"execute", "contribute"}),
    ("coordinating", "in_progress"): frozenset({"contribute"}),
    ("coordinating", "drafted"): frozenset({"sign_off"}),
    ("coordinating", "reported"): frozenset({"acknowledge"}),
}
BUILT_IN_STEPS = frozenset().union(*EXPECTED_STEPS.values())
DECISION_EVENTS = tuple(
    f"{kind}_{decision}"
    for kind in ("report", "contribution")
    for decision in ("accepted", "returned")
)


class CannotCheck(Exception):
    """The check itself could not run (no database, an outdated schema)."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which check found it, what it is about, what is wrong; ids in `refs`."""

    check: str
    subject: str
    problem: str
    refs: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckReport:
    """Every finding, grouped by check in `CHECKS` order, and how much was examined."""

    findings: tuple[Finding, ...]
    examined: Mapping[str, int]

    @property
    def clean(self) -> bool:
        """Tell whether nothing was found."""
        return not self.findings

    def by_check(self) -> dict[str, list[Finding]]:
        """The findings of each check, every check listed."""
        return {name: [f for f in self.findings if f.check == name] for name in CHECKS}


@dataclass
class _Scan:
    """What the checks share: directives by instance, and each live instance's READY tasks."""

    session: Session
    directives: dict[int, Directive]
    instances: dict[int, str]
    ready: dict[int, list[ReadyTask]] = field(default_factory=dict)
    unreadable: dict[int, str] = field(default_factory=dict)

    def label(self, instance_id: int) -> str:
        directive = self.directives.get(instance_id)
        if directive is None:
            return f"process instance #{instance_id} (no directive)"
        return f"directive {directive.number} (#{directive.id})"

    def refs(self, instance_id: int, **more: int | str) -> dict[str, int | str]:
        directive = self.directives.get(instance_id)
        ids: dict[str, int | str] = {"instance_id": instance_id}
        if directive is not None:
            ids["directive_id"] = directive.id
        return {**ids, **more}


def read_only_url(url: str) -> str:
    """The same database opened read-only (SQLite files); other URLs are returned unchanged."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return url
    if parsed.database.startswith("file:"):
        return url
    if not Path(parsed.database).is_file():
        raise CannotCheck(f"there is no database at {parsed.database}")
    query = {**parsed.query, "mode": "ro", "uri": "true"}
    return parsed.set(database=f"file:{parsed.database}", query=query).render_as_string(False)


def check_database(
    url: str, upload_dir: Path, max_state_bytes: int = MAX_STATE_BYTES
) -> CheckReport:
    """Open the database read-only, run every check and close it; CannotCheck when it cannot run."""
    db = Database(read_only_url(url))
    try:
        return run_checks(db, upload_dir, max_state_bytes)
    except (SQLAlchemyError, DomainError) as exc:
        raise CannotCheck(f"the database cannot be read: {exc}") from exc
    finally:
        db.dispose()


def run_checks(
    db: Database, upload_dir: Path, max_state_bytes: int = MAX_STATE_BYTES
) -> CheckReport:
    """Run every check in one read-only session and return the findings; nothing is changed."""
    try:
        schema.check_schema(db)
    except SchemaNotCurrent as exc:
        raise CannotCheck(str(exc)) from exc
    with db.reading() as session:
        scan = _scan(session, db)
        findings = (
            *_work_items(scan),
            *_assignment_states(scan),
            *_directive_status(scan),
            *_history(session),
            *_attachments(session, upload_dir),
            *_state_sizes(scan, db, max_state_bytes),
            *(
                Finding(
                    "due_items",
                    f"assignment #{d.assignment_id}, period {d.cycle + 1}",
                    d.problem,
                    {"assignment_id": d.assignment_id},
                )
                for d in tallies.disagreements(session)
            ),
        )
        examined = {
            "directives": len(scan.directives),
            "process_instances": len(scan.instances),
            "instances_deserialized": len(scan.ready) + len(scan.unreadable),
            "attachments": session.scalar(select(func.count()).select_from(Attachment)) or 0,
        }
    return CheckReport(findings, examined)


def _scan(session: Session, db: Database) -> _Scan:
    directives = {
        d.process_instance_id: d
        for d in session.scalars(select(Directive))
        if d.process_instance_id is not None
    }
    scan = _Scan(session, directives, db.processes.instance_statuses(session))
    for instance_id, status in scan.instances.items():
        if status not in LIVE:
            continue
        try:
            scan.ready[instance_id] = db.processes.ready_tasks_in_state(session, instance_id)
        except engine.EngineError as exc:
            scan.unreadable[instance_id] = str(exc)
    return scan


def _work_items(scan: _Scan) -> Iterator[Finding]:
    rows = scan.session.execute(select(WorkItem.id, WorkItem.instance_id, WorkItem.task_name))
    projected: dict[int, dict[str, str]] = {}
    for item_id, instance_id, task_name in rows:
        projected.setdefault(instance_id, {})[item_id] = task_name
    for instance_id, problem in scan.unreadable.items():
        yield Finding("work_items", scan.label(instance_id), problem, scan.refs(instance_id))
    for instance_id in sorted(scan.instances.keys() - scan.unreadable.keys()):
        ready = {task.id: task.task_name for task in scan.ready.get(instance_id, [])}
        rows_of = projected.get(instance_id, {})
        for task_id in ready.keys() - rows_of.keys():
            yield Finding(
                "work_items",
                f"{scan.label(instance_id)}, step {ready[task_id]} ({task_id})",
                "the engine waits at this step but it has no work item: no inbox shows it",
                scan.refs(instance_id, work_item_id=task_id),
            )
        for item_id in rows_of.keys() - ready.keys():
            yield Finding(
                "work_items",
                f"{scan.label(instance_id)}, work item {item_id} ({rows_of[item_id]})",
                f"the work item has no READY task in the engine "
                f"(instance {scan.instances[instance_id]})",
                scan.refs(instance_id, work_item_id=item_id),
            )


def _assignment_states(scan: _Scan) -> Iterator[Finding]:
    rows = scan.session.execute(
        select(Assignment, Task.number).join(Task, Task.id == Assignment.task_id)
    )
    by_directive = {d.id: (instance_id, d) for instance_id, d in scan.directives.items()}
    for assignment, task_no in rows:
        instance_id, directive = by_directive.get(assignment.directive_id, (None, None))
        if instance_id is None or directive is None or instance_id in scan.unreadable:
            continue
        steps = {t.form for t in scan.ready.get(instance_id, []) if t.ref == str(assignment.id)}
        problem = _state_problem(assignment, directive.status, steps)
        if problem:
            subject = (
                f"directive {directive.number} (#{directive.id}), assignment #{assignment.id} "
                f"({assignment.unit_code}, task {task_no})"
            )
            refs = scan.refs(instance_id, assignment_id=assignment.id)
            yield Finding("assignment_states", subject, problem, refs)


def _state_problem(assignment: Assignment, directive_status: str, steps: set[str]) -> str | None:
    state, waits = assignment.state, ", ".join(sorted(steps)) or "no step"
    if directive_status == "cancelled":
        return None
    if directive_status == "completed":
        done = state in ("accepted", "cancelled")
        return None if done else f"the directive is completed but this is {state}"
    if directive_status == "assigning":
        return (
            None if state == "draft" else f"the directive is not assigned yet but this is {state}"
        )
    if state in ("accepted", "draft", "cancelled"):
        return f"this is {state} but the engine still waits at {waits}" if steps else None
    expected = EXPECTED_STEPS.get((assignment.role, state))
    if expected is None:
        return f"unknown state {state!r} for a {assignment.role} unit"
    if steps and len(steps & BUILT_IN_STEPS) <= 1 and (steps & BUILT_IN_STEPS) <= expected:
        return None  # a custom (JSON Schema form) step may come before or after the built-in one
    wanted = " or ".join(sorted(expected))
    return f"this is {state}, so the engine should wait at {wanted}, but it waits at {waits}"


def _directive_status(scan: _Scan) -> Iterator[Finding]:
    for instance_id, directive in scan.directives.items():
        status = scan.instances.get(instance_id)
        expected = INSTANCE_STATUS.get(directive.status)
        if status != expected:
            yield Finding(
                "directive_status",
                scan.label(instance_id),
                f"the directive is {directive.status}, so its process should be "
                f"{expected or '(unknown status)'}, but the process is {status or 'missing'}",
                scan.refs(instance_id),
            )
    for instance_id in sorted(scan.instances.keys() - scan.directives.keys()):
        yield Finding(
            "directive_status",
            scan.label(instance_id),
            "no directive runs this process instance",
            scan.refs(instance_id),
        )
    lonely = scan.session.scalars(select(Directive).where(Directive.process_instance_id.is_(None)))
    for directive in lonely:
        yield Finding(
            "directive_status",
            f"directive {directive.number} (#{directive.id})",
            "the directive has no process instance",
            {"directive_id": directive.id},
        )


def _history(session: Session) -> Iterator[Finding]:
    recorded = set(
        session.execute(
            select(Event.assignment_id, Event.kind, Event.at).where(Event.kind.in_(DECISION_EVENTS))
        )
    )
    decided = session.execute(
        select(Report, Assignment.unit_code, Directive.number, Directive.id)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Directive, Directive.id == Assignment.directive_id)
        .where(Report.decision.is_not(None))
        .order_by(Report.id)
    )
    for report, unit, number, directive_id in decided:
        kind = f"{report.kind}_{report.decision}"
        if (report.assignment_id, kind, report.decided_at) in recorded:
            continue
        when = report.decided_at.isoformat(timespec="seconds") if report.decided_at else "?"
        yield Finding(
            "history",
            f"directive {number} (#{directive_id}), assignment #{report.assignment_id} "
            f"({unit}), {report.kind} #{report.id}",
            f"{report.kind} {report.decision} at {when}, but the history has no {kind} event",
            {"directive_id": directive_id, "assignment_id": report.assignment_id},
        )
    yield from _completions(session)


def _completions(session: Session) -> Iterator[Finding]:
    completed_events = select(Event.directive_id).where(Event.kind == "directive_completed")
    missing = session.scalars(
        select(Directive).where(
            Directive.status == "completed", Directive.id.not_in(completed_events)
        )
    )
    for directive in missing:
        yield Finding(
            "history",
            f"directive {directive.number} (#{directive.id})",
            "the directive is completed but the history has no directive_completed event",
            {"directive_id": directive.id},
        )


def _attachments(session: Session, upload_dir: Path) -> Iterator[Finding]:
    rows = session.execute(
        select(Attachment, Directive.number)
        .join(Directive, Directive.id == Attachment.directive_id)
        .order_by(Attachment.id)
    )
    known: set[str] = set()
    for attachment, number in rows:
        known.add(attachment.stored_name)
        problem = _file_problem(upload_dir / attachment.stored_name, attachment.size_bytes)
        if problem:
            yield Finding(
                "attachments",
                f"directive {number} (#{attachment.directive_id}), attachment "
                f"#{attachment.id} {attachment.filename!r}",
                problem,
                {"directive_id": attachment.directive_id, "attachment_id": attachment.id},
            )
    yield from _stray_files(upload_dir, known)


def _stray_files(upload_dir: Path, known: set[str]) -> Iterator[Finding]:
    files = (
        sorted(p.name for p in upload_dir.iterdir() if p.is_file()) if upload_dir.is_dir() else []
    )
    for name in files:
        if name not in known:
            yield Finding(
                "attachments",
                f"file {upload_dir / name}",
                "the file belongs to no attachment (left by an upload that failed?)",
                {"file": name},
            )


def _file_problem(path: Path, size_bytes: int) -> str | None:
    if not path.is_file():
        return f"the file {path} is missing"
    actual = path.stat().st_size
    if actual != size_bytes:
        return f"the file {path} has {actual} bytes, the attachment records {size_bytes}"
    return None


def _state_sizes(scan: _Scan, db: Database, max_state_bytes: int) -> Iterator[Finding]:
    for instance_id, length in db.processes.oversized_instances(scan.session, max_state_bytes):
        yield Finding(
            "state_size",
            scan.label(instance_id),
            f"the serialized state is {length / 1024 / 1024:.1f} MB, over the "
            f"{max_state_bytes / 1024 / 1024:.1f} MB limit: every step reads and writes all of it",
            scan.refs(instance_id, state_bytes=int(length)),
        )
