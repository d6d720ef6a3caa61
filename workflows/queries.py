"""Read-side queries: inboxes, directive pages, history. They never deserialize a workflow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from engine import utcnow
from engine.tables import WorkItem
from workflows import org
from workflows.db import Database
from workflows.engine_calls import UNIT_LANES
from workflows.errors import NotFound, PermissionDenied
from workflows.models import Assignment, Directive, Event, Report, Task, User
from workflows.timeliness import days_left, timeliness

SEE_ALL_ROLES = ("supervisor", "clerk", "admin")


@dataclass(frozen=True)
class InboxItem:
    """One ready step in someone's inbox (Việc cần làm)."""

    work_item_id: str
    step: str
    title: str
    directive_id: int
    directive_number: str
    directive_title: str
    task_no: int | None
    task_content: str
    unit_code: str | None
    unit_name: str
    role: str | None
    due_at: datetime | None
    days_left: int | None
    timeliness: str
    waiting_since: datetime


@dataclass(frozen=True)
class InboxPage:
    """A page of an inbox with its totals per step."""

    items: tuple[InboxItem, ...]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


@dataclass(frozen=True)
class ReportView:
    """A report or contribution and the decision on it."""

    kind: str
    attempt: int
    text: str
    submitted_by: str
    submitted_at: datetime
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    comment: str


@dataclass(frozen=True)
class AssignmentView:
    """One unit's part of a task, with its state and computed timeliness."""

    id: int
    unit_code: str
    unit_name: str
    role: str
    state: str
    due_at: datetime | None
    timeliness: str
    days_left: int | None
    attempt: int
    reports: tuple[ReportView, ...]
    open_steps: tuple[str, ...]


@dataclass(frozen=True)
class TaskView:
    """A numbered task and its assignments."""

    number: int
    content: str
    due_on: date | None
    assignments: tuple[AssignmentView, ...]


@dataclass(frozen=True)
class EventView:
    """One line of the history timeline."""

    at: datetime
    actor: str | None
    kind: str
    assignment_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str


@dataclass(frozen=True)
class DirectiveDetail:
    """Everything the directive page shows."""

    id: int
    number: str
    kind: str
    issuer: str
    issued_on: date
    title: str
    body: str
    status: str
    tasks: tuple[TaskView, ...]
    open_work_items: tuple[str, ...]
    timeliness_counts: dict[str, int]
    events: tuple[EventView, ...]


def _inbox_filter(actor: User, query: Select[WorkItem, Directive]) -> Select[WorkItem, Directive]:
    if "supervisor" in actor.roles:
        return query.where(WorkItem.lane == "supervisor")
    if actor.roles.intersection({"unit_staff", "unit_head"}):
        return query.where(WorkItem.lane.in_(UNIT_LANES), WorkItem.unit == actor.unit.code)
    return query.where(WorkItem.id.is_(None))


