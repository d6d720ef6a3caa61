"""Who may see what: the read-side rule every query and download shares."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.tables import Assignment, User

SEE_ALL_ROLES = ("supervisor", "clerk", "admin")


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
