"""Use cases of one assignment's steps: execute, report, accept or return, contribute."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ReadyTask, StepResult, utcnow
from workflows import history, notifications
from workflows.attachments import Upload, remove_files, store_uploads
from workflows.db import Database
from workflows.errors import InvalidInput, NotAssignedToUnit, NotFound
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.pipeline import (
    apply_step_result,
    complete_work_item,
    run_work_item,
    unit_work_item,
)
from workflows.tables import Assignment, Directive, Report, User

MAX_TEXT_LENGTH = 20_000


@dataclass
class Step:
    """What a step's use case works on, loaded and checked in its transaction."""

    session: Session
    db: Database
    actor: User
    item: ReadyTask
    directive: Directive
    assignment: Assignment
    at: datetime
    written: list[Path] = field(default_factory=list)

    def complete(self, data: dict[str, Any]) -> None:
        """Complete the work item in the engine with the step's data, and apply what followed."""
        complete_work_item(
            self.session, self.db, self.directive, self.item, data, self.actor, self.at
        )

    def run(self, data: dict[str, Any]) -> StepResult:
        """Complete the work item in the engine; `apply` the result once the step is recorded."""
        return run_work_item(self.session, self.db, self.item, data)

    def apply(self, result: StepResult) -> None:
        """Record the timers that fired and close the directive if its process ended."""
        apply_step_result(self.session, self.db, self.directive, result, self.at)

    def record(self, kind: str, before: str, detail: str = "") -> None:
        """Append the step's event, from state `before` to the assignment's current state."""
        history.record(
            self.session,
            kind,
            at=self.at,
            actor=self.actor,
            directive_id=self.directive.id,
            assignment_id=self.assignment.id,
            work_item_id=self.item.id,
            before={"state": before},
            after={"state": self.assignment.state, "attempt": self.assignment.attempt},
            detail=detail,
        )


def _run_step(
    db: Database,
    actor_id: int,
    work_item_id: str,
    form: str,
    now: datetime | None,
    apply: Callable[[Step], None],
) -> None:
    at = now or utcnow()

    written: list[Path] = []

    def run(session: Session) -> None:
        remove_files(written)  # a retried attempt starts without the files of the last one
        written.clear()
        actor = people.load_actor(session, actor_id)
        item, directive, assignment = unit_work_item(session, db, actor, work_item_id, form)
        step = Step(session, db, actor, item, directive, assignment, at)
        try:
            apply(step)
        finally:
            written.extend(step.written)

    try:
        db.command(run)
    except BaseException:
        remove_files(written)
        raise


def _required_text(name: str, value: str, message: Message) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput({name: message})
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput({name: N_("at most %(count)s characters", count=MAX_TEXT_LENGTH)})
    return text


def start_work(
    db: Database, actor_id: int, work_item_id: str, note: str = "", now: datetime | None = None
) -> None:
    """Start (or, after a return, restart) work on an assignment: the execute step."""
    if len(note) > MAX_TEXT_LENGTH:
        raise InvalidInput({"note": N_("at most %(count)s characters", count=MAX_TEXT_LENGTH)})

    def apply(step: Step) -> None:
        before = step.assignment.state
        step.assignment.state = "in_progress"
        step.assignment.attempt += 1
        step.assignment.started_at = step.assignment.started_at or step.at
        step.record("work_started", before, note.strip())
        step.complete({"execution_note": note.strip()})

    _run_step(db, actor_id, work_item_id, "execute", now, apply)


def _submit(step: Step, kind: str, text: str, data_key: str, uploads: Sequence[Upload]) -> None:
    before = step.assignment.state
    report = Report(
        assignment_id=step.assignment.id,
        kind=kind,
        attempt=step.assignment.attempt,
        cycle=step.assignment.cycle,
        text=text,
        submitted_by_id=step.actor.id,
        submitted_at=step.at,
    )
    step.session.add(report)
    if uploads:
        step.session.flush()
        step.written += store_uploads(
            step.session,
            step.db,
            uploads,
            directive_id=step.directive.id,
            report_id=report.id,
            actor=step.actor,
            at=step.at,
        )
    step.assignment.state, step.assignment.reported_at = "reported", step.at
    step.record(f"{kind}_submitted", before, text)
    step.complete({data_key: text})


def submit_report(
    db: Database,
    actor_id: int,
    work_item_id: str,
    text: str,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
) -> None:
    """Submit the lead unit's result report (with evidence files) to be accepted or returned."""
    body = _required_text("text", text, N_("the report needs its result text"))
    _run_step(
        db,
        actor_id,
        work_item_id,
        "report",
        now,
        lambda s: _submit(s, "report", body, "report_text", uploads),
    )


def submit_contribution(
    db: Database,
    actor_id: int,
    work_item_id: str,
    text: str,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
) -> None:
    """Submit a coordinating unit's contribution for the lead unit to acknowledge."""
    body = _required_text("text", text, N_("the contribution needs its text"))
    _run_step(
        db,
        actor_id,
        work_item_id,
        "contribute",
        now,
        lambda s: _submit(s, "contribution", body, "contribution_text", uploads),
    )


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
    _run_step(db, actor_id, work_item_id, "accept", now, lambda s: _decide(s, "report", True, note))


def return_report(
    db: Database, actor_id: int, work_item_id: str, reason: str, now: datetime | None = None
) -> None:
    """Return the report with a reason (trả lại): the unit works on it again."""
    why = _required_text("reason", reason, N_("say why the report is returned"))
    _run_step(db, actor_id, work_item_id, "accept", now, lambda s: _decide(s, "report", False, why))


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
        else _required_text("comment", comment, N_("say why the contribution is sent back"))
    )
    _run_step(
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
        if assignment.state in ("accepted", "draft"):
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
