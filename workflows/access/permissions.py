"""Who may see a directive, and who may act on a step: each rule written once.

The rule for acting has two forms that must agree, a Python check for one step and a SQL
condition for the inbox; `tests/workflows/test_who_may_act.py` holds them together over every
demo role and every kind of step, including after a hand-over.

A step in a lane that names a role (`supervisor`, `clerk`, `admin`, ...) is for the people
holding that role. A step in a unit lane (`unit`, the assignment's unit; `lead_unit`, the
task's lead unit) is for that unit: its head may do every step, its officers every step but
the ones that speak for the unit (report, contribute, acknowledge); when the head handed the
assignment to one person, the unit's own work (lane `unit`) is that person's (and the head's).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from engine import WorkItem
from workflows.errors import NotAssignedToUnit, RoleRequired
from workflows.messages import N_
from workflows.tables import Assignment, User

SEE_ALL_ROLES = ("supervisor", "clerk", "admin")
UNIT_LANES = frozenset({"unit", "lead_unit"})
UNIT_ROLES = ("unit_staff", "unit_head")
HEAD_FORMS = frozenset({"report", "contribute", "acknowledge"})  # the unit speaks through them


@dataclass(frozen=True)
class StepFacts:
    """What the rule looks at: the step's lane, unit and form, and to whom it was handed."""

    lane: str | None
    unit: str | None
    form: str
    handed_to: int | None = None


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


def check_may_act(actor: User, step: StepFacts) -> None:
    """Raise why the actor may not complete the step (RoleRequired, NotAssignedToUnit)."""
    if step.lane not in UNIT_LANES:
        role = step.lane or "admin"
        if role not in actor.roles:
            raise RoleRequired(role)
        return
    if actor.unit.code != step.unit:
        raise NotAssignedToUnit(N_("this step belongs to another unit"))
    head = "unit_head" in actor.roles
    if step.form in HEAD_FORMS and not head:
        raise RoleRequired("unit_head")
    if not head and not actor.roles.intersection(UNIT_ROLES):
        raise RoleRequired(*UNIT_ROLES)
    if not head and step.lane == "unit" and step.handed_to not in (None, actor.id):
        raise NotAssignedToUnit(N_("the head of the unit handed this work to someone else"))


def may_act(actor: User, step: StepFacts) -> bool:
    """Tell whether the actor may complete the step."""
    try:
        check_may_act(actor, step)
    except (RoleRequired, NotAssignedToUnit):
        return False
    return True


def may_act_clause(actor: User) -> ColumnElement[bool]:
    """The same rule as SQL over work items outer-joined to their assignment (the inbox)."""
    by_role = [WorkItem.lane == role for role in sorted(actor.roles)]
    lane_roles = and_(WorkItem.lane.not_in(UNIT_LANES), or_(false(), *by_role))
    return or_(lane_roles, _unit_clause(actor))


def _unit_clause(actor: User) -> ColumnElement[bool]:
    if not actor.roles.intersection(UNIT_ROLES):
        return false()
    mine = and_(WorkItem.lane.in_(UNIT_LANES), WorkItem.unit == actor.unit.code)
    if "unit_head" in actor.roles:
        return mine
    handed = or_(
        WorkItem.lane != "unit",
        Assignment.assignee_id.is_(None),
        Assignment.assignee_id == actor.id,
    )
    return and_(mine, WorkItem.form.not_in(HEAD_FORMS), handed)
