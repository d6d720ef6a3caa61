"""Use cases of a directive as a whole: enter it, assign it, cancel it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import deadlines, history, notifications
from workflows.attachments import Upload, remove_files, store_uploads
from workflows.db import Database
from workflows.errors import DirectiveNotActive, InvalidInput, NotFound
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.pipeline import complete_work_item, directive_of_work_item, engine_errors
from workflows.rules.folding import fold
from workflows.rules.text import clean, clean_number
from workflows.tables import DIRECTIVE_KINDS, Assignment, Directive, Task, Unit

MODEL_KEY = "directive"
REPORTING_KINDS = ("once", "monthly", "quarterly")
ACTIVE_STATUSES = ("assigning", "in_progress")
MAX_REASON_LENGTH = 2_000
EARLIEST_ISSUE = date(1945, 9, 2)
MAX_TERM = timedelta(days=3653)


@dataclass(frozen=True)
class TaskInput:
    """One numbered task as the clerk enters it or the supervisor edits it."""

    content: str
    lead_units: tuple[str, ...]
    coordinating_units: tuple[str, ...] = ()
    due_on: date | None = None
    reporting: str = "once"
    due_at: datetime | None = None  # a precise deadline (e.g. 17:00), when the text gives one
    reporting_until: date | None = None  # the last period a periodic report covers
    report_cutoff_day: int = 14  # NĐ 09/2019: data up to the 14th ...
    report_lag_days: int = 1  # ... reported at least one working day later


@dataclass(frozen=True)
class DirectiveInput:
    """A directive as the clerk enters it."""

    number: str
    kind: str
    issuer: str
    issued_on: date
    title: str
    tasks: tuple[TaskInput, ...]
    body: str = ""


def create_directive(
    db: Database,
    actor_id: int,
    data: DirectiveInput,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
) -> int:
    """Enter a directive, its tasks and files; its process starts and waits to be assigned."""
    at, data = now or utcnow(), _cleaned(data)
    written: list[Path] = []

    def run(session: Session) -> int:
        remove_files(written)
        written.clear()
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        _check_directive(session, data, at.astimezone(db.settings.tz).date())
        directive = Directive(
            number=data.number,
            issued_year=data.issued_on.year,
            kind=data.kind,
            issuer=data.issuer,
            issued_on=data.issued_on,
            title=data.title,
            body=data.body,
            search_text=fold(f"{data.number} {data.title} {data.issuer}"),
            status="assigning",
            created_by_id=actor.id,
            created_at=at,
        )
        session.add(directive)
        session.flush()
        _write_tasks(session, directive, data.tasks)
        written.extend(
            store_uploads(
                session, db, uploads, directive_id=directive.id, report_id=None, actor=actor, at=at
            )
        )
        with engine_errors():
            started = db.processes.start(session, MODEL_KEY, {"directive_id": directive.id})
        directive.process_instance_id = started.instance_id
        history.record(
            session,
            "directive_created",
            at=at,
            actor=actor,
            directive_id=directive.id,
            after={"number": directive.number, "tasks": len(data.tasks)},
        )
        return directive.id

    try:
        return db.command(run)
    except BaseException:
        remove_files(written)
        raise


def assign_directive(
    db: Database,
    actor_id: int,
    work_item_id: str,
    tasks: Sequence[TaskInput] | None = None,
    now: datetime | None = None,
) -> None:
    """Confirm (or edit, then confirm) the tasks, units and due dates: the units get their work."""
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        item, directive = directive_of_work_item(session, db, actor, work_item_id, "assign")
        if tasks is not None:
            edited = _cleaned_tasks(tasks)
            _check_tasks(session, edited, directive.issued_on, at.astimezone(db.settings.tz).date())
            _replace_tasks(session, directive, edited)
        payload = _assign_all(session, db, directive, at)
        directive.status = "in_progress"
        directive.assigned_at = at
        history.record(
            session,
            "directive_assigned",
            at=at,
            actor=actor,
            directive_id=directive.id,
            work_item_id=work_item_id,
            before={"status": "assigning"},
            after={
                "status": "in_progress",
                "assignments": len(payload),
                "edited": tasks is not None,
            },
        )
        complete_work_item(session, db, directive, item, {"assignments": payload}, actor, at)
        for assignment in session.scalars(
            select(Assignment).where(Assignment.directive_id == directive.id)
        ):
            notifications.notify_assignment(
                session, db, "assigned", assignment, str(assignment.id), at
            )

    db.command(run)


def cancel_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Cancel a directive (thu hồi): its open steps disappear from every inbox; history stays."""
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "supervisor", "admin")
        if not reason.strip():
            raise InvalidInput({"reason": N_("a reason is required to cancel a directive")})
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if directive.status not in (*ACTIVE_STATUSES, "suspended"):
            raise DirectiveNotActive(N_("the directive is no longer active"))
        if directive.process_instance_id is not None:
            with engine_errors():
                db.processes.cancel(session, directive.process_instance_id)
        before = directive.status
        directive.status, directive.cancelled_at = "cancelled", at
        directive.cancel_reason = reason.strip()
        history.record(
            session,
            "directive_cancelled",
            at=at,
            actor=actor,
            directive_id=directive.id,
            before={"status": before},
            after={"status": "cancelled"},
            detail=reason.strip(),
        )

    db.command(run)


