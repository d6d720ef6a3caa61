"""A directive's tasks and the assignments they give the units, written as entered or assigned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows import deadlines, history
from workflows.db import Database
from workflows.entry.inputs import TaskInput
from workflows.rules.calendar import WorkCalendar
from workflows.tables import Assignment, Directive, Task, Unit, User


def write_tasks(session: Session, directive: Directive, tasks: Sequence[TaskInput]) -> None:
    """Write the tasks and their units' assignments (not yet assigned) of a directive."""
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
            instruction=data.instruction,
            due_text=data.due_text,
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


def kept_wording(
    session: Session, directive: Directive, tasks: Sequence[TaskInput]
) -> tuple[TaskInput, ...]:
    """Keep a task's deadline phrase and precise time when the assign form left its date as
    it was (that form shows neither)."""
    old = {
        t.number: t for t in session.scalars(select(Task).where(Task.directive_id == directive.id))
    }
    kept = []
    for number, task in enumerate(tasks, start=1):
        before = old.get(number)
        if before is not None and before.due_on == task.due_on and not task.due_text:
            due_at = task.due_at if task.due_at is not None else before.due_at
            task = replace(task, due_text=before.due_text, due_at=due_at)
        kept.append(task)
    return tuple(kept)


def replace_tasks(session: Session, directive: Directive, tasks: Sequence[TaskInput]) -> None:
    """Replace a directive's tasks and assignments (before it is assigned)."""
    task_ids = select(Task.id).where(Task.directive_id == directive.id)
    session.execute(delete(Assignment).where(Assignment.task_id.in_(task_ids)))
    session.execute(delete(Task).where(Task.directive_id == directive.id))
    session.flush()
    write_tasks(session, directive, tasks)


def task_deadlines(session: Session, directive_id: int) -> dict[int, date | None]:
    """Return each task's due day by its number."""
    rows = session.execute(
        select(Task.number, Task.due_on).where(Task.directive_id == directive_id)
    ).all()
    return {number: due_on for number, due_on in rows}


def record_deadline_changes(
    session: Session,
    directive_id: int,
    before: dict[int, date | None],
    tasks: Sequence[TaskInput],
    actor: User,
    on_behalf: User | None,
    at: datetime,
) -> None:
    """The history keeps every deadline the leader changed at assignment (old → new)."""
    for number, task in enumerate(tasks, start=1):
        if number in before and before[number] != task.due_on:
            old = before[number]
            history.record(
                session,
                "deadline_changed",
                at=at,
                actor=actor,
                directive_id=directive_id,
                before={"task": number, "due_on": old.isoformat() if old else None},
                after={"task": number, "due_on": task.due_on.isoformat() if task.due_on else None},
                on_behalf_of=on_behalf,
            )


def assign_all(
    session: Session, db: Database, directive: Directive, at: datetime
) -> list[dict[str, Any]]:
    """Give every assignment of a directive its deadline; return the process's items."""
    rows = session.execute(
        select(Assignment, Task)
        .join(Task, Task.id == Assignment.task_id)
        .where(Assignment.directive_id == directive.id)
        .order_by(Task.number, Assignment.role.desc(), Assignment.id)
    ).all()
    calendar = deadlines.work_calendar(session)
    return [assignment_payload(db, calendar, assignment, task, at) for assignment, task in rows]


def assignment_payload(
    db: Database, calendar: WorkCalendar, assignment: Assignment, task: Task, at: datetime
) -> dict[str, Any]:
    """Give an assignment its deadline (or reporting periods) and return its process item."""
    tz = db.settings.tz
    periods = []
    if assignment.role == "lead":
        today = at.astimezone(tz).date()
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
    return {
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


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
