"""What every step of an assignment shares: its transaction, its checks, its history line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine import ReadyTask, StepResult, utcnow
from workflows import history
from workflows.attachments import remove_files
from workflows.db import Database
from workflows.errors import InvalidInput
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.pipeline import (
    apply_step_result,
    complete_work_item,
    run_work_item,
    unit_work_item,
)
from workflows.tables import Assignment, Directive, User

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
    on_behalf: User | None = None  # whom the actor stands in for (ủy quyền)
    written: list[Path] = field(default_factory=list)

    @property
    def as_head(self) -> bool:
        """Tell whether the step is done with a head's authority (the head's, or by delegation)."""
        acting = self.on_behalf or self.actor
        return "unit_head" in acting.roles and acting.unit_id == self.assignment.unit_id

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

    def record(
        self, kind: str, before: str, detail: str = "", extra: dict[str, Any] | None = None
    ) -> None:
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
            after={
                "state": self.assignment.state,
                "attempt": self.assignment.attempt,
                **(extra or {}),
            },
            detail=detail,
            on_behalf_of=self.on_behalf,
        )


def run_step(
    db: Database,
    actor_id: int,
    work_item_id: str,
    form: str,
    now: datetime | None,
    apply: Callable[[Step], None],
) -> None:
    """Run a step's use case in one transaction; files written by a failed try are removed."""
    at = now or utcnow()
    written: list[Path] = []

    def run(session: Session) -> None:
        remove_files(written)  # a retried attempt starts without the files of the last one
        written.clear()
        actor = people.load_actor(session, actor_id)
        item, directive, assignment, on_behalf = unit_work_item(
            session, db, actor, work_item_id, form, at
        )
        step = Step(session, db, actor, item, directive, assignment, at, on_behalf)
        try:
            apply(step)
        finally:
            written.extend(step.written)

    try:
        db.command(run)
    except BaseException:
        remove_files(written)
        raise


def required_text(name: str, value: str, message: Message) -> str:
    """Return the stripped text, or raise InvalidInput when it is empty or too long."""
    text = value.strip()
    if not text:
        raise InvalidInput({name: message})
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput({name: N_("at most %(count)s characters", count=MAX_TEXT_LENGTH)})
    return text
