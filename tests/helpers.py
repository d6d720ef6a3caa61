"""Helpers the tests share: finding work items, snapshots of what a command may touch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from engine.tables import ProcessInstance, WorkItem
from workflows import inbox as inboxes
from workflows.db import Database
from workflows.models import Assignment, Event, Report


def items_for(db: Database, user_id: int, step: str | None = None) -> list[inboxes.InboxItem]:
    """Every ready item in a user's inbox (all pages)."""
    found: list[inboxes.InboxItem] = []
    page = 1
    while True:
        result = inboxes.inbox(db, user_id, step=step, page=page, per_page=200)
        found.extend(result.items)
        if len(found) >= result.total or not result.items:
            return found
        page += 1


def item_of(db: Database, user_id: int, step: str, task_no: int | None = None) -> inboxes.InboxItem:
    """The one ready item of a step (for a task) in a user's inbox."""
    matches = [i for i in items_for(db, user_id, step) if task_no in (None, i.task_no)]
    assert len(matches) == 1, f"expected one {step} item for task {task_no}, got {matches}"
    return matches[0]


@dataclass(frozen=True)
class Snapshot:
    """Everything a use case could change."""

    states: tuple[Any, ...]
    events: int
    reports: int
    work_items: tuple[str, ...]
    versions: tuple[Any, ...]


def snapshot(db: Database) -> Snapshot:
    """Take a snapshot to prove a refused command changed nothing."""
    with db.reading() as session:
        return Snapshot(
            states=tuple(
                session.execute(
                    select(Assignment.id, Assignment.state, Assignment.attempt).order_by(
                        Assignment.id
                    )
                ).all()
            ),
            events=session.scalar(select(func.count()).select_from(Event)) or 0,
            reports=session.scalar(select(func.count()).select_from(Report)) or 0,
            work_items=tuple(sorted(session.scalars(select(WorkItem.id)))),
            versions=tuple(
                session.execute(
                    select(ProcessInstance.id, ProcessInstance.version_id).order_by(
                        ProcessInstance.id
                    )
                ).all()
            ),
        )
