"""Delegation (ủy quyền): a head or a leader lets a named deputy act in their name for some days.

A head delegates to a person of their unit, a leader to another leader. While it runs, the
deputy's inbox holds the steps the delegator may do, and every step the deputy does is in the
history as "by the deputy, on behalf of the delegator" (`workflows.access.permissions`). Each
delegation, and its early end, is a line of the event log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from engine import utcnow
from workflows import history
from workflows.access.permissions import DELEGATING_ROLES
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound, PermissionDenied
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.tables import Delegation, Event, User

MAX_DAYS = 366
MAX_REASON = 2000
EVENTS = ("delegation_created", "delegation_ended")


@dataclass(frozen=True)
class DelegationEvent:
    """A line of a delegation's history: given or ended early, by whom, when."""

    kind: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DelegationRow:
    """A delegation as the delegations page lists it."""

    id: int
    delegator: str
    deputy: str
    starts_on: date
    ends_on: date
    reason: str
    revoked: bool
    mine: bool  # given by the reader (who may end it early)
    running: bool  # in force today
    expired: bool = False  # its last day has passed
    history: tuple[DelegationEvent, ...] = ()


@dataclass(frozen=True)
class Deputy:
    """A person the reader may delegate to."""

    id: int
    full_name: str
    title: str


def deputies(db: Database, actor_id: int) -> list[Deputy]:
    """The people the actor may delegate to: a head, their unit; a leader, the other leaders."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        return [Deputy(u.id, u.full_name, u.title) for u in _candidates(session, actor)]


def _candidates(session: Session, actor: User) -> list[User]:
    everyone = session.scalars(
        select(User).where(User.active.is_(True), User.id != actor.id).order_by(User.full_name)
    ).all()
    found: list[User] = []
    if "unit_head" in actor.roles:
        found += [u for u in everyone if u.unit_id == actor.unit_id]
    if "supervisor" in actor.roles:
        found += [u for u in everyone if "supervisor" in u.roles]
    return list({u.id: u for u in found}.values())


def delegate(
    db: Database,
    actor_id: int,
    deputy_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
    reason: str = "",
    now: datetime | None = None,
) -> int:
    """Let a deputy do the actor's steps from `starts_on` to `ends_on` (both included)."""
    at = now or utcnow()

    def run(session: Session) -> int:
        actor = people.load_actor(session, actor_id)
        if not actor.roles.intersection(DELEGATING_ROLES):
            raise PermissionDenied(N_("only heads of units and leaders delegate their steps"))
        today = at.astimezone(db.settings.tz).date()
        deputy = _check(session, actor, deputy_id, starts_on, ends_on, today, reason)
        assert starts_on is not None
        assert ends_on is not None
        row = Delegation(
            delegator_id=actor.id,
            deputy_id=deputy.id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason.strip(),
            created_at=at,
        )
        session.add(row)
        session.flush()
        history.record(
            session,
            "delegation_created",
            at=at,
            actor=actor,
            after={
                "delegation": row.id,
                "deputy": deputy.full_name,
                "from": starts_on.isoformat(),
                "to": ends_on.isoformat(),
            },
            detail=row.reason,
        )
        return row.id

    return db.command(run)


def _check(
    session: Session,
    actor: User,
    deputy_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
    today: date,
    reason: str,
) -> User:
    problems: dict[str, Message] = {}
    deputy = next((u for u in _candidates(session, actor) if u.id == deputy_id), None)
    if deputy is None:
        problems["deputy"] = N_("choose a person of your unit (a leader: another leader)")
    if starts_on is None:
        problems["starts_on"] = N_("required")
    elif starts_on < today:
        problems["starts_on"] = N_("the delegation cannot start in the past")
    if ends_on is None:
        problems["ends_on"] = N_("required")
    elif starts_on is not None and not starts_on <= ends_on <= starts_on + timedelta(MAX_DAYS):
        problems["ends_on"] = N_("the last day is on or after the first, within a year")
    if len(reason) > MAX_REASON:
        problems["reason"] = N_("at most %(count)s characters", count=MAX_REASON)
    if problems or deputy is None:
        raise InvalidInput(problems)
    return deputy


def end_delegation(
    db: Database, actor_id: int, delegation_id: int, now: datetime | None = None
) -> None:
    """End a delegation the actor gave, from now on."""
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        row = session.get(Delegation, delegation_id)
        if row is None or row.delegator_id != actor.id:
            raise NotFound(N_("no delegation %(id)s of yours", id=delegation_id))
        if row.revoked_at is not None:
            return
        row.revoked_at = at
        deputy = session.get(User, row.deputy_id)
        history.record(
            session,
            "delegation_ended",
            at=at,
            actor=actor,
            before={"delegation": row.id, "deputy": deputy.full_name if deputy else None},
        )

    db.command(run)


def delegations(db: Database, actor_id: int, now: datetime | None = None) -> list[DelegationRow]:
    """The delegations the actor gave or received, the newest first."""
    today = (now or utcnow()).astimezone(db.settings.tz).date()
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        giver, deputy = aliased(User), aliased(User)
        rows = session.execute(
            select(Delegation, giver.full_name, deputy.full_name)
            .join(giver, giver.id == Delegation.delegator_id)
            .join(deputy, deputy.id == Delegation.deputy_id)
            .where(or_(Delegation.delegator_id == actor.id, Delegation.deputy_id == actor.id))
            .order_by(Delegation.id.desc())
            .limit(200)
        ).all()
        lines = _history(session, [d.id for d, _, _ in rows])
        return [
            DelegationRow(
                d.id,
                giver_name,
                deputy_name,
                d.starts_on,
                d.ends_on,
                d.reason,
                d.revoked_at is not None,
                d.delegator_id == actor.id,
                d.revoked_at is None and d.starts_on <= today <= d.ends_on,
                d.revoked_at is None and d.ends_on < today,
                tuple(lines.get(d.id, ())),
            )
            for d, giver_name, deputy_name in rows
        ]


def _history(session: Session, ids: list[int]) -> dict[int, list[DelegationEvent]]:
    """The event log's lines about these delegations, oldest first."""
    wanted, found = set(ids), dict[int, list[DelegationEvent]]()
    if not wanted:
        return found
    givers = select(Delegation.delegator_id).where(Delegation.id.in_(wanted))
    rows = session.execute(
        select(Event.kind, Event.at, Event.before, Event.after, User.full_name)
        .join(User, User.id == Event.actor_id)
        .where(Event.kind.in_(EVENTS), Event.actor_id.in_(givers))
        .order_by(Event.id)
    )
    for kind, at, before, after, by in rows:
        key = (after or before or {}).get("delegation")
        if key in wanted:
            found.setdefault(key, []).append(DelegationEvent(kind, by, at))
    return found
