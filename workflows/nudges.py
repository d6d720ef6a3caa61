"""Đôn đốc: a leader or the records clerk reminds a unit of an open assignment, with a message.

The unit's heads (and the person the head handed the work to) get a notification, mailed when
mail is set up; the nudge is a line of the directive's history, and lists count them per task.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from engine import utcnow
from workflows import history, notifications
from workflows.db import Database
from workflows.errors import DirectiveNotActive, InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.read.task_details import NUDGE_EVENT
from workflows.tables import Assignment, Directive

MAX_MESSAGE = 2_000
NUDGERS = ("supervisor", "clerk")


def nudge_assignment(
    db: Database, actor_id: int, assignment_id: int, message: str, now: datetime | None = None
) -> None:
    """Remind the unit of an open assignment (leaders and the records clerk)."""
    at, text = now or utcnow(), message.strip()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, *NUDGERS)
        assignment = session.get(Assignment, assignment_id)
        if assignment is None:
            raise NotFound(N_("no assignment %(id)s", id=assignment_id))
        _check(session, assignment, text)
        history.record(
            session,
            NUDGE_EVENT,
            at=at,
            actor=actor,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
            after={"unit": assignment.unit_code},
            detail=text,
        )
        notifications.notify_assignment(
            session,
            db,
            "nudged",
            assignment,
            uuid.uuid4().hex,
            at,
            params={"message": text, "by": actor.full_name},
        )

    db.command(run)


def _check(session: Session, assignment: Assignment, text: str) -> None:
    if not text:
        raise InvalidInput({"message": N_("write what the unit should do")})
    if len(text) > MAX_MESSAGE:
        raise InvalidInput({"message": N_("at most %(count)s characters", count=MAX_MESSAGE)})
    directive = session.get(Directive, assignment.directive_id)
    if directive is None or directive.status != "in_progress":
        raise DirectiveNotActive(N_("only the tasks of a directive in progress can be nudged"))
    if assignment.state in ("accepted", "draft"):
        raise InvalidInput({"assignment": N_("this assignment is already completed")})
