"""Where a directive stands on its diagram: steps done, steps open (and late), the path taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine import utcnow
from workflows.access.permissions import may_see_directive
from workflows.db import Database
from workflows.errors import NotFound, PermissionDenied
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import Assignment, Directive, Task


@dataclass(frozen=True)
class MarkedElement:
    """One diagram element as reached by one assignment (or by the directive itself)."""

    id: str
    state: str  # completed | active | overdue | waiting_timer
    ref: str | None
    unit: str | None


@dataclass(frozen=True)
class TakenFlow:
    """A sequence flow a token went through, for one assignment (or the directive)."""

    source: str
    target: str
    ref: str | None


@dataclass(frozen=True)
class Scope:
    """A choice of the instance view: one assignment of one task."""

    ref: str
    task_no: int
    unit_code: str
    role: str


@dataclass(frozen=True)
class DirectiveTrail:
    """The diagram version a directive runs on and what is marked on it."""

    xml: str
    version_number: int
    elements: tuple[MarkedElement, ...]
    flows: tuple[TakenFlow, ...]
    scopes: tuple[Scope, ...]


def directive_trail(
    db: Database, user_id: int, directive_id: int, now: datetime | None = None
) -> DirectiveTrail:
    """The instance view of a directive for someone who may see it."""
    at = now or utcnow()
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        directive = session.get(Directive, directive_id)
        if directive is None or directive.process_instance_id is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if not may_see_directive(session, actor, directive_id):
            raise PermissionDenied(N_("this directive is not addressed to you"))
        trail = db.processes.trail(session, directive.process_instance_id)
        version = db.processes.model_version(session, trail.model_version_id)
        xml = db.processes.model_xml(session, version.id).decode("utf-8")
        scopes = tuple(
            Scope(str(a_id), task_no, unit, role)
            for a_id, task_no, unit, role in session.execute(
                select(Assignment.id, Task.number, Assignment.unit_code, Assignment.role)
                .join(Task, Task.id == Assignment.task_id)
                .where(Task.directive_id == directive_id)
                .order_by(Task.number, Assignment.role.desc(), Assignment.unit_code)
            )
        )
    elements = tuple(
        MarkedElement(
            step.element_id,
            "overdue"
            if step.state == "active" and step.due_at is not None and step.due_at <= at
            else step.state,
            step.ref,
            step.unit,
        )
        for step in trail.steps
    )
    flows = tuple(TakenFlow(f.source, f.target, f.ref) for f in trail.flows)
    return DirectiveTrail(xml, version.number, elements, flows, scopes)
