"""How use cases reach the process engine: permission checks, error translation, side effects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from engine import FiredTimer, ReadyTask, StepResult
from workflows import history, notifications, oversight_notices
from workflows.access.permissions import (
    LEADERS_LANE,
    StepFacts,
    check_may_act,
    delegators_of,
)
from workflows.db import Database
from workflows.errors import (
    DirectiveNotActive,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProcessFailed,
    TaskNoLongerReady,
    WrongStep,
)
from workflows.messages import N_
from workflows.tables import Assignment, Directive, Event, Unit, User


@contextmanager
def engine_errors(work_item_id: str | None = None) -> Iterator[None]:
    """Translate engine errors into domain errors."""
    try:
        yield
    except engine.TaskNoLongerReady as exc:
        raise TaskNoLongerReady(work_item_id or exc.task_id) from exc
    except (engine.TaskNotFound, engine.InstanceNotFound) as exc:
        raise NotFound(str(exc)) from exc
    except engine.InstanceNotRunning as exc:
        raise DirectiveNotActive(f"the directive's process is {exc.status}") from exc
    except engine.InvalidTaskData as exc:
        raise InvalidInput({"data": str(exc)}) from exc
    except (engine.ProcessError, engine.ModelNotFound, engine.ModelInvalid) as exc:
        raise ProcessFailed(str(exc)) from exc


def step_facts(session: Session, item: ReadyTask) -> StepFacts:
    """What the rule of who may act looks at for this work item."""
    return _facts(session, item, _assignment_or_none(session, item))


def _facts(session: Session, item: ReadyTask, assignment: Assignment | None) -> StepFacts:
    if assignment is None:
        return StepFacts(item.lane, item.unit, item.form)
    leader = None
    if item.lane == LEADERS_LANE:  # only the leaders' steps look at the leader in charge
        unit = session.get(Unit, assignment.unit_id)
        leader = unit.leader_id if unit is not None else None
    return StepFacts(item.lane, item.unit, item.form, assignment.assignee_id, leader)


def acting_for(
    session: Session, db: Database, actor: User, item: ReadyTask, at: datetime
) -> User | None:
    """Check the actor may do the step; return whom they stand in for (None: themselves)."""
    return _acting_for(session, db, actor, step_facts(session, item), at)


def _acting_for(
    session: Session, db: Database, actor: User, facts: StepFacts, at: datetime
) -> User | None:
    try:
        return check_may_act(actor, facts)
    except PermissionDenied:  # not in their own right: perhaps for someone on leave
        today = at.astimezone(db.settings.tz).date()
        return check_may_act(actor, facts, delegators_of(session, actor, today))


def ready_work_item(session: Session, db: Database, work_item_id: str) -> ReadyTask:
    """Return a READY work item, or say who already did it."""
    item = db.processes.work_item(session, work_item_id)
    if item is not None:
        return item
    done_by, done_at = history.who_completed(session, work_item_id)
    if done_at is not None:
        raise TaskNoLongerReady(work_item_id, done_by, done_at)
    raise NotFound(N_("no open step %(id)s", id=work_item_id))


def directive_of_work_item(
    session: Session, db: Database, actor: User, work_item_id: str, form: str, at: datetime
) -> tuple[ReadyTask, Directive, User | None]:
    """Load a work item and its directive, checking the step, the directive and the actor;
    return them with whom the actor stands in for (None: in their own right)."""
    item, directive, _, on_behalf = _checked_step(session, db, actor, work_item_id, form, at)
    return item, directive, on_behalf


def unit_work_item(
    session: Session, db: Database, actor: User, work_item_id: str, form: str, at: datetime
) -> tuple[ReadyTask, Directive, Assignment, User | None]:
    """`directive_of_work_item` for a step of an assignment, with the assignment."""
    item, directive, assignment, on_behalf = _checked_step(
        session, db, actor, work_item_id, form, at
    )
    if assignment is None:
        raise NotFound(N_("this step belongs to no assignment"))
    return item, directive, assignment, on_behalf


def _checked_step(
    session: Session, db: Database, actor: User, work_item_id: str, form: str, at: datetime
) -> tuple[ReadyTask, Directive, Assignment | None, User | None]:
    item = ready_work_item(session, db, work_item_id)
    if db.processes.lock_work_item(session, item):
        session.expire_all()  # we may have waited for another writer: read what it committed
        item = ready_work_item(session, db, work_item_id)
    directive = session.scalar(
        select(Directive).where(Directive.process_instance_id == item.instance_id)
    )
    if directive is None:
        raise NotFound(N_("no directive runs this process"))
    assignment = _assignment_or_none(session, item)
    on_behalf = _acting_for(session, db, actor, _facts(session, item, assignment), at)
    if directive.status == "suspended":
        raise DirectiveNotActive(
            N_("the directive is suspended: no step can be done until it resumes")
        )
    if directive.status not in ("assigning", "in_progress"):
        raise DirectiveNotActive(N_("the directive is no longer active"))
    if item.form != form:
        raise WrongStep(
            N_("this is the %(actual)s step, not %(wanted)s", actual=item.form, wanted=form)
        )
    return item, directive, assignment, on_behalf


def _assignment_or_none(session: Session, item: ReadyTask) -> Assignment | None:
    return session.get(Assignment, int(item.ref)) if item.ref and item.ref.isdigit() else None


def complete_work_item(
    session: Session,
    db: Database,
    directive: Directive,
    item: ReadyTask,
    data: dict[str, Any],
    actor: User,
    at: datetime,
) -> StepResult:
    """Complete the work item in the engine and apply what followed (timers, the end)."""
    result = run_work_item(session, db, item, data)
    apply_step_result(session, db, directive, result, at)
    return result


def run_work_item(
    session: Session, db: Database, item: ReadyTask, data: dict[str, Any]
) -> StepResult:
    """Complete the work item in the engine; the caller applies the result."""
    try:
        with engine_errors(item.id):
            return db.processes.complete(session, item.instance_id, item.id, data, item.part)
    except TaskNoLongerReady as exc:
        # Ask a fresh session: this one may hold our own, uncommitted event for the same step.
        with db.reading() as committed:
            done_by, done_at = history.who_completed(committed, item.id)
        raise TaskNoLongerReady(item.id, done_by, done_at) from exc


def apply_step_result(
    session: Session, db: Database, directive: Directive, result: StepResult, at: datetime
) -> None:
    """Record fired timers and close the directive when its process has ended."""
    for timer in result.fired_timers:
        _record_timer(session, db, directive, timer, at)
    if result.status == "completed" and directive.status != "completed":
        directive.status, directive.completed_at = "completed", at
        history.record(
            session,
            "directive_completed",
            at=at,
            actor=None,
            directive_id=directive.id,
            before={"status": "in_progress"},
            after={"status": "completed"},
        )
        oversight_notices.directive_completed(session, db, directive, at)


def _record_timer(
    session: Session, db: Database, directive: Directive, timer: FiredTimer, at: datetime
) -> None:
    """Record a fired deadline timer once per assignment, kind and due time.

    The diagram re-arms its timers at every step, so an overdue assignment fires its
    overdue timer again at each later step; the history keeps the first firing only.
    """
    kind = f"timer_{timer.properties.get('notify', 'timer')}"
    assignment_id = int(timer.ref) if timer.ref and timer.ref.isdigit() else None
    due = timer.due_at.isoformat()
    earlier = session.scalars(
        select(Event.after).where(
            Event.directive_id == directive.id,
            Event.assignment_id == assignment_id,
            Event.kind == kind,
        )
    )
    if any((after or {}).get("due_at") == due for after in earlier):
        return
    history.record(
        session,
        kind,
        at=at,
        actor=None,
        directive_id=directive.id,
        assignment_id=assignment_id,
        after={"event": timer.event_name, "step": timer.attached_to, "due_at": due},
    )
    assignment = session.get(Assignment, assignment_id) if assignment_id else None
    notify = timer.properties.get("notify")
    if assignment is not None and notify in ("reminder", "overdue"):
        notifications.notify_assignment(
            session,
            db,
            notify,
            assignment,
            f"{assignment.id}:{due}",
            at,
            supervisors=notify == "overdue",
        )
