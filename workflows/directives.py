"""Use cases of a directive as a whole: enter it, assign it, cancel it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import deadlines, directive_tasks, history, notifications, oversight_notices, tallies
from workflows.attachments import Upload, remove_files, store_uploads
from workflows.db import Database
from workflows.entry.drafts import consume_draft
from workflows.entry.inputs import (
    MAX_INSTRUCTION,
    DirectiveInput,
    TaskInput,
    check_directive,
    check_tasks,
    cleaned,
    cleaned_tasks,
)
from workflows.entry.phrases import with_deadlines
from workflows.errors import DirectiveNotActive, InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.pipeline import complete_work_item, directive_of_work_item, engine_errors
from workflows.rules.folding import directive_search_text
from workflows.rules.text import clean
from workflows.tables import Assignment, Directive, Task, User

MODEL_KEY = "directive"
ACTIVE_STATUSES = ("assigning", "in_progress")
MAX_REASON_LENGTH = 2_000


def create_directive(
    db: Database,
    actor_id: int,
    data: DirectiveInput,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
    draft_id: int | None = None,
) -> int:
    """Enter a directive, its tasks and files; its process starts and waits to be assigned.

    A deadline given only as a phrase is read from it; a draft it came from is removed.
    """
    at, data = now or utcnow(), cleaned(data)
    written: list[Path] = []

    def run(session: Session) -> int:
        remove_files(written)
        written.clear()
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        calendar = deadlines.work_calendar(session)
        entered = replace(
            data, tasks=with_deadlines(data.tasks, data.issued_on, calendar, db.settings.tz)
        )
        check_directive(session, entered, at.astimezone(db.settings.tz).date())
        if draft_id is not None:
            consume_draft(session, actor.id, draft_id)
        directive = _new_directive(data, actor.id, at)
        session.add(directive)
        session.flush()
        directive_tasks.write_tasks(session, directive, entered.tasks)
        refresh_search_text(session, directive)
        written.extend(
            store_uploads(
                session, db, uploads, directive_id=directive.id, report_id=None, actor=actor, at=at
            )
        )
        with engine_errors():
            started = db.processes.start(session, MODEL_KEY, {"directive_id": directive.id})
        directive.process_instance_id = started.instance_id
        history.record(
            session,
            "directive_created",
            at=at,
            actor=actor,
            directive_id=directive.id,
            after={"number": directive.number, "tasks": len(data.tasks)},
        )
        return directive.id

    try:
        return db.command(run)
    except BaseException:
        remove_files(written)
        raise


def _new_directive(data: DirectiveInput, actor_id: int, at: datetime) -> Directive:
    return Directive(
        number=data.number,
        issued_year=data.issued_on.year,
        kind=data.kind,
        issuer=data.issuer,
        issued_on=data.issued_on,
        title=data.title,
        body=data.body,
        search_text="",  # set by refresh_search_text once the tasks are written
        status="assigning",
        created_by_id=actor_id,
        created_at=at,
    )


def assign_directive(
    db: Database,
    actor_id: int,
    work_item_id: str,
    tasks: Sequence[TaskInput] | None = None,
    now: datetime | None = None,
    instruction: str = "",
) -> None:
    """Confirm (or edit, then confirm) the tasks, units and due dates, with the leader's
    instruction (ý kiến chỉ đạo) to every unit: the units get their work."""
    at = now or utcnow()
    said = clean(instruction)
    if len(said) > MAX_INSTRUCTION:
        raise InvalidInput(
            {"instruction": N_("at most %(count)s characters", count=MAX_INSTRUCTION)}
        )

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        item, directive, on_behalf = directive_of_work_item(
            session, db, actor, work_item_id, "assign", at
        )
        directive.instruction = said
        if tasks is not None:
            _edit_tasks(session, db, directive, tasks, actor, on_behalf, at)
        payload = directive_tasks.assign_all(session, db, directive, at)
        directive.status = "in_progress"
        directive.assigned_at = at
        history.record(
            session,
            "directive_assigned",
            at=at,
            actor=actor,
            directive_id=directive.id,
            work_item_id=work_item_id,
            before={"status": "assigning"},
            after={
                "status": "in_progress",
                "assignments": len(payload),
                "edited": tasks is not None,
            },
            detail=said,
            on_behalf_of=on_behalf,
        )
        complete_work_item(session, db, directive, item, {"assignments": payload}, actor, at)
        for assignment in session.scalars(
            select(Assignment).where(Assignment.directive_id == directive.id)
        ):
            notifications.notify_assignment(
                session, db, "assigned", assignment, str(assignment.id), at
            )
        tallies.refresh_directive(session, directive.id)
        oversight_notices.directive_assigned(session, db, directive, at)

    db.command(run)


def _edit_tasks(
    session: Session,
    db: Database,
    directive: Directive,
    tasks: Sequence[TaskInput],
    actor: User,
    on_behalf: User | None,
    at: datetime,
) -> None:
    """Replace the tasks as the leader edited them at assignment; the history keeps the dates."""
    edited = directive_tasks.kept_wording(session, directive, cleaned_tasks(tasks))
    check_tasks(session, edited, directive.issued_on, at.astimezone(db.settings.tz).date())
    before = directive_tasks.task_deadlines(session, directive.id)
    directive_tasks.replace_tasks(session, directive, edited)
    directive_tasks.record_deadline_changes(
        session, directive.id, before, edited, actor, on_behalf, at
    )
    refresh_search_text(session, directive)


def cancel_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Cancel a directive (thu hồi): its open steps disappear from every inbox; history stays."""
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "supervisor", "admin")
        if not reason.strip():
            raise InvalidInput({"reason": N_("a reason is required to cancel a directive")})
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if directive.status not in (*ACTIVE_STATUSES, "suspended"):
            raise DirectiveNotActive(N_("the directive is no longer active"))
        if directive.process_instance_id is not None:
            with engine_errors():
                db.processes.cancel(session, directive.process_instance_id)
        before = directive.status
        directive.status, directive.cancelled_at = "cancelled", at
        directive.cancel_reason = reason.strip()
        tallies.refresh_directive(session, directive.id)
        history.record(
            session,
            "directive_cancelled",
            at=at,
            actor=actor,
            directive_id=directive.id,
            before={"status": before},
            after={"status": "cancelled"},
            detail=reason.strip(),
        )

    db.command(run)


