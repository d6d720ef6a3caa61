"""Administration of the organisation: units and users (admin only), and a user's own settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import org
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_
from workflows.models import ROLES, CalendarDay, Unit, User

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class UnitRow:
    """A unit as the admin pages list it."""

    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    active: bool
    users: int


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


def _admin(session: Session, actor_id: int) -> User:
    actor = org.load_actor(session, actor_id)
    org.require_role(actor, "admin")
    return actor


def list_units(db: Database, actor_id: int | None = None) -> list[UnitRow]:
    """List the units, the tree's root first; anyone signed in may read it."""
    with db.reading() as session:
        if actor_id is not None:
            org.load_actor(session, actor_id)
        units = session.scalars(select(Unit).order_by(Unit.parent_id.is_not(None), Unit.id)).all()
        codes = {unit.id: unit.code for unit in units}
        counts: dict[int, int] = {}
        for unit_id in session.scalars(select(User.unit_id).where(User.active.is_(True))):
            counts[unit_id] = counts.get(unit_id, 0) + 1
        return [
            UnitRow(
                u.id,
                u.code,
                u.name,
                u.kind,
                codes.get(u.parent_id or 0),
                u.active,
                counts.get(u.id, 0),
            )
            for u in units
        ]


def list_users(db: Database, actor_id: int, unit_code: str | None = None) -> list[UserRow]:
    """List users (admin only), optionally of one unit."""
    with db.reading() as session:
        _admin(session, actor_id)
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
            )
            for u in session.scalars(query)
        ]


def add_user(
    db: Database,
    actor_id: int,
    username: str,
    full_name: str,
    unit_code: str,
    roles: list[str],
    password: str,
    title: str = "",
) -> int:
    """Create a user (admin only)."""

    def run(session: Session) -> int:
        _admin(session, actor_id)
        return org.create_user(
            session, username, full_name, unit_code, roles, password, title=title
        )

    return db.command(run)


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
) -> None:
    """Change a user's name, unit, roles or status (admin only); never lock oneself out."""

    def run(session: Session) -> None:
        _admin(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(N_("no user %(id)s", id=user_id))
        if not roles or any(role not in ROLES for role in roles):
            raise InvalidInput({"roles": N_("choose one or more roles")})
        if not full_name.strip():
            raise InvalidInput({"full_name": N_("required")})
        if user_id == actor_id and ("admin" not in roles or not active):
            raise InvalidInput({"roles": N_("you cannot remove your own administrator access")})
        user.full_name, user.title = full_name.strip(), title.strip()
        user.unit_id = org.unit_by_code(session, unit_code).id
        user.roles_text, user.active = ",".join(sorted(set(roles))), active

    db.command(run)


def add_unit(
    db: Database,
    actor_id: int,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    head_title: str = "",
) -> int:
    """Create a unit under a parent (admin only)."""

    def run(session: Session) -> int:
        _admin(session, actor_id)
        if not name.strip():
            raise InvalidInput({"name": N_("required")})
        return org.create_unit(
            session, code, name, kind=kind, head_title=head_title, parent_code=parent_code or None
        )

    return db.command(run)


def update_unit(db: Database, actor_id: int, unit_id: int, *, name: str, active: bool) -> None:
    """Rename or (de)activate a unit; past assignments keep the name they were given under."""

    def run(session: Session) -> None:
        _admin(session, actor_id)
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(N_("no unit %(id)s", id=unit_id))
        if not name.strip():
            raise InvalidInput({"name": N_("required")})
        unit.name, unit.active = name.strip(), active

    db.command(run)


def set_language(db: Database, user_id: int, language: str) -> None:
    """Remember the interface language a user chose."""
    if language not in LANGUAGES:
        raise InvalidInput({"language": N_("unknown language")})

    def run(session: Session) -> None:
        org.load_actor(session, user_id).language = language

    db.command(run)


def unit_members(db: Database, actor_id: int) -> list[UserRow]:
    """The active people of the actor's own unit (for handing work over)."""
    with db.reading() as session:
        actor = org.load_actor(session, actor_id)
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
            )
            for u in users
        ]


@dataclass(frozen=True)
class CalendarDayRow:
    """A day an administrator declared off or working."""

    day: date
    working: bool
    note: str


def calendar_days(db: Database) -> list[CalendarDayRow]:
    """The declared days, in date order."""
    with db.reading() as session:
        return [
            CalendarDayRow(r.day, r.working, r.note)
            for r in session.scalars(select(CalendarDay).order_by(CalendarDay.day))
        ]


def set_calendar_day(
    db: Database, actor_id: int, day: date, working: bool | None, note: str = ""
) -> None:
    """Declare a day off or a make-up working day (admin); None removes the declaration.

    Deadlines computed from now on follow it; deadlines already given keep their instant.
    """

    def run(session: Session) -> None:
        _admin(session, actor_id)
        row = session.get(CalendarDay, day)
        if working is None:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            session.add(CalendarDay(day=day, working=working, note=note.strip()[:255]))
        else:
            row.working, row.note = working, note.strip()[:255]

    db.command(run)
