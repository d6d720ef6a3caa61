"""Browser sessions kept on the server, so signing out really ends them.

The session cookie carries a random secret; only its SHA-256 is stored. A request is signed in
only while that row exists and has not expired: signing out deletes it, "sign out everywhere"
and a password reset delete every row of the user and revoke the user's API tokens too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import audit
from workflows.db import Database
from workflows.errors import NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import ApiToken, User, UserSession

SESSION_HOURS = 12
MAX_SECRET_LENGTH = 200


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start_session(
    db: Database,
    user_id: int,
    *,
    address: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> str:
    """Open a session for a signed-in user and return the secret the cookie keeps."""
    at, secret = now or utcnow(), secrets.token_urlsafe(32)

    def run(session: Session) -> None:
        people.load_actor(session, user_id)
        session.execute(delete(UserSession).where(UserSession.expires_at < at))
        session.add(
            UserSession(
                id=_digest(secret),
                user_id=user_id,
                created_at=at,
                expires_at=at + timedelta(hours=SESSION_HOURS),
                address=address[:64],
                user_agent=user_agent[:255],
            )
        )

    db.command(run)
    return secret


def session_user(db: Database, secret: str, now: datetime | None = None) -> people.UserInfo | None:
    """Return the active user of a live session, else None."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    at = now or utcnow()
    with db.reading() as session:
        user = session.scalar(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.id == _digest(secret), UserSession.expires_at > at)
        )
        return people.user_info(user) if user is not None and user.active else None


def end_session(db: Database, secret: str) -> None:
    """Sign one session out: its cookie opens nothing any more."""
    digest = _digest(secret)
    db.command(lambda session: session.execute(delete(UserSession).where(UserSession.id == digest)))


def end_everything(session: Session, user_id: int, at: datetime) -> tuple[int, int]:
    """End every session and revoke every API token of a user; return both counts."""
    sessions = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    tokens = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(sessions.rowcount or 0), int(tokens.rowcount or 0)  # type: ignore[attr-defined]


def sign_out_everywhere(
    db: Database, actor_id: int | None, user_id: int, now: datetime | None = None
) -> tuple[int, int]:
    """End every session and token of a user: the user themself, or an administrator acting.

    Return (sessions ended, tokens revoked).
    """
    at = now or utcnow()

    def run(session: Session) -> tuple[int, int]:
        actor = None if actor_id is None else people.load_actor(session, actor_id)
        if actor is not None and actor.id != user_id:
            people.require_role(actor, "admin")
        target = session.get(User, user_id)
        if target is None:
            raise NotFound(N_("no user %(id)s", id=user_id))
        ended = end_everything(session, user_id, at)
        _audit(session, actor, target, ended, at)
        return ended

    return db.command(run)


def _audit(
    session: Session, actor: User | None, target: User, ended: tuple[int, int], at: datetime
) -> None:
    audit.record(
        session,
        actor=actor,
        action="sessions_ended",
        target_kind="user",
        target_key=target.username,
        before=None,
        after={"sessions": ended[0], "tokens": ended[1]},
        at=at,
    )