def suspend_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Suspend (tạm dừng) an active directive: no step can be done and no deadline timer fires
    until it is resumed; its steps leave every inbox meanwhile."""
    _hold_or_release(db, actor_id, directive_id, reason, now, suspend=True)


def resume_directive(
    db: Database, actor_id: int, directive_id: int, reason: str, now: datetime | None = None
) -> None:
    """Resume a suspended directive; timers that came due meanwhile fire at the next sweep."""
    _hold_or_release(db, actor_id, directive_id, reason, now, suspend=False)


def _hold_or_release(
    db: Database,
    actor_id: int,
    directive_id: int,
    reason: str,
    now: datetime | None,
    *,
    suspend: bool,
) -> None:
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "supervisor", "admin")
        if not reason.strip():
            raise InvalidInput({"reason": N_("a reason is required")})
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput(
                {"reason": N_("at most %(count)s characters", count=MAX_REASON_LENGTH)}
            )
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        expected = ACTIVE_STATUSES if suspend else ("suspended",)
        if directive.status not in expected or directive.process_instance_id is None:
            raise DirectiveNotActive(
                N_("the directive is not active")
                if suspend
                else N_("the directive is not suspended")
            )
        with engine_errors():
            if suspend:
                db.processes.suspend(session, directive.process_instance_id)
            else:
                db.processes.resume(session, directive.process_instance_id)
        before = directive.status
        directive.status = "suspended" if suspend else _resumed_status(directive)
        tallies.refresh_directive(session, directive.id)
        history.record(
            session,
            "directive_suspended" if suspend else "directive_resumed",
            at=at,
            actor=actor,
            directive_id=directive.id,
            before={"status": before},
            after={"status": directive.status},
            detail=reason.strip(),
        )

    db.command(run)


def refresh_search_text(session: Session, directive: Directive) -> None:
    """Fold what search finds a directive by: number, title, issuer, text, tasks and units."""
    tasks = session.scalars(select(Task.content).where(Task.directive_id == directive.id))
    units = session.scalars(
        select(Assignment.unit_name).where(Assignment.directive_id == directive.id).distinct()
    )
    directive.search_text = directive_search_text(
        directive.number, directive.title, directive.issuer, directive.body, [*tasks], [*units]
    )


def _resumed_status(directive: Directive) -> str:
    return "in_progress" if directive.assigned_at is not None else "assigning"