def suspend_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Suspend (tạm dừng) an active directive: no step can be done and no deadline timer fires
    until it is resumed; its steps leave every inbox meanwhile."""
    _hold_or_release(db, actor_id, directive_id, reason, now, suspend=True)


def resume_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Resume a suspended directive; timers that came due meanwhile fire at the next sweep."""
    _hold_or_release(db, actor_id, directive_id, reason, now, suspend=False)


def _hold_or_release(
    db: Database,
    actor_id: int,
    directive_id: int,
    reason: str,
    now: datetime | None,
    *,
    suspend: bool,
) -> None:
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "supervisor", "admin")
        if not reason.strip():
            raise InvalidInput({"reason": N_("a reason is required")})
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput(
                {"reason": N_("at most %(count)s characters", count=MAX_REASON_LENGTH)}
            )
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        expected = ACTIVE_STATUSES if suspend else ("suspended",)
        if directive.status not in expected or directive.process_instance_id is None:
            raise DirectiveNotActive(
                N_("the directive is not active")
                if suspend
                else N_("the directive is not suspended")
            )
        with engine_errors():
            if suspend:
                db.processes.suspend(session, directive.process_instance_id)
            else:
                db.processes.resume(session, directive.process_instance_id)
        before = directive.status
        directive.status = "suspended" if suspend else _resumed_status(directive)
        history.record(
            session,
            "directive_suspended" if suspend else "directive_resumed",
            at=at,
            actor=actor,
            directive_id=directive.id,
            before={"status": before},
            after={"status": directive.status},
            detail=reason.strip(),
        )

    db.command(run)


def _resumed_status(directive: Directive) -> str:
    return "in_progress" if directive.assigned_at is not None else "assigning"


def _cleaned(data: DirectiveInput) -> DirectiveInput:
    """Return the directive as it is compared and stored: one form for every look-alike."""
    return replace(
        data,
        number=clean_number(data.number),
        issuer=clean(data.issuer),
        title=clean(data.title),
        body=clean(data.body),
        tasks=_cleaned_tasks(data.tasks),
    )


def _cleaned_tasks(tasks: Sequence[TaskInput]) -> tuple[TaskInput, ...]:
    return tuple(replace(task, content=clean(task.content)) for task in tasks)


def _check_directive(session: Session, data: DirectiveInput, local_today: date) -> None:
    problems: dict[str, Message] = {}
    if not data.number:
        problems["number"] = N_("required")
    if data.kind not in DIRECTIVE_KINDS:
        problems["kind"] = N_("unknown document type")
    if not data.issuer:
        problems["issuer"] = N_("required")
    if not data.title:
        problems["title"] = N_("required")
    if not EARLIEST_ISSUE <= data.issued_on <= date.today() + MAX_TERM:
        problems["issued_on"] = N_("the issue date is not plausible")
    duplicate = session.scalar(
        select(Directive.id).where(
            Directive.number == data.number,
            Directive.issued_year == data.issued_on.year,
            Directive.issuer == data.issuer,
        )
    )
    if duplicate is not None:
        problems["number"] = N_(
            "%(number)s of %(year)s is already entered",
            number=data.number,
            year=data.issued_on.year,
        )
    if problems:
        raise InvalidInput(problems)
    _check_tasks(session, data.tasks, data.issued_on, local_today)


def _check_tasks(
    session: Session, tasks: Sequence[TaskInput], issued_on: date, local_today: date
) -> None:
    if not tasks:
        raise InvalidInput({"tasks": N_("a directive needs at least one task")})
    known = set(session.scalars(select(Unit.code).where(Unit.active.is_(True))))
    problems: dict[str, Message] = {}
    for number, task in enumerate(tasks, start=1):
        problem = _task_problem(task, known, issued_on, local_today)
        if problem:
            problems[f"tasks[{number}]"] = problem
    if problems:
        raise InvalidInput(problems)


def _task_problem(
    task: TaskInput, known: set[str], issued_on: date, local_today: date
) -> Message | None:
    if not task.content.strip():
        return N_("the task text is required")
    if not task.lead_units:
        return N_("name at least one lead unit")
    return _units_problem(task, known) or _deadline_problem(task, issued_on, local_today)


