"""Use cases of one assignment's steps: execute, accept or return, acknowledge, hand over.

Reports and contributions (an officer's draft, the head's sign-off) are in `reporting`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import StepResult, utcnow
from workflows import history, notifications, tallies
from workflows.db import Database
from workflows.errors import InvalidInput, NotAssignedToUnit, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.steps.base import MAX_TEXT_LENGTH, Step, required_text, run_step
from workflows.steps.reporting import sign_off, submit_contribution, submit_report
from workflows.tables import Assignment, Report, User

__all__ = [
    "accept_report",
    "acknowledge_contribution",
    "hand_over",
    "return_report",
    "sign_off",
    "start_work",
    "submit_contribution",
    "submit_report",
]


def start_work(
    db: Database, actor_id: int, work_item_id: str, note: str = "", now: datetime | None = None
) -> None:
    """Start (or, after a return, restart) work on an assignment: the execute step."""
    if len(note) > MAX_TEXT_LENGTH:
        raise InvalidInput({"note": N_("at most %(count)s characters", count=MAX_TEXT_LENGTH)})

    def apply(step: Step) -> None:
        before = step.assignment.state
        step.assignment.state = "in_progress"
        if before != "returned":  # a return counted the new round already
            step.assignment.attempt += 1
        step.assignment.started_at = step.assignment.started_at or step.at
        step.record("work_started", before, note.strip())
        step.complete({"execution_note": note.strip()})

    run_step(db, actor_id, work_item_id, "execute", now, apply)


def _pending_report(step: Step, kind: str) -> Report:
    report = step.session.scalar(
        select(Report)
        .where(
            Report.assignment_id == step.assignment.id,
            Report.kind == kind,
            Report.decision.is_(None),
        )
        .order_by(Report.id.desc())
    )
    if report is None:
        raise NotFound(N_("nothing is waiting for a decision"))
    return report


def _decide(step: Step, kind: str, accepted: bool, comment: str) -> None:
    report = _pending_report(step, kind)
    before = step.assignment.state
    report.decision = "accepted" if accepted else "returned"
    report.decided_by_id, report.decided_at, report.comment = step.actor.id, step.at, comment
    key = "accepted" if kind == "report" else "acknowledged"
    result = step.run({key: accepted, "comment": comment})
    opened = _next_period(step, result) if accepted else None
    if opened is not None:  # the process opened the next reporting period of this assignment
        step.assignment.cycle, step.assignment.due_at = opened
        step.assignment.state = "in_progress"
    elif accepted:
        step.assignment.state, step.assignment.accepted_at = "accepted", step.at
        step.assignment.completed_at = report.submitted_at
    else:
        step.assignment.state = "returned"
        step.assignment.attempt += 1  # the redo is a new round, started at once
    if not accepted and kind == "report":
        notifications.notify_assignment(
            step.session,
            step.db,
            "returned",
            step.assignment,
            str(report.id),
            step.at,
            params={"reason": comment},
        )
    step.record(f"{kind}_{report.decision}", before, comment)
    step.apply(result)
    if accepted:
        tallies.refresh(step.session, [step.assignment.id])


def _next_period(step: Step, result: StepResult) -> tuple[int, datetime | None] | None:
    """The period (index, due time) the process opened for this assignment, if it did.

    The diagram decides whether another reporting period follows; the code only reads the
    answer: a step of the same assignment ready again after its report was accepted.
    """
    ref = str(step.assignment.id)
    again = [task for task in result.ready if task.ref == ref]
    if not again:
        return None
    due_at = again[0].due_at
    periods = [datetime.fromisoformat(due) for due in step.assignment.cycles]
    cycle = periods.index(due_at) if due_at in periods else step.assignment.cycle + 1
    return cycle, due_at


def accept_report(
    db: Database, actor_id: int, work_item_id: str, comment: str = "", now: datetime | None = None
) -> None:
    """Accept the lead unit's report: the assignment is done (hoàn thành)."""
    note = comment.strip()[:MAX_TEXT_LENGTH]
    run_step(db, actor_id, work_item_id, "accept", now, lambda s: _decide(s, "report", True, note))


def return_report(
    db: Database, actor_id: int, work_item_id: str, reason: str, now: datetime | None = None
) -> None:
    """Return the report with a reason (trả lại): the unit works on it again."""
    why = required_text("reason", reason, N_("say why the report is returned"))
    run_step(db, actor_id, work_item_id, "accept", now, lambda s: _decide(s, "report", False, why))


def acknowledge_contribution(
    db: Database,
    actor_id: int,
    work_item_id: str,
    accepted: bool = True,
    comment: str = "",
    now: datetime | None = None,
) -> None:
    """The lead unit's head takes in a contribution, or sends it back with a reason."""
    note = (
        comment.strip()
        if accepted
        else required_text("comment", comment, N_("say why the contribution is sent back"))
    )
    run_step(
        db,
        actor_id,
        work_item_id,
        "acknowledge",
        now,
        lambda s: _decide(s, "contribution", accepted, note[:MAX_TEXT_LENGTH]),
    )


def hand_over(
    db: Database,
    actor_id: int,
    assignment_id: int,
    assignee_id: int | None,
    now: datetime | None = None,
) -> None:
    """The unit head hands an assignment to a person of the unit (None takes it back)."""
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "unit_head")
        assignment = session.get(Assignment, assignment_id)
        if assignment is None or assignment.unit_id != actor.unit_id:
            raise NotAssignedToUnit(N_("this assignment belongs to another unit"))
        if assignment.state in ("accepted", "draft", "cancelled"):
            raise InvalidInput({"assignment": N_("only open assignments can be handed over")})
        person = session.get(User, assignee_id) if assignee_id is not None else None
        if assignee_id is not None and (
            person is None or person.unit_id != actor.unit_id or not person.active
        ):
            raise InvalidInput({"assignee": N_("choose an active person of your unit")})
        before = assignment.assignee_id
        assignment.assignee_id = assignee_id
        history.record(
            session,
            "assignment_handed_over",
            at=at,
            actor=actor,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
            before={"assignee_id": before},
            after={"assignee_id": assignee_id, "assignee": person.full_name if person else None},
        )

    db.command(run)
