"""Extensions (gia hạn): a unit head asks for more time; a leader grants (maybe another date) or
refuses. The original due date is kept; reminders and the overdue escalation follow the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine import utcnow
from workflows import deadlines, history, notifications, tallies
from workflows.access.permissions import may_see_directive
from workflows.db import Database
from workflows.errors import InvalidInput, NotAssignedToUnit, NotFound, PermissionDenied
from workflows.messages import N_
from workflows.organisation import people
from workflows.pipeline import engine_errors
from workflows.tables import Assignment, Directive, ExtensionRequest, Task, User

MAX_REASON = 5000


@dataclass(frozen=True)
class ExtensionView:
    """An extension request as pages show it."""

    id: int
    assignment_id: int
    directive_id: int
    directive_number: str
    task_no: int
    unit_code: str
    unit_name: str
    requested_by: str
    requested_at: datetime
    reason: str
    current_due_at: datetime
    proposed_due_on: date
    state: str
    decided_by: str | None
    granted_due_on: date | None
    decision_reason: str


def request_extension(
    db: Database,
    actor_id: int,
    assignment_id: int,
    reason: str,
    proposed_due_on: date,
    now: datetime | None = None,
) -> int:
    """Ask for a later due date, with a reason (unit heads, before the due date by default)."""
    at, why = now or utcnow(), reason.strip()

    def run(session: Session) -> int:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "unit_head")
        assignment = _open_assignment(session, assignment_id)
        if assignment.unit_id != actor.unit_id:
            raise NotAssignedToUnit(N_("this assignment belongs to another unit"))
        _check_request(session, db, assignment, why, proposed_due_on, at)
        row = ExtensionRequest(
            assignment_id=assignment.id,
            directive_id=assignment.directive_id,
            requested_by_id=actor.id,
            requested_at=at,
            reason=why,
            current_due_at=assignment.due_at,
            proposed_due_on=proposed_due_on,
        )
        session.add(row)
        session.flush()
        history.record(
            session,
            "extension_requested",
            at=at,
            actor=actor,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
            after={"proposed_due_on": proposed_due_on.isoformat()},
            detail=why,
        )
        notifications.notify_assignment(
            session,
            db,
            "extension_requested",
            assignment,
            str(row.id),
            at,
            params={"reason": why, "proposed": proposed_due_on.isoformat()},
            supervisors=True,
            heads=False,
        )
        return row.id

    return db.command(run)


def _open_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(N_("no assignment %(id)s", id=assignment_id))
    if assignment.state in ("accepted", "draft", "cancelled"):
        raise InvalidInput({"assignment": N_("only open assignments can be extended")})
    return assignment


def _check_request(
    session: Session,
    db: Database,
    assignment: Assignment,
    reason: str,
    proposed: date,
    at: datetime,
) -> None:
    if not reason:
        raise InvalidInput({"reason": N_("say why more time is needed")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": N_("at most %(count)s characters", count=MAX_REASON)})
    if assignment.due_at is None:
        raise InvalidInput({"assignment": N_("an ongoing task has no deadline to extend")})
    if at >= assignment.due_at and not db.settings.late_extension_requests:
        raise InvalidInput(
            {"assignment": N_("the deadline has passed; extensions must be asked before it")}
        )
    current_day = assignment.due_at.astimezone(db.settings.tz).date()
    if proposed <= current_day or proposed > current_day.replace(year=current_day.year + 5):
        raise InvalidInput({"proposed_due_on": N_("propose a date after the current deadline")})
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.assignment_id == assignment.id, ExtensionRequest.state == "pending"
        )
    )
    if pending is not None:
        raise InvalidInput({"assignment": N_("a request for this assignment is already waiting")})


def decide_extension(
    db: Database,
    actor_id: int,
    request_id: int,
    grant: bool,
    due_on: date | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Grant (the proposed or another date) or refuse with a reason (leaders)."""
    at, why = now or utcnow(), reason.strip()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "supervisor")
        request = session.get(ExtensionRequest, request_id)
        if request is None:
            raise NotFound(N_("no extension request %(id)s", id=request_id))
        if request.state != "pending":
            raise InvalidInput({"request": N_("this request was already decided")})
        assignment = _open_assignment(session, request.assignment_id)
        if grant:
            _grant(session, db, actor, request, assignment, due_on or request.proposed_due_on, at)
        else:
            if not why:
                raise InvalidInput({"reason": N_("say why the request is refused")})
            request.state = "refused"
        request.decided_by_id, request.decided_at, request.decision_reason = actor.id, at, why
        history.record(
            session,
            f"extension_{request.state}",
            at=at,
            actor=actor,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
            before={"due_at": request.current_due_at.isoformat()},
            after={"due_at": assignment.due_at.isoformat() if assignment.due_at else None},
            detail=why,
        )
        if grant:
            tallies.refresh(session, [assignment.id])
        notifications.notify_assignment(
            session,
            db,
            f"extension_{request.state}",
            assignment,
            str(request.id),
            at,
            params={"reason": why},
        )

    db.command(run)


