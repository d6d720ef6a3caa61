"""Administration of user accounts: create, change, e-mail address; each change is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import audit
from workflows.access.sessions import end_everything
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.tables import ROLES, Unit, User

LANGUAGES = ("vi", "en")


def _admin_or_command_line(session: Session, actor_id: int | None) -> User | None:
    """The acting administrator, or None for the command line (whoever runs it owns the server)."""
    return None if actor_id is None else people.require_admin(session, actor_id)


def _user_values(user: User, unit: Unit) -> dict[str, Any]:
    """What the audit log keeps of an account (never its password)."""
    return {
        "full_name": user.full_name,
        "job_title": user.title,
        "unit": unit.code,
        "roles": sorted(user.roles),
        "email": user.email,
        "language": user.language,
        "active": user.active,
    }


def add_user(
    db: Database,
    actor_id: int | None,
    username: str,
    full_name: str,
    unit_code: str,
    roles: list[str],
    password: str,
    title: str = "",
    email: str = "",
    now: datetime | None = None,
) -> int:
    """Create a user (an admin, or the command line when actor_id is None)."""
    at = now or utcnow()

    def run(session: Session) -> int:
        actor = _admin_or_command_line(session, actor_id)
        user_id = people.create_user(
            session, username, full_name, unit_code, roles, password, title=title, email=email
        )
        user = session.get(User, user_id)
        assert user is not None
        after = _user_values(user, people.unit_by_code(session, unit_code))
        audit.record(
            session,
            actor=actor,
            action="user_created",
            target_kind="user",
            target_key=username,
            before=None,
            after=after,
            at=at,
        )
        return user_id

    return db.command(run)


def _user_problems(
    actor_id: int, user_id: int, full_name: str, roles: list[str], active: bool, language: str
) -> dict[str, Message]:
    problems: dict[str, Message] = {}
    if not roles or any(role not in ROLES for role in roles):
        problems["roles"] = N_("choose one or more roles")
    elif user_id == actor_id and ("admin" not in roles or not active):
        problems["roles"] = N_("you cannot remove your own administrator access")
    if not full_name.strip():
        problems["full_name"] = N_("required")
    if language not in LANGUAGES:
        problems["language"] = N_("unknown language")
    return problems


def update_user(
    db: Database,
    actor_id: int,
    user_id: int,
    *,
    full_name: str,
    title: str,
    unit_code: str,
    roles: list[str],
    active: bool,
    email: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> None:
    """Change a user's name, unit, roles, e-mail, language or status (admin only).

    An administrator never locks themself out; `email` or `language` None keeps the old one.
    """
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = _admin_or_command_line(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(N_("no user %(id)s", id=user_id))
        wanted = user.language if language is None else language
        problems = _user_problems(actor_id, user_id, full_name, roles, active, wanted)
        try:
            address = user.email if email is None else people.normalise_email(email)
        except InvalidInput as exc:
            problems.update(exc.field_messages)
        if problems:
            raise InvalidInput(problems)
        before = _user_values(user, user.unit)
        unit = people.unit_by_code(session, unit_code)
        user.full_name, user.title, user.unit = full_name.strip(), title.strip(), unit
        user.roles_text, user.active = ",".join(sorted(set(roles))), active
        user.email, user.language = address, wanted
        _record_user_change(session, actor, user.username, before, _user_values(user, unit), at)

    db.command(run)


def _record_user_change(
    session: Session,
    actor: User | None,
    username: str,
    values_before: dict[str, Any],
    values_after: dict[str, Any],
    at: datetime,
) -> None:
    before, after = audit.changes(values_before, values_after)
    if not after:
        return
    action = "user_changed"
    if "active" in after:
        action = "user_reactivated" if after["active"] else "user_deactivated"
    audit.record(
        session,
        actor=actor,
        action=action,
        target_kind="user",
        target_key=username,
        before=before,
        after=after,
        at=at,
    )


def set_email(
    db: Database, actor_id: int | None, username: str, email: str, now: datetime | None = None
) -> str:
    """Set a user's e-mail address (an admin, or the command line); return it normalised."""
    at = now or utcnow()

    def run(session: Session) -> str:
        actor = _admin_or_command_line(session, actor_id)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(N_("no user %(id)s", id=username))
        before = {"email": user.email}
        user.email = people.normalise_email(email)
        _record_user_change(session, actor, username, before, {"email": user.email}, at)
        return user.email

    return db.command(run)


def reset_password(
    db: Database, username: str, actor_id: int | None = None, now: datetime | None = None
) -> str:
    """Give a user a new random password and return it (shown once, never stored in clear).

    Every session and API token of the user ends with the old password.
    """
    password, at = secrets.token_urlsafe(12), now or utcnow()

    def run(session: Session) -> None:
        actor = _admin_or_command_line(session, actor_id)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(N_("no user %(id)s", id=username))
        user.password_hash = people.hash_password(password)
        sessions, tokens = end_everything(session, user.id, at)
        audit.record(
            session,
            actor=actor,
            action="password_reset",
            target_kind="user",
            target_key=user.username,
            before=None,
            after={"password": audit.AUDIT_CHANGED, "sessions": sessions, "tokens": tokens},
            at=at,
        )

    db.command(run)
    return password


@dataclass(frozen=True)
class UserRow:
    """A user as the admin pages list it."""

    id: int
    username: str
    full_name: str
    title: str
    unit_code: str
    roles: tuple[str, ...]
    active: bool
    email: str = ""
    language: str = "vi"


def list_users(db: Database, actor_id: int, unit_code: str | None = None) -> list[UserRow]:
    """List users (admin only), optionally of one unit."""
    with db.reading() as session:
        people.require_admin(session, actor_id)
        query = select(User).join(Unit, Unit.id == User.unit_id).order_by(Unit.id, User.username)
        if unit_code:
            query = query.where(Unit.code == unit_code)
        return [
            UserRow(
                u.id,
                u.username,
                u.full_name,
                u.title,
                u.unit.code,
                tuple(sorted(u.roles)),
                u.active,
                u.email,
                u.language,
            )
            for u in session.scalars(query)
        ]


def set_language(db: Database, user_id: int, language: str) -> None:
    """Remember the interface language a user chose."""
    if language not in LANGUAGES:
        raise InvalidInput({"language": N_("unknown language")})

    def run(session: Session) -> None:
        people.load_actor(session, user_id).language = language

    db.command(run)


def unit_members(db: Database, actor_id: int) -> list[UserRow]:
    """The active people of the actor's own unit (for handing work over)."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        users = session.scalars(
            select(User)
            .where(User.unit_id == actor.unit_id, User.active.is_(True))
            .order_by(User.full_name)
        )
        return [
            UserRow(
                u.id,
                u.username,
                u.full_name,
                u.title,
                actor.unit.code,
                tuple(sorted(u.roles)),
                u.active,
                u.email,
                u.language,
            )
            for u in users
        ]
