"""Administration of the units: the tree of the department's units (admin only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import audit
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.rules.collation import sort_key
from workflows.rules.folding import fold
from workflows.rules.text import clean
from workflows.tables import Unit, User

MAX_ALIASES = 30


class KeepLeader:
    """Leave a unit's leader in charge as it is (the default of `update_unit`)."""


KEEP = KeepLeader()


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
    leader_id: int | None = None  # the leader in charge (lãnh đạo phụ trách)
    leader_name: str = ""
    any_officer_drafts: bool = False  # any officer may draft its reports, not only the chosen one
    aliases: tuple[str, ...] = ()  # other names directives give it


def list_units(db: Database, actor_id: int | None = None) -> list[UnitRow]:
    """List the units, the tree's root first, then by name; anyone signed in may read it."""
    with db.reading() as session:
        if actor_id is not None:
            people.load_actor(session, actor_id)
        units = sorted(  # the root, then the others in Vietnamese order of their names
            session.scalars(select(Unit)), key=lambda u: (u.parent_id is not None, sort_key(u.name))
        )
        codes = {unit.id: unit.code for unit in units}
        names = {
            user_id: name for user_id, name in session.execute(select(User.id, User.full_name))
        }
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
                u.leader_id,
                names.get(u.leader_id or 0, ""),
                u.any_officer_drafts,
                tuple(u.aliases or ()),
            )
            for u in units
        ]


def add_unit(
    db: Database,
    actor_id: int,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    head_title: str = "",
    now: datetime | None = None,
) -> int:
    """Create a unit under a parent (admin only)."""
    at = now or utcnow()

    def run(session: Session) -> int:
        actor = people.require_admin(session, actor_id)
        if not name.strip():
            raise InvalidInput({"name": N_("required")})
        unit_id = people.create_unit(
            session, code, name, kind=kind, head_title=head_title, parent_code=parent_code or None
        )
        after = {"name": name.strip(), "kind": kind, "parent": parent_code or None}
        audit.record(
            session,
            actor=actor,
            action="unit_created",
            target_kind="unit",
            target_key=code,
            before=None,
            after={"code": code, **after},
            at=at,
        )
        return unit_id

    return db.command(run)


def update_unit(
    db: Database,
    actor_id: int,
    unit_id: int,
    *,
    name: str,
    active: bool,
    parent_code: str | None = None,
    leader_id: int | None | KeepLeader = KEEP,
    any_officer_drafts: bool | None = None,
    now: datetime | None = None,
    aliases: Sequence[str] | None = None,
) -> None:
    """Rename, move (to `parent_code`, None keeps it), (de)activate a unit or give it a leader
    in charge (None: none; KEEP leaves it), or give it the other names directives use for it
    (`aliases`; None leaves them), admin only.

    Past assignments keep the name they were given under.
    """
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.require_admin(session, actor_id)
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(N_("no unit %(id)s", id=unit_id))
        if not name.strip():
            raise InvalidInput({"name": N_("required")})
        before = _unit_values(session, unit)
        if parent_code:
            unit.parent_id = _new_parent(session, unit, parent_code).id
        unit.name, unit.active = name.strip(), active
        if not isinstance(leader_id, KeepLeader):
            unit.leader_id = _leader(session, leader_id)
        if any_officer_drafts is not None:
            unit.any_officer_drafts = any_officer_drafts
        if aliases is not None:
            unit.aliases = _aliases(aliases)
        old, new = audit.changes(before, _unit_values(session, unit))
        if new:
            audit.record(
                session,
                actor=actor,
                action=_unit_action(new),
                target_kind="unit",
                target_key=unit.code,
                before=old,
                after=new,
                at=at,
            )

    db.command(run)


def _unit_values(session: Session, unit: Unit) -> dict[str, Any]:
    parent = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    leader = session.get(User, unit.leader_id) if unit.leader_id is not None else None
    return {
        "name": unit.name,
        "parent": parent.code if parent else None,
        "active": unit.active,
        "leader": leader.username if leader else None,
        "any_officer_drafts": unit.any_officer_drafts,
        "aliases": list(unit.aliases or ()),
    }


def _aliases(names: Sequence[str]) -> list[str]:
    """Other names of a unit: cleaned, each once, at most MAX_ALIASES of 255 characters."""
    found: dict[str, str] = {}
    for name in names:
        text = clean(name)
        if len(text) > 255:
            raise InvalidInput({"aliases": N_("a name is at most 255 characters")})
        if text:
            found.setdefault(fold(text), text)
    if len(found) > MAX_ALIASES:
        raise InvalidInput({"aliases": N_("at most %(count)s other names", count=MAX_ALIASES)})
    return list(found.values())


def _leader(session: Session, user_id: int | None) -> int | None:
    """The leader in charge to give a unit: an active leader (supervisor), or nobody."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or "supervisor" not in user.roles:
        raise InvalidInput({"leader": N_("choose an active leader (supervisor)")})
    return user.id


def _unit_action(after: dict[str, Any]) -> str:
    if "leader" in after and len(after) == 1:
        return "unit_leader_changed"
    if "any_officer_drafts" in after and len(after) == 1:
        return "unit_drafting_changed"
    if "aliases" in after and len(after) == 1:
        return "unit_aliases_changed"
    if "active" in after:
        return "unit_reactivated" if after["active"] else "unit_deactivated"
    return "unit_moved" if "parent" in after else "unit_renamed"


def _new_parent(session: Session, unit: Unit, parent_code: str) -> Unit:
    """The unit to move `unit` under: active, and neither the unit itself nor one of its own."""
    parent = people.unit_by_code(session, parent_code)
    if unit.parent_id is None:
        raise InvalidInput({"parent": N_("the top unit cannot be moved")})
    ancestor: Unit | None = parent
    while ancestor is not None:
        if ancestor.id == unit.id:
            raise InvalidInput(
                {"parent": N_("a unit cannot be moved under itself or one of its own units")}
            )
        ancestor = session.get(Unit, ancestor.parent_id) if ancestor.parent_id else None
    return parent
