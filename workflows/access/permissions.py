"""Who may see a directive, and who may act on a step: each rule written once.

The rule for acting has two forms that must agree, a Python check for one step and a SQL
condition for the inbox; `tests/web/test_who_may_act.py` holds them together over every
demo role and every kind of step, including after a hand-over and under a delegation.

A step in a lane that names a role (`supervisor`, `clerk`, `admin`, ...) is for the people
holding that role; a supervisor step of an assignment whose unit has a leader in charge is
that leader's (and the director's). A step in a unit lane (`unit`, the assignment's unit;
`unit_head`, its heads; `lead_unit`, the task's lead unit) is for that unit: its head may do
every step; its officers (and deputy heads) the unit's work but not the steps that speak for
the unit (sign-off, acknowledge). When the head handed the assignment to one person, the
unit's own work (lane `unit`) is that person's (and the head's); a report or contribution is
drafted by that person, or by any officer when nobody was chosen and the unit allows it.
Whoever a head or a leader delegated to (ủy quyền) for today may also do what they may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from engine import WorkItem
from workflows.errors import NotAssignedToUnit, PermissionDenied, RoleRequired
from workflows.messages import N_
from workflows.tables import Assignment, Delegation, Unit, User

SEE_ALL_ROLES = ("supervisor", "clerk", "admin")
LEADERS_LANE = "supervisor"  # the leaders' steps: a unit's go to its leader in charge
UNIT_LANES = frozenset({"unit", "unit_head", "lead_unit"})
UNIT_ROLES = ("unit_staff", "deputy_head", "unit_head")
HEAD_FORMS = frozenset({"acknowledge", "sign_off"})  # the unit speaks through them
DRAFT_FORMS = frozenset({"report", "contribute"})  # an officer drafts, the head signs off
DELEGATING_ROLES = ("unit_head", "supervisor")


@dataclass(frozen=True)
class StepFacts:
    """What the rule looks at: the step's lane, unit and form, to whom it was handed, and the
    leader in charge of the assignment's unit."""

    lane: str | None
    unit: str | None
    form: str
    handed_to: int | None = None
    leader_id: int | None = None


def sees_everything(actor: User) -> bool:
    """Supervisors, clerks and administrators see every directive."""
    return bool(actor.roles.intersection(SEE_ALL_ROLES))


def may_see_directive(session: Session, actor: User, directive_id: int) -> bool:
    """A unit sees the directives assigned to it; the see-all roles see every one."""
    if sees_everything(actor):
        return True
    found = session.scalar(
        select(Assignment.id)
        .where(
            Assignment.directive_id == directive_id,
            Assignment.unit_id == actor.unit_id,
            Assignment.state != "draft",
        )
        .limit(1)
    )
    return found is not None


def delegators_of(session: Session, actor: User, today: date) -> list[User]:
    """The active heads and leaders who delegated their steps to the actor for today."""
    return list(
        session.scalars(
            select(User)
            .join(Delegation, Delegation.delegator_id == User.id)
            .where(
                Delegation.deputy_id == actor.id,
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
                Delegation.revoked_at.is_(None),
                User.active.is_(True),
            )
            .order_by(Delegation.id)
        ).unique()
    )


def check_may_act(actor: User, step: StepFacts, delegators: Sequence[User] = ()) -> User | None:
    """Return whom the actor stands in for (None: in their own right), or raise why not."""
    try:
        _check_own(actor, step)
    except PermissionDenied:
        for principal in delegators:
            if may_act(principal, step):
                return principal
        raise
    return None


def may_act(actor: User, step: StepFacts, delegators: Sequence[User] = ()) -> bool:
    """Tell whether the actor may complete the step."""
    try:
        check_may_act(actor, step, delegators)
    except PermissionDenied:
        return False
    return True


def _check_role_lane(actor: User, step: StepFacts) -> None:
    role = step.lane or "admin"
    if role not in actor.roles:
        raise RoleRequired(role)
    if _leader_only(actor, step.lane) and step.leader_id not in (None, actor.id):
        raise NotAssignedToUnit(N_("this goes to the leader in charge of the unit"))


def _check_own(actor: User, step: StepFacts) -> None:
    if step.lane not in UNIT_LANES:
        _check_role_lane(actor, step)
        return
    if actor.unit.code != step.unit:
        raise NotAssignedToUnit(N_("this step belongs to another unit"))
    if "unit_head" in actor.roles:
        return
    if step.lane == "unit_head" or step.form in HEAD_FORMS:
        raise RoleRequired("unit_head")
    if not actor.roles.intersection(UNIT_ROLES):
        raise RoleRequired(*UNIT_ROLES)
    if step.lane == "unit" and step.form in DRAFT_FORMS:
        if step.handed_to == actor.id or (step.handed_to is None and actor.unit.any_officer_drafts):
            return
        raise NotAssignedToUnit(N_("the head of the unit writes this or hands it to an officer"))
    if step.lane == "unit" and step.handed_to not in (None, actor.id):
        raise NotAssignedToUnit(N_("the head of the unit handed this work to someone else"))


def _leader_only(actor: User, lane: str | None) -> bool:
    """A leader acts on a unit's step only as its leader in charge, unless director."""
    return lane == LEADERS_LANE and "director" not in actor.roles


def may_act_clause(actor: User, delegators: Sequence[User] = ()) -> ColumnElement[bool]:
    """The same rule as SQL over work items outer-joined to their assignment (the inbox)."""
    return or_(_own_clause(actor), *(_own_clause(person) for person in delegators))


def _own_clause(actor: User) -> ColumnElement[bool]:
    by_role = [WorkItem.lane == role for role in sorted(actor.roles)]
    lane_roles = and_(WorkItem.lane.not_in(UNIT_LANES), or_(false(), *by_role))
    if _leader_only(actor, "supervisor"):
        leader = select(Unit.leader_id).where(Unit.id == Assignment.unit_id).scalar_subquery()
        lane_roles = and_(
            lane_roles,
            or_(WorkItem.lane != "supervisor", leader.is_(None), leader == actor.id),
        )
    return or_(lane_roles, _unit_clause(actor))


def _unit_clause(actor: User) -> ColumnElement[bool]:
    if not actor.roles.intersection(UNIT_ROLES):
        return false()
    mine = and_(WorkItem.lane.in_(UNIT_LANES), WorkItem.unit == actor.unit.code)
    if "unit_head" in actor.roles:
        return mine
    free = Assignment.assignee_id.is_(None)
    drafting = or_(
        Assignment.assignee_id == actor.id, free if actor.unit.any_officer_drafts else false()
    )
    own_work = or_(free, Assignment.assignee_id == actor.id)
    by_form = or_(
        WorkItem.lane != "unit",
        and_(WorkItem.form.in_(DRAFT_FORMS), drafting),
        and_(WorkItem.form.not_in(DRAFT_FORMS), own_work),
    )
    return and_(mine, WorkItem.lane != "unit_head", WorkItem.form.not_in(HEAD_FORMS), by_form)
