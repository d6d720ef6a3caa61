"""Notifications for following up: leaders hear of reports and completions, the clerk of what
became of the directives they entered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.db import Database
from workflows.notifications import excerpt, insert_notices
from workflows.tables import Assignment, Directive, Task, Unit, User

KINDS = ("report_submitted", "directive_assigned", "directive_completed")


def _leaders(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.active.is_(True), User.roles_text.contains("supervisor"))
        )
    )


def _send(
    session: Session,
    db: Database,
    kind: str,
    to: Iterable[User],
    directive: Directive,
    key: str,
    at: datetime,
    params: dict[str, Any],
    assignment_id: int | None = None,
) -> None:
    base = {"number": directive.number, "title": directive.title, **params}
    rows = [
        {
            "key": f"{kind}:{key}:{person.id}",
            "user_id": person.id,
            "kind": kind,
            "directive_id": directive.id,
            "assignment_id": assignment_id,
            "params": base,
            "created_at": at,
            "mail_state": "pending" if db.settings.mail_enabled and person.email else "none",
            "mail_next_at": at,
            "mail_attempts": 0,
            "mail_error": "",
        }
        for person in {p.id: p for p in to}.values()
    ]
    insert_notices(session, rows)


def report_arrived(
    session: Session, db: Database, assignment: Assignment, report_id: int, at: datetime
) -> None:
    """Tell the unit's leader in charge (every leader when it has none) a report came in."""
    directive = session.get(Directive, assignment.directive_id)
    task = session.get(Task, assignment.task_id)
    unit = session.get(Unit, assignment.unit_id)
    assert directive is not None
    assert task is not None
    leader = session.get(User, unit.leader_id) if unit and unit.leader_id else None
    to = [leader] if leader is not None and leader.active else _leaders(session)
    params = {
        "unit": assignment.unit_code,
        "unit_name": assignment.unit_name,
        "task_number": task.number,
        "task_excerpt": excerpt(task.content),
    }
    _send(session, db, "report_submitted", to, directive, str(report_id), at, params, assignment.id)


def directive_assigned(session: Session, db: Database, directive: Directive, at: datetime) -> None:
    """Tell the clerk who entered the directive that its tasks went out."""
    clerk = session.get(User, directive.created_by_id)
    if clerk is not None and clerk.active:
        _send(session, db, "directive_assigned", [clerk], directive, str(directive.id), at, {})


def directive_completed(session: Session, db: Database, directive: Directive, at: datetime) -> None:
    """Tell the leaders and the clerk who entered it that every task of the directive is done."""
    to = _leaders(session)
    clerk = session.get(User, directive.created_by_id)
    if clerk is not None and clerk.active:
        to.append(clerk)
    _send(session, db, "directive_completed", to, directive, str(directive.id), at, {})
