"""Templates of recurring directives (the monthly giao ban, the Tết plan): keep one, start anew.

A template keeps a directive's kind, issuer, subject, text and tasks, with each deadline as
the directive worded it and as a number of working days after the issue date. Starting from
it for a new issue date moves every deadline along the working calendar: a phrase the rules
read ("trước Tết Nguyên đán", "trong quý IV", "trước ngày 25/10") is read again for the new
date; another deadline keeps its distance in working days; a periodic report keeps its length.
The year of the old issue date becomes the new one in the subject and the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import deadlines, history
from workflows.db import Database
from workflows.entry.inputs import DirectiveInput, TaskInput
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.rules.calendar import WorkCalendar
from workflows.rules.importing.deadlines import DeadlineContext, find_deadline
from workflows.rules.text import clean
from workflows.tables import Assignment, Directive, DirectiveTemplate, Task

MAX_NAME = 255


@dataclass(frozen=True)
class TemplateRow:
    """A template as the list shows it."""

    id: int
    name: str
    kind: str
    title: str
    tasks: int
    issued_on: date
    created_at: datetime


def save_template(
    db: Database, actor_id: int, directive_id: int, name: str, now: datetime | None = None
) -> int:
    """Keep a directive as a template under a name (clerks and leaders); return its id."""
    at, label = now or utcnow(), clean(name)
    if not label or len(label) > MAX_NAME:
        raise InvalidInput({"name": N_("give the template a name (at most 255 characters)")})

    def run(session: Session) -> int:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        taken = session.scalar(select(DirectiveTemplate.id).where(DirectiveTemplate.name == label))
        if taken is not None:
            raise InvalidInput({"name": N_("a template of this name exists already")})
        calendar = deadlines.work_calendar(session)
        template = DirectiveTemplate(
            name=label,
            created_by_id=actor.id,
            created_at=at,
            source_directive_id=directive.id,
            issued_on=directive.issued_on,
            content=_content(session, directive, calendar),
        )
        session.add(template)
        session.flush()
        history.record(
            session, "template_saved", at=at, actor=actor, directive_id=directive.id,
            after={"template": label},
        )  # fmt: skip
        return template.id

    return db.command(run)


def _content(session: Session, directive: Directive, calendar: WorkCalendar) -> dict[str, Any]:
    tasks = session.scalars(
        select(Task)
        .where(Task.directive_id == directive.id, Task.withdrawn_at.is_(None))
        .order_by(Task.number)
    )
    return {
        "kind": directive.kind,
        "issuer": directive.issuer,
        "title": directive.title,
        "body": directive.body,
        "tasks": [_task(session, task, directive.issued_on, calendar) for task in tasks],
    }


def _task(session: Session, task: Task, issued_on: date, calendar: WorkCalendar) -> dict[str, Any]:
    units = session.execute(
        select(Assignment.unit_code, Assignment.role)
        .where(Assignment.task_id == task.id, Assignment.state != "cancelled")
        .order_by(Assignment.id)
    ).all()
    due_time = task.due_at.time().isoformat() if task.due_at else None
    return {
        "content": task.content,
        "lead": [code for code, role in units if role == "lead"],
        "coordinating": [code for code, role in units if role == "coordinating"],
        "due_days": calendar.working_days_between(issued_on, task.due_on) if task.due_on else None,
        "due_time": due_time,
        "due_text": task.due_text,
        "reporting": task.reporting,
        "reporting_days": (task.reporting_until - issued_on).days if task.reporting_until else None,
    }


def list_templates(db: Database, actor_id: int) -> list[TemplateRow]:
    """Every template, by name (anyone who may enter directives)."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        rows = session.scalars(select(DirectiveTemplate).order_by(DirectiveTemplate.name))
        return [
            TemplateRow(
                t.id,
                t.name,
                str(t.content.get("kind", "")),
                str(t.content.get("title", "")),
                len(t.content.get("tasks") or ()),
                t.issued_on,
                t.created_at,
            )
            for t in rows
        ]


def delete_template(db: Database, actor_id: int, template_id: int) -> None:
    """Delete a template (the directive it came from stays as it is)."""

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        template = session.get(DirectiveTemplate, template_id)
        if template is None:
            raise NotFound(N_("no template %(id)s", id=template_id))
        session.delete(template)

    db.command(run)


def start_from_template(
    db: Database, actor_id: int, template_id: int, issued_on: date
) -> DirectiveInput:
    """A new directive to enter from a template, its dates moved to a new issue date."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        template = session.get(DirectiveTemplate, template_id)
        if template is None:
            raise NotFound(N_("no template %(id)s", id=template_id))
        calendar = deadlines.work_calendar(session)
        content, old = dict(template.content), template.issued_on
    moved = _Mover(old, issued_on, calendar, db.settings.tz)
    return DirectiveInput(
        number="",
        kind=str(content.get("kind", "khac")),
        issuer=str(content.get("issuer", "")),
        issued_on=issued_on,
        title=moved.text(str(content.get("title", ""))),
        body=str(content.get("body", "")),
        tasks=tuple(moved.task(task) for task in content.get("tasks") or ()),
    )


class _Mover:
    """Moves a template's dates from its issue date to a new one."""

    def __init__(self, old: date, new: date, calendar: WorkCalendar, tz: ZoneInfo) -> None:
        self.old, self.new, self.calendar, self.tz = old, new, calendar, tz

    def text(self, value: str) -> str:
        return value.replace(str(self.old.year), str(self.new.year)) if value else value

    def task(self, data: dict[str, Any]) -> TaskInput:
        due_on, reporting, until = self._deadline(data)
        at = data.get("due_time")
        return TaskInput(
            content=self.text(str(data.get("content", ""))),
            lead_units=tuple(data.get("lead") or ()),
            coordinating_units=tuple(data.get("coordinating") or ()),
            due_on=due_on,
            reporting=reporting,
            reporting_until=until,
            due_at=(
                datetime.combine(due_on, time.fromisoformat(at), self.tz) if due_on and at else None
            ),
            due_text=str(data.get("due_text") or ""),
        )

    def _deadline(self, data: dict[str, Any]) -> tuple[date | None, str, date | None]:
        reporting = str(data.get("reporting") or "once")
        phrase = str(data.get("due_text") or "")
        found = find_deadline(phrase, DeadlineContext(self.new, self.calendar), lenient=True)
        if reporting != "once":
            days = data.get("reporting_days")
            until = found.reporting_until or (
                date.fromordinal(self.new.toordinal() + int(days)) if days is not None else None
            )
            return None, reporting, until
        if found.due_on is not None:
            return found.due_on, reporting, None
        days = data.get("due_days")
        if days is None:
            return None, reporting, None
        return self.calendar.add_working_days(self.new, int(days)), reporting, None
