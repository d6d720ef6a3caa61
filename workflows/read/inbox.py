"""The inbox (Việc cần làm): a person's ready steps, filtered, sorted and paginated in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, func, select
from sqlalchemy.orm import Session

from engine import WorkItem, utcnow
from workflows.access.permissions import delegators_of, may_act_clause
from workflows.db import Database
from workflows.organisation import people
from workflows.rules.timeliness import days_left, timeliness
from workflows.tables import Assignment, Directive, Report, ReportDraft, Task, User

SORTS = {
    "due": (WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.created_at),
    "waiting": (WorkItem.created_at,),
    "directive": (Directive.number, Task.number, WorkItem.created_at),
}


@dataclass(frozen=True)
class InboxItem:
    """One ready step in someone's inbox."""

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
    assignment_id: int | None
    assignee: str | None
    due_at: datetime | None
    days_left: int | None
    timeliness: str
    waiting_since: datetime
    returned_reason: str | None = None  # the step redoes a report returned with this reason


@dataclass(frozen=True)
class InboxPage:
    """A page of an inbox with its totals per step."""

    items: tuple[InboxItem, ...]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]
    overdue: int
    titles: dict[str, str] = field(default_factory=dict)  # a task title per step (form) key


def _base(actor: User, delegators: list[User]) -> Select[Any]:
    assignee = people.assignee_alias()
    query = (
        select(WorkItem, Directive, Assignment, Task, assignee.full_name)
        .join(Directive, Directive.process_instance_id == WorkItem.instance_id)
        .join(Assignment, Assignment.id == cast(WorkItem.ref, Integer), isouter=True)
        .join(Task, Task.id == Assignment.task_id, isouter=True)
        .join(assignee, assignee.id == Assignment.assignee_id, isouter=True)
        .where(Directive.status.in_(("assigning", "in_progress")))
    )
    return query.where(may_act_clause(actor, delegators))


def inbox(
    db: Database,
    user_id: int,
    now: datetime | None = None,
    step: str | None = None,
    page: int = 1,
    per_page: int = 25,
    sort: str = "due",
    overdue_only: bool = False,
) -> InboxPage:
    """Return the actor's ready steps (soonest due first by default) with counts per step."""
    at, per_page = now or utcnow(), min(max(per_page, 1), 200)
    page = min(max(page, 1), 100_000)
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        base = _base(actor, delegators_of(session, actor, at.astimezone(db.settings.tz).date()))
        counted = base.with_only_columns(
            WorkItem.form, func.min(WorkItem.title), func.count()
        ).group_by(WorkItem.form)
        grouped = session.execute(counted).all()
        counts = {form: count for form, _, count in grouped}
        titles = {form: title for form, title, _ in grouped}
        late = and_(WorkItem.due_at.is_not(None), WorkItem.due_at <= at)
        overdue = session.scalar(base.with_only_columns(func.count()).where(late)) or 0
        if step:
            base = base.where(WorkItem.form == step)
        if overdue_only:
            base = base.where(late)
        total = session.scalar(base.with_only_columns(func.count())) or 0
        rows = session.execute(
            base.order_by(*SORTS.get(sort, SORTS["due"]))
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        reasons = _returned_reasons(session, [row[2].id for row in rows if row[2] is not None])
        items = tuple(_item(db, row, at, reasons) for row in rows)
    return InboxPage(items, total, page, per_page, counts, overdue, titles)


REDO_STEPS = frozenset({"execute", "report", "contribute"})


def _returned_reasons(session: Session, assignment_ids: list[int]) -> dict[int, str]:
    """The reason of each assignment's latest round when it was returned (or sent back)."""
    latest: dict[int, tuple[datetime, str | None]] = {}
    reports = session.execute(
        select(Report.assignment_id, Report.submitted_at, Report.decision, Report.comment).where(
            Report.assignment_id.in_(assignment_ids)
        )
    ).all()
    drafts = session.execute(
        select(
            ReportDraft.assignment_id,
            ReportDraft.written_at,
            ReportDraft.state,
            ReportDraft.comment,
        ).where(ReportDraft.assignment_id.in_(assignment_ids))
    ).all()
    for assignment_id, at, outcome, comment in [*reports, *drafts]:
        reason = comment if outcome in ("returned", "sent_back") else None
        if assignment_id not in latest or at >= latest[assignment_id][0]:
            latest[assignment_id] = (at, reason)
    return {key: reason for key, (_, reason) in latest.items() if reason is not None}


def _item(db: Database, row: Any, at: datetime, reasons: dict[int, str]) -> InboxItem:
    item, directive, assignment, task, assignee = row
    redo = assignment is not None and item.form in REDO_STEPS
    tz, soon = db.settings.tz, db.settings.due_soon_days
    return InboxItem(
        work_item_id=item.id,
        step=item.form,
        title=item.title,
        directive_id=directive.id,
        directive_number=directive.number,
        directive_title=directive.title,
        task_no=task.number if task else None,
        task_content=task.content if task else "",
        unit_code=item.unit or (assignment.unit_code if assignment else None),
        unit_name=assignment.unit_name if assignment else "",
        role=assignment.role if assignment else None,
        assignment_id=assignment.id if assignment else None,
        assignee=assignee,
        due_at=item.due_at,
        days_left=days_left(item.due_at, at, tz),
        timeliness=timeliness(item.due_at, None, at, soon),
        waiting_since=item.created_at,
        returned_reason=reasons.get(assignment.id) if redo else None,
    )