def _units_problem(task: TaskInput, known: set[str]) -> Message | None:
    units = list(task.lead_units) + list(task.coordinating_units)
    unknown = sorted(set(units) - known)
    if unknown:
        return N_("unknown units: %(units)s", units=", ".join(unknown))
    if len(set(units)) != len(units):
        return N_("a unit appears twice (a unit is either lead or coordinating, once)")
    return None


def _deadline_problem(task: TaskInput, issued_on: date, local_today: date) -> Message | None:
    if task.due_at is not None and (task.due_at.tzinfo is None or task.due_on is None):
        return N_("a precise deadline needs its time zone and its date")
    if task.due_at is not None and task.due_at <= utcnow():
        return N_("the deadline is already past")
    if task.due_at is None and task.due_on is not None and task.due_on < local_today:
        return N_("the deadline is already past")
    if task.due_on is not None and task.due_on < issued_on:
        return N_("the due date is before the directive's issue date")
    if task.due_on is not None and task.due_on > issued_on + MAX_TERM:
        return N_("the due date is more than ten years after the issue date")
    if task.reporting not in REPORTING_KINDS:
        return N_("unknown reporting duty")
    if task.reporting != "once" and (
        task.reporting_until is None
        or task.reporting_until <= local_today
        or task.reporting_until > issued_on + MAX_TERM
    ):
        return N_("periodic reporting needs an end date in the coming ten years")
    if not (1 <= task.report_cutoff_day <= 28 and 1 <= task.report_lag_days <= 30):
        return N_("the data cut-off is a day from 1 to 28, reported 1 to 30 working days later")
    return None


def _write_tasks(session: Session, directive: Directive, tasks: Sequence[TaskInput]) -> None:
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    for number, data in enumerate(tasks, start=1):
        task = Task(
            directive_id=directive.id,
            number=number,
            content=data.content.strip(),
            due_on=data.due_on,
            due_at=data.due_at,
            reporting=data.reporting,
            reporting_until=data.reporting_until if data.reporting != "once" else None,
            report_cutoff_day=data.report_cutoff_day,
            report_lag_days=data.report_lag_days,
        )
        session.add(task)
        session.flush()
        lead = data.lead_units[0]
        roles = [(code, "lead") for code in data.lead_units]
        roles += [(code, "coordinating") for code in data.coordinating_units]
        for code, role in roles:
            unit = units[code]
            session.add(
                Assignment(
                    task_id=task.id,
                    directive_id=directive.id,
                    unit_id=unit.id,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    role=role,
                    lead_unit_code=code if role == "lead" else lead,
                    state="draft",
                )
            )
    session.flush()


def _replace_tasks(session: Session, directive: Directive, tasks: Sequence[TaskInput]) -> None:
    task_ids = select(Task.id).where(Task.directive_id == directive.id)
    session.execute(delete(Assignment).where(Assignment.task_id.in_(task_ids)))
    session.execute(delete(Task).where(Task.directive_id == directive.id))
    session.flush()
    _write_tasks(session, directive, tasks)


def _assign_all(
    session: Session, db: Database, directive: Directive, at: datetime
) -> list[dict[str, Any]]:
    tz = db.settings.tz
    rows = session.execute(
        select(Assignment, Task)
        .join(Task, Task.id == Assignment.task_id)
        .where(Assignment.directive_id == directive.id)
        .order_by(Task.number, Assignment.role.desc(), Assignment.id)
    ).all()
    payload = []
    calendar = deadlines.work_calendar(session)
    today = at.astimezone(tz).date()
    for assignment, task in rows:
        periods = []
        if assignment.role == "lead":
            periods = deadlines.report_periods(calendar, task, today, tz, db.settings.reminder_days)
        due_at: datetime | None
        remind_at: datetime | None
        if periods:
            due_at, remind_at = periods[0]
        else:
            due_at, remind_at = deadlines.deadline_and_reminder(
                calendar, task.due_on, task.due_at, tz, db.settings.reminder_days
            )
        assignment.state, assignment.due_at, assignment.original_due_at = "assigned", due_at, due_at
        assignment.cycle, assignment.cycles = 0, [due.isoformat() for due, _ in periods]
        payload.append(
            {
                "assignment_id": assignment.id,
                "unit": assignment.unit_code,
                "role": assignment.role,
                "lead_unit": assignment.lead_unit_code,
                "task_no": task.number,
                "due_at": _iso(due_at),
                "remind_at": _iso(remind_at),
                "cycle": 0,
                "cycles": [{"due_at": _iso(d), "remind_at": _iso(r)} for d, r in periods],
            }
        )
    return payload


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
