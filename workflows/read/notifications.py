"""The bell and the notifications page: a person's notifications, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from workflows.db import Database
from workflows.organisation import people
from workflows.tables import Directive, Notification


@dataclass(frozen=True)
class NotificationView:
    """A notification as the bell and its page show it."""

    id: int
    kind: str
    directive_id: int | None
    directive_number: str
    params: dict[str, Any]
    created_at: datetime
    read: bool
    mail_state: str
    mail_error: str


def unread_notifications(db: Database, user_id: int) -> int:
    """How many notifications the user has not read."""
    with db.reading() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            )
            or 0
        )


def list_notifications(db: Database, user_id: int, limit: int = 50) -> list[NotificationView]:
    """The user's latest notifications, newest first."""
    with db.reading() as session:
        people.load_actor(session, user_id)
        rows = session.execute(
            select(Notification, Directive.number)
            .join(Directive, Directive.id == Notification.directive_id, isouter=True)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(min(max(limit, 1), 200))
        ).all()
        return [
            NotificationView(
                n.id,
                n.kind,
                n.directive_id,
                number or "",
                dict(n.params),
                n.created_at,
                n.read_at is not None,
                n.mail_state,
                n.mail_error,
            )
            for n, number in rows
        ]
