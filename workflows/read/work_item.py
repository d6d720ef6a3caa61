"""One work item as its page shows it: the step, its directive, its assignment, related input.

Besides the step itself, the page gets what the person needs to decide: the report or draft
in question with its files, the previous round to start a redo from, the contributions of the
coordinating units (and which have not come in yet), the leader's instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ReadyTask, utcnow
from workflows import history
from workflows.access.permissions import check_may_act, delegators_of, may_see_directive
from workflows.db import Database
from workflows.errors import NotFound, PermissionDenied, TaskNoLongerReady
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.pipeline import ready_work_item, step_facts
from workflows.read.detail import (
    AssignmentView,
    DirectiveDetail,
    DraftView,
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
    on_behalf_of: str | None = None  # the person the reader would act for (ủy quyền)
    pending: ReportView | DraftView | None = None  # what accept/acknowledge/sign_off decide on
    previous: ReportView | DraftView | None = None  # a returned round to start the redo from
    missing: tuple[str, ...] = ()  # coordinating units that have not contributed yet


REDO = ("returned", "sent_back")
CONTRIBUTED = ("reported", "accepted")
NOT_WAITED_FOR = (*CONTRIBUTED, "cancelled")  # a unit withdrawn by a correction owes nothing


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
        at = now or utcnow()
        delegators = delegators_of(session, actor, at.astimezone(db.settings.tz).date())
        may_act, why_not, principal = _may_act(session, actor, item, delegators)
    detail = directive_detail(db, user_id, directive_id, at)
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
        principal,
        _pending(item.form, assignment),
        _previous(item.form, assignment),
        _missing(item.form, task, assignment),
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
        today = utcnow().astimezone(db.settings.tz).date()
        check_may_act(actor, step_facts(session, item), delegators_of(session, actor, today))
        return StepAccess(item.form, directive_id)


def _may_act(
    session: Session, actor: User, item: ReadyTask, delegators: list[User]
) -> tuple[bool, Message | None, str | None]:
    try:
        principal = check_may_act(actor, step_facts(session, item), delegators)
    except PermissionDenied as exc:
        return False, exc.message, None
    return True, None, principal.full_name if principal else None


def _pending(step: str, assignment: AssignmentView | None) -> ReportView | DraftView | None:
    if assignment is None:
        return None
    if step == "sign_off":
        waiting = [d for d in assignment.drafts if d.state == "submitted"]
        return waiting[-1] if waiting else None
    if step in ("accept", "acknowledge"):
        undecided = [r for r in assignment.reports if r.decision is None]
        return undecided[-1] if undecided else None
    return None


def _previous(step: str, assignment: AssignmentView | None) -> ReportView | DraftView | None:
    """The latest round of a report or contribution, if it came back to be redone."""
    if assignment is None or step not in ("report", "contribute"):
        return None
    rounds: list[ReportView | DraftView] = [*assignment.reports, *assignment.drafts]
    if not rounds:
        return None
    latest = max(rounds, key=_when)
    outcome = latest.state if isinstance(latest, DraftView) else latest.decision
    return latest if outcome in REDO else None


def _when(round_: ReportView | DraftView) -> datetime:
    return round_.written_at if isinstance(round_, DraftView) else round_.submitted_at


def _missing(
    step: str, task: TaskView | None, assignment: AssignmentView | None
) -> tuple[str, ...]:
    """The coordinating units of the task whose contribution has not come in yet."""
    if task is None or assignment is None or assignment.role != "lead":
        return ()
    if step not in ("report", "sign_off", "accept"):
        return ()
    return tuple(
        a.unit_name
        for a in task.assignments
        if a.role == "coordinating" and a.state not in NOT_WAITED_FOR
    )


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
