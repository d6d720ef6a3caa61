"""What the clerk enters and the leader edits: a directive and its tasks, cleaned and checked.

Texts are stored in one form (see `workflows.rules.text`); every problem is reported at once,
field by field, as an InvalidInput.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.errors import InvalidInput
from workflows.messages import N_, Message
from workflows.rules.text import clean, clean_number
from workflows.tables import DIRECTIVE_KINDS, Directive, Unit

REPORTING_KINDS = ("once", "monthly", "quarterly")


EARLIEST_ISSUE = date(1945, 9, 2)


MAX_TERM = timedelta(days=3653)
MAX_INSTRUCTION = 5000
MAX_DUE_TEXT = 500


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
    instruction: str = ""  # the leader's instruction (ý kiến chỉ đạo) for this task, at assignment
    due_text: str = ""  # the deadline as the directive words it ("trước ngày 25/10")


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


def cleaned(data: DirectiveInput) -> DirectiveInput:
    """Return the directive as it is compared and stored: one form for every look-alike."""
    return replace(
        data,
        number=clean_number(data.number),
        issuer=clean(data.issuer),
        title=clean(data.title),
        body=clean(data.body),
        tasks=cleaned_tasks(data.tasks),
    )


def cleaned_tasks(tasks: Sequence[TaskInput]) -> tuple[TaskInput, ...]:
    """Return the tasks with their texts in one form."""
    return tuple(
        replace(
            task,
            content=clean(task.content),
            instruction=clean(task.instruction),
            due_text=clean(task.due_text)[:MAX_DUE_TEXT],
        )
        for task in tasks
    )


def check_directive(session: Session, data: DirectiveInput, local_today: date) -> None:
    """Raise InvalidInput naming every field of the directive (and its tasks) that is wrong."""
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
    check_tasks(session, data.tasks, data.issued_on, local_today)


def check_tasks(
    session: Session, tasks: Sequence[TaskInput], issued_on: date, local_today: date
) -> None:
    if not tasks:
        raise InvalidInput({"tasks": N_("a directive needs at least one task")})
    known = set(session.scalars(select(Unit.code).where(Unit.active.is_(True))))
    problems: dict[str, Message] = {}
    for number, task in enumerate(tasks, start=1):
        problem = task_problem(task, known, issued_on, local_today)
        if problem:
            problems[f"tasks[{number}]"] = problem
    if problems:
        raise InvalidInput(problems)


def task_problem(
    task: TaskInput, known: set[str], issued_on: date, local_today: date
) -> Message | None:
    """Return what is wrong with one task (its text, units or deadline), or None."""
    if not task.content.strip():
        return N_("the task text is required")
    if not task.lead_units:
        return N_("name at least one lead unit")
    if len(task.instruction) > MAX_INSTRUCTION:
        return N_("the instruction has at most %(count)s characters", count=MAX_INSTRUCTION)
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
