"""One work item as its page shows it: the step, its directive, its assignment, related input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ReadyTask, utcnow
from workflows import history
from workflows.access.permissions import check_may_act, may_see_directive
from workflows.db import Database
from workflows.errors import NotFound, PermissionDenied, TaskNoLongerReady
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.pipeline import ready_work_item, step_facts
from workflows.read.detail import (
    AssignmentView,
    DirectiveDetail,
    ReportView,
    TaskView,
    directive_detail,
)
from workflows.tables import Directive, User


@dataclass(frozen=True)
class WorkItemPage:
    """Everything a step's page needs."""

    work_item_id: str
    step: str
    title: str
    due_at: datetime | None
    directive: DirectiveDetail
    task: TaskView | None
    assignment: AssignmentView | None
    contributions: tuple[tuple[str, ReportView], ...]
    may_act: bool
    why_not: Message | None


def work_item_page(
    db: Database, user_id: int, work_item_id: str, now: datetime | None = None
) -> WorkItemPage:
    """Load a ready step for its page, or say who already did it."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        item = db.processes.work_item(session, work_item_id)
        if item is None:
            done_by, done_at = history.who_completed(session, work_item_id)
            if done_at is None:
                raise NotFound(N_("no open step %(id)s", id=work_item_id))
            raise TaskNoLongerReady(work_item_id, done_by, done_at)
        directive_id = session.scalar(
            select(Directive.id).where(Directive.process_instance_id == item.instance_id)
        )
        if directive_id is None or not may_see_directive(session, actor, directive_id):
            raise PermissionDenied(N_("this step belongs to a directive not addressed to you"))
        may_act, why_not = _may_act(session, actor, item)
    detail = directive_detail(db, user_id, directive_id, now or utcnow())
    task, assignment = _find(detail, item.ref)
    return WorkItemPage(
        work_item_id,
        item.form,
        item.title,
        item.due_at,
        detail,
        task,
        assignment,
        _contributions(task),
        may_act,
        why_not,
    )


@dataclass(frozen=True)
class StepAccess:
    """The step a work item is and its directive, for a caller who may complete it."""

    step: str
    directive_id: int


def step_for_actor(db: Database, user_id: int, work_item_id: str) -> StepAccess:
    """Return the step of a ready work item the caller may complete, or raise why not."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        item = ready_work_item(session, db, work_item_id)
        directive_id = session.scalar(
            select(Directive.id).where(Directive.process_instance_id == item.instance_id)
        )
        if directive_id is None or not may_see_directive(session, actor, directive_id):
            raise PermissionDenied(N_("this step belongs to a directive not addressed to you"))
        check_may_act(actor, step_facts(session, item))
        return StepAccess(item.form, directive_id)


def _may_act(session: Session, actor: User, item: ReadyTask) -> tuple[bool, Message | None]:
    try:
        check_may_act(actor, step_facts(session, item))
    except PermissionDenied as exc:
        return False, exc.message
    return True, None


def _find(
    detail: DirectiveDetail, ref: str | None
) -> tuple[TaskView | None, AssignmentView | None]:
    for task in detail.tasks:
        for assignment in task.assignments:
            if str(assignment.id) == ref:
                return task, assignment
    return None, None


def _contributions(task: TaskView | None) -> tuple[tuple[str, ReportView], ...]:
    if task is None:
        return ()
    return tuple(
        (a.unit_name, report)
        for a in task.assignments
        if a.role == "coordinating"
        for report in a.reports
        if report.kind == "contribution"
    )