def _grant(
    session: Session,
    db: Database,
    actor: User,
    request: ExtensionRequest,
    assignment: Assignment,
    due_on: date,
    at: datetime,
) -> None:
    current_day = request.current_due_at.astimezone(db.settings.tz).date()
    if due_on <= current_day:
        raise InvalidInput({"due_on": N_("grant a date after the current deadline")})
    calendar = deadlines.work_calendar(session)
    due_at, remind_at = deadlines.deadline_and_reminder(
        calendar, due_on, None, db.settings.tz, db.settings.reminder_days
    )
    assert due_at is not None
    assert remind_at is not None
    directive = session.get(Directive, assignment.directive_id)
    assert directive is not None
    assert directive.process_instance_id is not None
    with engine_errors():
        db.processes.retime(
            session,
            directive.process_instance_id,
            str(assignment.id),
            {"due_at": due_at.isoformat(), "remind_at": remind_at.isoformat()},
        )
    assignment.due_at = due_at
    request.state, request.granted_due_on = "granted", due_on


def extension_requests(
    db: Database, user_id: int, *, directive_id: int | None = None, pending_only: bool = False
) -> list[ExtensionView]:
    """Extension requests the user may see: a directive's, or every pending one for leaders."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        asker, decider = aliased(User), aliased(User)
        query = (
            select(
                ExtensionRequest,
                Assignment,
                Task,
                Directive.number,
                asker.full_name,
                decider.full_name,
            )
            .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .join(Directive, Directive.id == ExtensionRequest.directive_id)
            .join(asker, asker.id == ExtensionRequest.requested_by_id)
            .join(decider, decider.id == ExtensionRequest.decided_by_id, isouter=True)
            .order_by(ExtensionRequest.id)
        )
        if directive_id is not None:
            if not may_see_directive(session, actor, directive_id):
                raise PermissionDenied(N_("this directive is not addressed to your unit"))
            query = query.where(ExtensionRequest.directive_id == directive_id)
        elif "supervisor" not in actor.roles:
            query = query.where(Assignment.unit_id == actor.unit_id)
        if pending_only:
            query = query.where(ExtensionRequest.state == "pending")
        return [_view(*row) for row in session.execute(query).all()]


def _view(
    r: ExtensionRequest, a: Assignment, t: Task, number: str, asker: str, decider: str | None
) -> ExtensionView:
    return ExtensionView(
        r.id,
        a.id,
        r.directive_id,
        number,
        t.number,
        a.unit_code,
        a.unit_name,
        asker,
        r.requested_at,
        r.reason,
        r.current_due_at,
        r.proposed_due_on,
        r.state,
        decider,
        r.granted_due_on,
        r.decision_reason,
    )
