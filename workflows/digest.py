"""The daily digest: each person's steps that are overdue or due soon, once a day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.notifications import insert_notices
from workflows.read import inbox
from workflows.tables import User

DIGEST_ROLES = ("unit_head", "unit_staff", "supervisor")


def create_digests(db: Database, now: datetime | None = None) -> int:
    """Give every person with overdue or nearly due steps today's digest (once a day)."""
    at = now or utcnow()
    day = at.astimezone(db.settings.tz).date().isoformat()
    with db.reading() as session:
        people = [
            (u.id, bool(u.email))
            for u in session.scalars(select(User).where(User.active.is_(True)))
            if u.roles.intersection(DIGEST_ROLES)
        ]
    rows = []
    for user_id, has_mail in people:
        page = inbox.inbox(db, user_id, now=at, per_page=200)
        soon = sum(1 for item in page.items if item.timeliness == "due_soon")
        if page.overdue or soon:
            rows.append(
                {
                    "key": f"digest:{day}:{user_id}",
                    "user_id": user_id,
                    "kind": "digest",
                    "directive_id": None,
                    "assignment_id": None,
                    "params": {"overdue": page.overdue, "due_soon": soon, "day": day},
                    "created_at": at,
                    "mail_next_at": at,
                    "mail_attempts": 0,
                    "mail_error": "",
                    "mail_state": "pending" if db.settings.mail_enabled and has_mail else "none",
                }
            )

    def run(session: Session) -> int:
        insert_notices(session, rows)
        return len(rows)

    return db.command(run) if rows else 0
