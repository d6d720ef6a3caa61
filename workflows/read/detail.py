"""Read-side queries: inboxes, directive pages, history. They never deserialize a workflow."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine import WorkItem, utcnow
from workflows.access.permissions import may_see_directive
from workflows.attachments import AttachmentInfo, attachments_of
from workflows.db import Database
from workflows.errors import NotFound, PermissionDenied
from workflows.messages import N_
from workflows.organisation import people
from workflows.rules.timeliness import days_left, timeliness
from workflows.tables import Assignment, Directive, Event, Report, ReportDraft, Task, User


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
    id: int = 0
    files: tuple[AttachmentInfo, ...] = ()
    drafted_by: str | None = None  # the officer who drafted it, when the head signed it off


@dataclass(frozen=True)
class DraftView:
    """An officer's draft and what the head did with it (sent on, sent back, or waiting)."""

    id: int
    kind: str
    attempt: int
    text: str
    written_by: str
    written_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str
    files: tuple[AttachmentInfo, ...] = ()


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
    original_due_at: datetime | None = None
    timeliness_original: str = ""
    drafts: tuple[DraftView, ...] = ()
    assignee: str | None = None


@dataclass(frozen=True)
class TaskView:
    """A numbered task and its assignments."""

    number: int
    content: str
    due_on: date | None
    assignments: tuple[AssignmentView, ...]
    reporting: str = "once"
    reporting_until: date | None = None
    instruction: str = ""
    due_text: str = ""  # the deadline as the directive words it
    due_at: datetime | None = None  # a precise deadline
    withdrawn_at: datetime | None = None  # removed by a correction
    id: int = 0


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
    fields: tuple[tuple[str, Any], ...] = ()  # (field title, value) of a submitted form
    on_behalf: str | None = None  # whom the actor stood in for (ủy quyền)


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
    attachments: tuple[AttachmentInfo, ...]
    instruction: str = ""


def directive_detail(
    db: Database, user_id: int, directive_id: int, now: datetime | None = None
) -> DirectiveDetail:
    """Return a directive with its tasks, assignments, reports, timeliness and history."""
    at = now or utcnow()
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if not may_see_directive(session, actor, directive_id):
            raise PermissionDenied(N_("this directive is not addressed to your unit"))
        files = tuple(attachments_of(session, directive_id))
        tasks = _task_views(session, db, directive, at, files)
        open_items = tuple(
            session.scalars(
                select(WorkItem.id).where(WorkItem.instance_id == directive.process_instance_id)
            )
        )
        counts = Counter(
            a.timeliness for task in tasks for a in task.assignments if a.state != "cancelled"
        )
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
            attachments=files,
            instruction=directive.instruction,
        )


def _task_views(
    session: Session,
    db: Database,
    directive: Directive,
    at: datetime,
    files: tuple[AttachmentInfo, ...],
) -> tuple[TaskView, ...]:
    tasks = session.scalars(
        select(Task).where(Task.directive_id == directive.id).order_by(Task.number)
    ).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.directive_id == directive.id).order_by(Assignment.id)
    ).all()
    ids = [a.id for a in assignments]
    reports = _reports_by_assignment(session, ids, files)
    drafts = _drafts_by_assignment(session, ids, files)
    names = {uid: name for uid, name in session.execute(select(User.id, User.full_name))}
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
                tuple(
                    replace(
                        _assignment_view(a, reports, steps, at, tz, soon),
                        drafts=tuple(drafts.get(a.id, [])),
                        assignee=names.get(a.assignee_id or 0),
                    )
                    for a in mine
                ),
                task.reporting,
                task.reporting_until,
                task.instruction,
                task.due_text,
                task.due_at,
                task.withdrawn_at,
                task.id,
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
    state_time = (
        a.state
        if a.state in ("draft", "cancelled")
        else timeliness(a.due_at, a.completed_at, at, soon)
    )
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
        original_due_at=a.original_due_at,
        timeliness_original=(
            "draft"
            if a.state == "draft"
            else timeliness(a.original_due_at, a.completed_at, at, soon)
        ),
    )


def _reports_by_assignment(
    session: Session, assignment_ids: list[int], files: tuple[AttachmentInfo, ...]
) -> dict[int, list[ReportView]]:
    submitter, decider, drafter = aliased(User), aliased(User), aliased(User)
    rows = session.execute(
        select(Report, submitter.full_name, decider.full_name, drafter.full_name)
        .join(submitter, submitter.id == Report.submitted_by_id)
        .join(decider, decider.id == Report.decided_by_id, isouter=True)
        .join(drafter, drafter.id == Report.drafted_by_id, isouter=True)
        .where(Report.assignment_id.in_(assignment_ids))
        .order_by(Report.id)
    ).all()
    result: dict[int, list[ReportView]] = {}
    for report, submitted_by, decided_by, drafted_by in rows:
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
                report.id,
                tuple(f for f in files if f.report_id == report.id),
                drafted_by,
            )
        )
    return result


def _drafts_by_assignment(
    session: Session, assignment_ids: list[int], files: tuple[AttachmentInfo, ...]
) -> dict[int, list[DraftView]]:
    writer, decider = aliased(User), aliased(User)
    rows = session.execute(
        select(ReportDraft, writer.full_name, decider.full_name)
        .join(writer, writer.id == ReportDraft.written_by_id)
        .join(decider, decider.id == ReportDraft.decided_by_id, isouter=True)
        .where(ReportDraft.assignment_id.in_(assignment_ids))
        .order_by(ReportDraft.id)
    ).all()
    result: dict[int, list[DraftView]] = {}
    for d, written_by, decided_by in rows:
        result.setdefault(d.assignment_id, []).append(
            DraftView(
                d.id,
                d.kind,
                d.attempt,
                d.text,
                written_by,
                d.written_at,
                d.state,
                decided_by,
                d.decided_at,
                d.comment,
                tuple(f for f in files if f.draft_id == d.id),
            )
        )
    return result


def _events(session: Session, directive_id: int) -> list[EventView]:
    principal = aliased(User)
    rows = session.execute(
        select(Event, User.full_name, principal.full_name)
        .join(User, User.id == Event.actor_id, isouter=True)
        .join(principal, principal.id == Event.on_behalf_of_id, isouter=True)
        .where(Event.directive_id == directive_id)
        .order_by(Event.id)
    ).all()
    return [
        EventView(
            e.at,
            name,
            e.kind,
            e.assignment_id,
            e.before,
            e.after,
            e.detail,
            _form_fields(e.after) if e.kind == "form_submitted" else (),
            on_behalf,
        )
        for e, name, on_behalf in rows
    ]


def _form_fields(after: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """The values a generic step's form carried, each with the field title it had then."""
    if not after or not isinstance(after.get("values"), dict):
        return ()
    labels = after.get("labels") or {}
    return tuple((str(labels.get(name, name)), value) for name, value in after["values"].items())


def history_of(db: Database, user_id: int, directive_id: int) -> list[EventView]:
    """Return the full history of a directive the actor may see."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        if session.get(Directive, directive_id) is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if not may_see_directive(session, actor, directive_id):
            raise PermissionDenied(N_("this directive is not addressed to your unit"))
        return _events(session, directive_id)
