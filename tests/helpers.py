"""Helpers the tests share: finding work items, snapshots of what a command may touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.tables import ProcessInstance, WorkItem
from workflows.db import Database
from workflows.read import inbox as inboxes
from workflows.tables import Assignment, Event, Report


def items_for(
    db: Database, user_id: int, step: str | None = None, now: datetime | None = None
) -> list[inboxes.InboxItem]:
    """Every ready item in a user's inbox (all pages), seen at `now` (default: now)."""
    found: list[inboxes.InboxItem] = []
    page = 1
    while True:
        result = inboxes.inbox(db, user_id, now=now, step=step, page=page, per_page=200)
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


def projection_disagreements(db: Database) -> dict[int, tuple[set[str], set[str]]]:
    """Instances whose work-item rows differ from the READY user tasks of their saved state.

    Each state is deserialized by the engine's own serializer, bypassing its cache; the result
    maps an instance id to (work-item ids, READY task ids). Empty when everything agrees.
    """
    from engine.runtime import ready_user_tasks

    found: dict[int, tuple[set[str], set[str]]] = {}
    with db.reading() as session:
        instances = session.scalars(select(ProcessInstance.id)).all()
        for instance_id in instances:
            workflow = db.processes.store.restore_stored(session, instance_id)  # not the cache
            ready = {str(task.id) for task in ready_user_tasks(workflow)}
            query = select(WorkItem.id).where(WorkItem.instance_id == instance_id)
            rows = set(session.scalars(query))
            if rows != ready:
                found[instance_id] = (rows, ready)
    return found
