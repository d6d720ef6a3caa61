"""The append-only event log: every change writes one line, nothing ever rewrites one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.tables import Event, User


def record(
    session: Session,
    kind: str,
    *,
    at: datetime,
    actor: User | None,
    directive_id: int | None = None,
    assignment_id: int | None = None,
    work_item_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
    on_behalf_of: User | None = None,
) -> None:
    """Append one event to the history (by `actor`, standing in for `on_behalf_of` if given)."""
    session.add(
        Event(
            at=at,
            actor_id=actor.id if actor else None,
            directive_id=directive_id,
            assignment_id=assignment_id,
            work_item_id=work_item_id,
            kind=kind,
            before=before,
            after=after,
            detail=detail,
            on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        )
    )


def who_completed(session: Session, work_item_id: str) -> tuple[str | None, datetime | None]:
    """Return who completed a work item and when, from the history."""
    row = session.execute(
        select(User.full_name, Event.at)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.work_item_id == work_item_id)
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)
