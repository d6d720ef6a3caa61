"""API bearer tokens: shown once at creation, stored only as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import audit
from workflows.db import Database
from workflows.errors import NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import ApiToken, User

TOKEN_PREFIX = "dd_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, username: str, name: str = "", now: datetime | None = None) -> str:
    """Create a bearer token for a user and return it; it cannot be shown again.

    Only the command line creates tokens, so the audit log names it as the actor.
    """
    token, at = TOKEN_PREFIX + secrets.token_urlsafe(32), now or utcnow()

    def run(session: Session) -> None:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise NotFound(N_("no user %(id)s", id=username))
        session.add(
            ApiToken(user_id=user.id, token_sha256=_digest(token), name=name[:100], created_at=at)
        )
        audit.record(
            session,
            actor=None,
            action="token_created",
            target_kind="user",
            target_key=username,
            before=None,
            after={"name": name[:100]},
            at=at,
        )

    db.command(run)
    return token


def user_for_token(db: Database, token: str, now: datetime | None = None) -> people.UserInfo | None:
    """Return the active user a live token belongs to, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with db.reading() as session:
        row = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None or not row[1].active:
            return None
        return people.user_info(row[1])


def revoke_tokens(db: Database, username: str, now: datetime | None = None) -> int:
    """Revoke every live token of a user; return how many."""
    at = now or utcnow()

    def run(session: Session) -> int:
        tokens = session.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .where(User.username == username, ApiToken.revoked_at.is_(None))
        ).all()
        for token in tokens:
            token.revoked_at = at
        if tokens:
            audit.record(
                session,
                actor=None,
                action="tokens_revoked",
                target_kind="user",
                target_key=username,
                before={"live_tokens": len(tokens)},
                after={"live_tokens": 0},
                at=at,
            )
        return len(tokens)

    return db.command(run)
