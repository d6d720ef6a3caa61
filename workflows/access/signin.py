"""Signing in, slowed down for guessers: failures count per account and per client address.

Only failures count, in the database so every server process sees them. An account with
`ACCOUNT_LIMIT` failures in the window takes no password (not even the right one) until the
window has passed, and its owner is told; an address with `ADDRESS_LIMIT` failures in the
window is refused for any account. The address limit is high because an office behind one
NAT address shares it; the account limit is what stops guessing one password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import notifications
from workflows.db import Database
from workflows.errors import DomainError
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import SignInFailure, User

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 50
WINDOW = timedelta(minutes=15)


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account or from this address; wait and try again."""

    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(
            N_(
                "too many failed sign-ins; try again in %(minutes)s minutes",
                minutes=minutes,
            )
        )
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in, and from where."""

    username: str
    password: str
    address: str


def sign_in(
    db: Database, attempt: Attempt, now: datetime | None = None, throttle: bool = True
) -> people.UserInfo | None:
    """Return the user when the password is right; None when wrong; raise when throttled."""
    at = now or utcnow()
    account = _account_key(attempt.username)
    if throttle:
        _refuse_if_throttled(db, account, attempt.address, at)
    with db.reading() as session:
        info = people.authenticate(session, attempt.username, attempt.password)
    if info is not None:
        db.command(lambda s: s.execute(delete(SignInFailure).where(_of_account(account))))
        return info
    db.command(lambda s: _record_failure(s, db, account, attempt.address, at))
    return None


def _account_key(username: str) -> str:
    return username.strip().lower()[:64]


def _of_account(account: str) -> ColumnElement[bool]:
    return SignInFailure.username == account


def _refuse_if_throttled(db: Database, account: str, address: str, at: datetime) -> None:
    since = at - WINDOW
    with db.reading() as session:
        for where, limit in (
            (_of_account(account), ACCOUNT_LIMIT),
            (SignInFailure.address == address[:64], ADDRESS_LIMIT),
        ):
            count, oldest = session.execute(
                select(func.count(), func.min(SignInFailure.at)).where(
                    where, SignInFailure.at > since
                )
            ).one()
            if count >= limit and oldest is not None:
                wait = int((oldest + WINDOW - at).total_seconds()) + 1
                raise SignInThrottled(max(wait, 1))


def _record_failure(
    session: Session, db: Database, account: str, address: str, at: datetime
) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.at < at - 8 * WINDOW))
    session.add(SignInFailure(username=account, address=address[:64], at=at))
    session.flush()
    failures = session.scalar(
        select(func.count()).where(_of_account(account), SignInFailure.at > at - WINDOW)
    )
    if failures == ACCOUNT_LIMIT:
        _tell_owner(session, db, account, address, at)


def _tell_owner(session: Session, db: Database, account: str, address: str, at: datetime) -> None:
    """Tell the account's owner that its sign-in is held after repeated failures."""
    user = session.scalar(select(User).where(func.lower(User.username) == account))
    if user is None or not user.active:
        return
    notifications.insert_notices(
        session,
        [
            {
                "key": f"sign_in_held:{user.id}:{at.isoformat()}",
                "user_id": user.id,
                "kind": "sign_in_held",
                "directive_id": None,
                "assignment_id": None,
                "params": {
                    "address": address[:64],
                    "failures": ACCOUNT_LIMIT,
                    "minutes": int(WINDOW.total_seconds() // 60),
                },
                "created_at": at,
                "mail_state": "pending" if db.settings.mail_enabled and user.email else "none",
                "mail_next_at": at,
                "mail_attempts": 0,
                "mail_error": "",
            }
        ],
    )
