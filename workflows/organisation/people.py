"""The organisation: units, users, roles, passwords."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from workflows.db import Database
from workflows.errors import InvalidInput, NotFound, PermissionDenied, RoleRequired
from workflows.messages import N_, Message
from workflows.tables import ROLES, Unit, User

# OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class UserInfo:
    """A user as the other layers see it."""

    id: int
    username: str
    full_name: str
    title: str
    unit_code: str
    unit_name: str
    roles: frozenset[str]
    language: str


def user_info(user: User) -> UserInfo:
    """Copy a user row into a frozen value."""
    return UserInfo(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        title=user.title,
        unit_code=user.unit.code,
        unit_name=user.unit.name,
        roles=user.roles,
        language=user.language,
    )


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Tell whether a password matches its hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_actor(session: Session, user_id: int) -> User:
    """Return the acting user, refusing unknown or deactivated accounts."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no user %(id)s", id=user_id))
    if not user.active:
        raise PermissionDenied(N_("this account is deactivated"))
    return user


def require_admin(session: Session, actor_id: int) -> User:
    """Return the acting user, refusing anyone who is not an administrator."""
    actor = load_actor(session, actor_id)
    require_role(actor, "admin")
    return actor


def require_role(user: User, *roles: str) -> None:
    """Raise RoleRequired unless the user holds one of the roles."""
    if not user.roles.intersection(roles):
        raise RoleRequired(*roles)


def normalise_email(address: str) -> str:
    """Check an e-mail address (syntax only, no network) and return its normal form; "" stays."""
    if not address.strip():
        return ""
    try:
        checked = validate_email(
            address.strip(), check_deliverability=False, globally_deliverable=False
        )
    except EmailNotValidError as exc:
        raise InvalidInput(
            {"email": N_("%(address)s is not a valid e-mail address", address=address.strip())}
        ) from exc
    return str(checked.normalized)[:255]


def unit_by_code(session: Session, code: str) -> Unit:
    """Return an active unit by its code."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not unit.active:
        raise InvalidInput({"unit": N_("no active unit with code %(code)s", code=code)})
    return unit


def create_unit(
    session: Session,
    code: str,
    name: str,
    *,
    kind: str = "division",
    head_title: str = "",
    parent_code: str | None = None,
    name_en: str = "",
) -> int:
    """Add a unit to the organisation tree."""
    if not re.fullmatch(r"[A-Z0-9_-]{1,32}", code):
        raise InvalidInput({"code": N_("use 1-32 capital letters, digits, - or _")})
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise InvalidInput({"code": N_("a unit with code %(code)s already exists", code=code)})
    parent = unit_by_code(session, parent_code) if parent_code else None
    unit = Unit(
        code=code,
        name=name.strip(),
        name_en=name_en,
        kind=kind,
        head_title=head_title,
        parent_id=parent.id if parent else None,
    )
    session.add(unit)
    session.flush()
    return unit.id


def create_user(
    session: Session,
    username: str,
    full_name: str,
    unit_code: str,
    roles: list[str],
    password: str,
    *,
    title: str = "",
    email: str = "",
) -> int:
    """Add a user with hashed password; roles must be known and the unit must exist."""
    problems = _user_problems(session, username, full_name, roles, password)
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        problems.update(exc.field_messages)
    if problems:
        raise InvalidInput(problems)
    unit = unit_by_code(session, unit_code)
    user = User(
        username=username,
        full_name=full_name.strip(),
        title=title,
        unit_id=unit.id,
        roles_text=",".join(sorted(set(roles))),
        password_hash=hash_password(password),
        email=email,
    )
    session.add(user)
    session.flush()
    return user.id


def _user_problems(
    session: Session, username: str, full_name: str, roles: list[str], password: str
) -> dict[str, Message]:
    problems: dict[str, Message] = {}
    if not USERNAME_PATTERN.match(username):
        problems["username"] = N_("use 2-64 lower-case letters, digits, '.', '_' or '-'")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems["username"] = N_("%(username)s is taken", username=username)
    if not full_name.strip():
        problems["full_name"] = N_("required")
    unknown = [role for role in roles if role not in ROLES]
    if not roles or unknown:
        problems["roles"] = N_("choose one or more roles")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems["password"] = N_("at least %(count)s characters", count=MIN_PASSWORD_LENGTH)
    return problems


def authenticate(session: Session, username: str, password: str) -> UserInfo | None:
    """Return the user when the password matches an active account, else None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        password_matches(_dummy_hash(), password)
        return None
    return user_info(user) if password_matches(user.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so timing does not reveal usernames."""
    return _hasher.hash("timing-equaliser")


def list_usernames_of(db: Database) -> list[str]:
    """Return every active username, sorted."""
    with db.reading() as session:
        return list(
            session.scalars(
                select(User.username).where(User.active.is_(True)).order_by(User.username)
            )
        )


def assignee_alias() -> Any:
    """An alias of the user table for joining an assignment's assignee."""
    return aliased(User)