def inbox(
    db: Database,
    user_id: int,
    now: datetime | None = None,
    step: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> InboxPage:
    """Return the actor's ready work, soonest due first, with counts per step."""
    at, page, per_page = now or utcnow(), max(page, 1), min(max(per_page, 1), 200)
    with db.reading() as session:
        actor = org.load_actor(session, user_id)
        base = _inbox_filter(
            actor,
            select(WorkItem, Directive)
            .join(Directive, Directive.process_instance_id == WorkItem.instance_id)
            .where(Directive.status.in_(("assigning", "in_progress"))),
        )
        counts_query = base.with_only_columns(WorkItem.form, func.count()).group_by(WorkItem.form)
        counts = {form: count for form, count in session.execute(counts_query).all()}
        if step:
            base = base.where(WorkItem.form == step)
        rows = session.execute(
            base.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.created_at)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        items = _inbox_items(session, db, rows, at)
    total = counts.get(step, 0) if step else sum(counts.values())
    return InboxPage(tuple(items), total, page, per_page, counts)


def _inbox_items(
    session: Session, db: Database, rows: Sequence[Any], at: datetime
) -> list[InboxItem]:
    ids = [int(item.ref) for item, _ in rows if item.ref and item.ref.isdigit()]
    found = session.execute(
        select(Assignment, Task)
        .join(Task, Task.id == Assignment.task_id)
        .where(Assignment.id.in_(ids))
    ).all()
    by_id = {assignment.id: (assignment, task) for assignment, task in found}
    tz, soon = db.settings.tz, db.settings.due_soon_days
    items = []
    for item, directive in rows:
        assignment, task = by_id.get(int(item.ref or 0), (None, None))
        items.append(
            InboxItem(
                work_item_id=item.id,
                step=item.form,
                title=item.title,
                directive_id=directive.id,
                directive_number=directive.number,
                directive_title=directive.title,
                task_no=task.number if task else None,
                task_content=task.content if task else "",
                unit_code=item.unit,
                unit_name=assignment.unit_name if assignment else "",
                role=assignment.role if assignment else None,
                due_at=item.due_at,
                days_left=days_left(item.due_at, at, tz),
                timeliness=timeliness(item.due_at, None, at, soon),
                waiting_since=item.created_at,
            )
        )
    return items


def may_see_directive(session: Session, actor: User, directive_id: int) -> bool:
    """Supervisors, clerks and admins see every directive; a unit sees those it works on."""
    if actor.roles.intersection(SEE_ALL_ROLES):
        return True
    found = session.scalar(
        select(Assignment.id)
        .where(Assignment.directive_id == directive_id, Assignment.unit_id == actor.unit_id)
        .limit(1)
    )
    return found is not None


def directive_detail(
    db: Database, user_id: int, directive_id: int, now: datetime | None = None
) -> DirectiveDetail:
    """Return a directive with its tasks, assignments, reports, timeliness and history."""
    at = now or utcnow()
    with db.reading() as session:
        actor = org.load_actor(session, user_id)
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(f"no directive {directive_id}")
        if not may_see_directive(session, actor, directive_id):
            raise PermissionDenied("this directive is not addressed to your unit")
        tasks = _task_views(session, db, directive, at)
        open_items = tuple(
            session.scalars(
                select(WorkItem.id).where(WorkItem.instance_id == directive.process_instance_id)
            )
        )
        counts = Counter(a.timeliness for task in tasks for a in task.assignments)
        return DirectiveDetail(
            id=directive.id,
            number=directive.number,
            kind=directive.kind,
            issuer=directive.issuer,
            issued_on=directive.issued_on,
            title=directive.title,
            body=directive.body,
            status=directive.status,
            tasks=tasks,
            open_work_items=open_items,
            timeliness_counts=dict(counts),
            events=tuple(_events(session, directive_id)),
        )


def _task_views(
    session: Session, db: Database, directive: Directive, at: datetime
) -> tuple[TaskView, ...]:
    tasks = session.scalars(
        select(Task).where(Task.directive_id == directive.id).order_by(Task.number)
    ).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.directive_id == directive.id).order_by(Assignment.id)
    ).all()
    reports = _reports_by_assignment(session, [a.id for a in assignments])
    steps: dict[str, list[str]] = {}
    for ref, form in session.execute(
        select(WorkItem.ref, WorkItem.form).where(
            WorkItem.instance_id == directive.process_instance_id
        )
    ):
        steps.setdefault(str(ref), []).append(form)
    tz, soon = db.settings.tz, db.settings.due_soon_days
    views = []
    for task in tasks:
        mine = [a for a in assignments if a.task_id == task.id]
        mine.sort(key=lambda a: (a.role != "lead", a.id))
        views.append(
            TaskView(
                task.number,
                task.content,
                task.due_on,
                tuple(_assignment_view(a, reports, steps, at, tz, soon) for a in mine),
            )
        )
    return tuple(views)


def _assignment_view(
    a: Assignment,
    reports: dict[int, list[ReportView]],
    steps: dict[str, list[str]],
    at: datetime,
    tz: Any,
    soon: int,
) -> AssignmentView:
    state_time = "draft" if a.state == "draft" else timeliness(a.due_at, a.completed_at, at, soon)
    return AssignmentView(
        id=a.id,
        unit_code=a.unit_code,
        unit_name=a.unit_name,
        role=a.role,
        state=a.state,
        due_at=a.due_at,
        timeliness=state_time,
        days_left=None if a.completed_at else days_left(a.due_at, at, tz),
        attempt=a.attempt,
        reports=tuple(reports.get(a.id, [])),
        open_steps=tuple(steps.get(str(a.id), [])),
    )


def _reports_by_assignment(
    session: Session, assignment_ids: list[int]
) -> dict[int, list[ReportView]]:
    submitter, decider = aliased(User), aliased(User)
    rows = session.execute(
        select(Report, submitter.full_name, decider.full_name)
        .join(submitter, submitter.id == Report.submitted_by_id)
        .join(decider, decider.id == Report.decided_by_id, isouter=True)
        .where(Report.assignment_id.in_(assignment_ids))
        .order_by(Report.id)
    ).all()
    result: dict[int, list[ReportView]] = {}
    for report, submitted_by, decided_by in rows:
        result.setdefault(report.assignment_id, []).append(
            ReportView(
                report.kind,
                report.attempt,
                report.text,
                submitted_by,
                report.submitted_at,
                report.decision,
                decided_by,
                report.decided_at,
                report.comment,
            )
        )
    return result


def _events(session: Session, directive_id: int) -> list[EventView]:
    rows = session.execute(
        select(Event, User.full_name)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.directive_id == directive_id)
        .order_by(Event.id)
    ).all()
    return [
        EventView(e.at, name, e.kind, e.assignment_id, e.before, e.after, e.detail)
        for e, name in rows
    ]


def history_of(db: Database, user_id: int, directive_id: int) -> list[EventView]:
    """Return the full history of a directive the actor may see."""
    with db.reading() as session:
        actor = org.load_actor(session, user_id)
        if session.get(Directive, directive_id) is None:
            raise NotFound(f"no directive {directive_id}")
        if not may_see_directive(session, actor, directive_id):
            raise PermissionDenied("this directive is not addressed to your unit")
        return _events(session, directive_id)
