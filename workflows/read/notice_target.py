"""Where opening a notification leads: the step to do, the request to decide, or the directive."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import WorkItem
from workflows.access.permissions import may_act
from workflows.db import Database
from workflows.errors import NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.pipeline import step_facts
from workflows.tables import ExtensionRequest, Notification, User

STEP_KINDS = {
    "assigned": ("execute", "report", "contribute"),
    "reminder": ("execute", "report", "contribute"),
    "overdue": ("execute", "report", "contribute", "accept"),
    "returned": ("execute", "report"),
    "nudged": ("execute", "report", "contribute", "acknowledge"),
    "report_submitted": ("accept",),
    "extension_granted": ("execute", "report", "contribute"),
    "extension_refused": ("execute", "report", "contribute"),
}


@dataclass(frozen=True)
class NoticeTarget:
    """A page: `work` (a work item id), `extension` (a request id), `directive`, or `inbox`."""

    page: str
    key: str = ""
    assignment_id: int | None = None


def notice_target(db: Database, user_id: int, notification_id: int) -> NoticeTarget:
    """The page a notification of this user leads to (NotFound for someone else's)."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        notice = session.get(Notification, notification_id)
        if notice is None or notice.user_id != actor.id:
            raise NotFound(N_("no notification %(id)s", id=notification_id))
        if notice.assignment_id is not None:
            found = _step(session, db, actor, notice) or _extension(session, actor, notice)
            if found is not None:
                return found
        if notice.directive_id is not None:
            return NoticeTarget("directive", str(notice.directive_id), notice.assignment_id)
        return NoticeTarget("inbox")


def _step(session: Session, db: Database, actor: User, notice: Notification) -> NoticeTarget | None:
    forms = STEP_KINDS.get(notice.kind, ())
    item_ids = session.scalars(
        select(WorkItem.id).where(
            WorkItem.ref == str(notice.assignment_id), WorkItem.form.in_(forms)
        )
    )
    for item_id in item_ids:
        item = db.processes.work_item(session, item_id)
        if item is not None and may_act(actor, step_facts(session, item)):
            return NoticeTarget("work", item.id)
    return None


def _extension(session: Session, actor: User, notice: Notification) -> NoticeTarget | None:
    if notice.kind != "extension_requested" or "supervisor" not in actor.roles:
        return None
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.assignment_id == notice.assignment_id,
            ExtensionRequest.state == "pending",
        )
    )
    return NoticeTarget("extension", str(pending)) if pending is not None else None
