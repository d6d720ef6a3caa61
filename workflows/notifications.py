"""Notifications: one row per event and person (idempotent), read in the bell, mailed if set up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.tables import Assignment, Directive, Notification, Task, User

KINDS = ("assigned", "reminder", "overdue", "returned", "draft_submitted", "draft_returned")
MAX_MAIL_ATTEMPTS = 8
EXCERPT_LENGTH = 60


@dataclass(frozen=True)
class MailJob:
    """A notification waiting to be mailed."""

    id: int
    to: str
    full_name: str
    language: str
    kind: str
    directive_id: int | None
    params: dict[str, Any]


def _recipients(
    session: Session, assignment: Assignment, supervisors: bool, heads: bool = True
) -> list[User]:
    unit = select(User).where(
        User.unit_id == assignment.unit_id,
        User.active.is_(True),
        or_(User.roles_text.contains("unit_head"), User.id == assignment.assignee_id),
    )
    found = list(session.scalars(unit)) if heads else []
    if supervisors:
        found += list(
            session.scalars(
                select(User).where(User.active.is_(True), User.roles_text.contains("supervisor"))
            )
        )
    return list({person.id: person for person in found}.values())


def notify_assignment(
    session: Session,
    db: Database,
    kind: str,
    assignment: Assignment,
    event_key: str,
    at: datetime,
    params: dict[str, Any] | None = None,
    supervisors: bool = False,
    heads: bool = True,
) -> None:
    """Tell the unit's heads (and the leaders, for escalations) once per event."""
    people = _recipients(session, assignment, supervisors, heads)
    _insert_for(session, db, kind, assignment, people, event_key, at, params)


def _insert_for(
    session: Session,
    db: Database,
    kind: str,
    assignment: Assignment,
    people: list[User],
    event_key: str,
    at: datetime,
    params: dict[str, Any] | None,
) -> None:
    directive = session.get(Directive, assignment.directive_id)
    task = session.get(Task, assignment.task_id)
    base = {
        "unit": assignment.unit_code,
        "unit_name": assignment.unit_name,
        "number": directive.number if directive else "",
        "title": directive.title if directive else "",
        "due_at": assignment.due_at.isoformat() if assignment.due_at else None,
        "task_number": task.number if task else None,
        "task_excerpt": excerpt(task.content) if task else "",
    }
    rows = [
        {
            "key": f"{kind}:{event_key}:{person.id}",
            "user_id": person.id,
            "kind": kind,
            "directive_id": assignment.directive_id,
            "assignment_id": assignment.id,
            "params": {**base, **(params or {})},
            "created_at": at,
            "mail_state": "pending" if db.settings.mail_enabled and person.email else "none",
            "mail_next_at": at,
            "mail_attempts": 0,
            "mail_error": "",
        }
        for person in people
    ]
    insert_notices(session, rows)


def heads_of(session: Session, unit_id: int) -> list[int]:
    """The active heads of a unit."""
    found = session.scalars(
        select(User).where(User.unit_id == unit_id, User.active.is_(True))
    ).all()
    return [person.id for person in found if "unit_head" in person.roles]


def notify_people(
    session: Session,
    db: Database,
    kind: str,
    assignment: Assignment,
    user_ids: Iterable[int],
    event_key: str,
    at: datetime,
    params: dict[str, Any] | None = None,
) -> None:
    """Tell some people of an assignment's unit once per event (a draft to sign off, a redo)."""
    found = [session.get(User, user_id) for user_id in dict.fromkeys(user_ids)]
    people = [person for person in found if person is not None and person.active]
    _insert_for(session, db, kind, assignment, people, event_key, at, params)


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a text on one line, cut at a word and marked with an ellipsis if longer."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    cut = flat[: length - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def insert_notices(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert notification rows; a row whose key exists already is skipped (idempotency)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Notification).values(rows).on_conflict_do_nothing(index_elements=["key"])
    session.execute(statement)


def mark_notifications_read(
    db: Database, user_id: int, ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Mark some (or all) of the user's notifications read; return how many changed."""
    at, wanted = now or utcnow(), None if ids is None else list(ids)

    def run(session: Session) -> int:
        query = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        if wanted is not None:
            query = query.where(Notification.id.in_(wanted))
        return int(session.execute(query.values(read_at=at)).rowcount or 0)  # type: ignore[attr-defined]

    return db.command(run)


def due_mails(db: Database, now: datetime | None = None, limit: int = 50) -> list[MailJob]:
    """Notifications whose mail is due (new, or a retry whose back-off has passed)."""
    at = now or utcnow()
    with db.reading() as session:
        rows = session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(Notification.mail_state == "pending", Notification.mail_next_at <= at)
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        return [
            MailJob(n.id, u.email, u.full_name, u.language, n.kind, n.directive_id, dict(n.params))
            for n, u in rows
        ]


def record_mail(db: Database, notification_id: int, error: str | None, now: datetime) -> None:
    """Record a mail attempt: sent, or failed with its error and a back-off before the retry."""

    def run(session: Session) -> None:
        row = session.get(Notification, notification_id)
        if row is None or row.mail_state != "sending":
            return
        row.mail_attempts += 1
        if error is None:
            row.mail_state, row.mailed_at, row.mail_error = "sent", now, ""
            return
        row.mail_error = error[:1000]
        if row.mail_attempts >= MAX_MAIL_ATTEMPTS:
            row.mail_state = "failed"
        else:
            row.mail_state = "pending"
            row.mail_next_at = now + timedelta(seconds=30 * 2 ** (row.mail_attempts - 1))

    db.command(run)


def _claim(db: Database, notification_id: int, now: datetime) -> bool:
    """Mark a mail as being sent, so a second scheduler never sends it again (at most once)."""

    def run(session: Session) -> bool:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.mail_state == "pending")
            .values(mail_state="sending", mail_next_at=now)
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    return db.command(run)


def deliver_mail(
    db: Database, send: Callable[[MailJob], None], now: datetime | None = None
) -> tuple[int, int]:
    """Mail what is due through `send`; a failure stays queued with its error. (sent, failed)."""
    at, sent, failed = now or utcnow(), 0, 0
    for job in due_mails(db, at):
        if not _claim(db, job.id, at):
            continue
        try:
            send(job)
        except Exception as exc:  # any transport failure: keep the mail queued and retry later
            record_mail(db, job.id, f"{type(exc).__name__}: {exc}", at)
            failed += 1
        else:
            record_mail(db, job.id, None, at)
            sent += 1
    return sent, failed


def give_up_stale_sends(db: Database, older_than: datetime) -> int:
    """Mails claimed by a scheduler that died mid-send: unknown whether they left; never resent."""

    def run(session: Session) -> int:
        result = session.execute(
            update(Notification)
            .where(Notification.mail_state == "sending", Notification.mail_next_at < older_than)
            .values(mail_state="unknown", mail_error="the scheduler stopped while sending")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    return db.command(run)
