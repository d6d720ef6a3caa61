"""Read-only questions to the stored instances: work items, timers, statuses, sizes.

They read the rows the store writes (`engine.store.instances`) and never a workflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import partition, projection
from engine.errors import InstanceNotFound
from engine.partition import TOP
from engine.tables import ProcessInstance, ProcessPart, WorkItem
from engine.types import ReadyTask

LIVE_STATUSES = ("running", "suspended")


def _row(session: Session, instance_id: int) -> ProcessInstance:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise InstanceNotFound(f"no process instance {instance_id}")
    return row


def work_item(session: Session, task_id: str) -> ReadyTask | None:
    """Return a READY user task by id from the projection, or None."""
    row = session.get(WorkItem, task_id)
    return None if row is None else projection.as_ready_task(row)


def work_items(session: Session, instance_id: int) -> list[ReadyTask]:
    """Return the READY user tasks of an instance from the projection."""
    rows = session.scalars(
        select(WorkItem).where(WorkItem.instance_id == instance_id).order_by(WorkItem.created_at)
    )
    return [projection.as_ready_task(row) for row in rows]


def next_timer(session: Session, instance_id: int) -> datetime | None:
    """The earliest waiting timer of an instance, its top and parts together."""
    row = _row(session, instance_id)
    if row.status != "running":
        return None
    parts = session.scalar(
        select(func.min(ProcessPart.next_timer_at)).where(ProcessPart.instance_id == instance_id)
    )
    return min((m for m in (row.next_timer_at, parts) if m is not None), default=None)


def due_parts(session: Session, instance_id: int, now: datetime) -> set[str]:
    """The parts of an instance (the top included) with a timer due at or before now."""
    parts = session.scalars(
        select(ProcessPart.key).where(
            ProcessPart.instance_id == instance_id, ProcessPart.next_timer_at <= now
        )
    )
    return {TOP, *parts}


def due_instances(
    session: Session, now: datetime, limit: int, skip: Iterable[int] = ()
) -> list[int]:
    """Return running instances with a timer due at or before now, most overdue first."""
    due = _due_moments(now).subquery()
    query = (
        select(due.c.instance_id)
        .join(ProcessInstance, ProcessInstance.id == due.c.instance_id)
        .where(ProcessInstance.status == "running")
        .group_by(due.c.instance_id)
        .order_by(func.min(due.c.at))
    )
    skipped = list(skip)
    if skipped:
        query = query.where(due.c.instance_id.not_in(skipped))
    return list(session.scalars(query.limit(limit)))


def earliest_timer(session: Session, skip: Iterable[int] = ()) -> datetime | None:
    """Return the earliest waiting timer of the running instances (indexed lookups)."""
    skipped = list(skip)
    tops = select(func.min(ProcessInstance.next_timer_at)).where(
        ProcessInstance.status == "running"
    )
    parts = (
        select(func.min(ProcessPart.next_timer_at))
        .join(ProcessInstance, ProcessInstance.id == ProcessPart.instance_id)
        .where(ProcessInstance.status == "running")
    )
    if skipped:
        tops = tops.where(ProcessInstance.id.not_in(skipped))
        parts = parts.where(ProcessPart.instance_id.not_in(skipped))
    moments = [session.scalar(tops), session.scalar(parts)]
    return min((m for m in moments if m is not None), default=None)


def statuses(session: Session) -> dict[int, str]:
    """Return every instance's status by id."""
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.status))
    return {instance_id: status for instance_id, status in rows}


def oversized(session: Session, max_bytes: int) -> list[tuple[int, int]]:
    """Return (instance id, stored bytes) of the instances whose state exceeds `max_bytes`."""
    parts = (
        select(
            ProcessPart.instance_id.label("instance_id"),
            func.sum(func.length(ProcessPart.state)).label("size"),
        )
        .group_by(ProcessPart.instance_id)
        .subquery()
    )
    size = func.length(ProcessInstance.state) + func.coalesce(parts.c.size, 0)
    rows = session.execute(
        select(ProcessInstance.id, size)
        .join(parts, parts.c.instance_id == ProcessInstance.id, isouter=True)
        .where(size > max_bytes)
        .order_by(ProcessInstance.id)
    )
    return [(instance_id, int(length)) for instance_id, length in rows]


def unfinished_per_version(session: Session) -> dict[int, int]:
    """Return how many running or suspended instances each model version has."""
    rows = session.execute(
        select(ProcessInstance.model_version_id, func.count())
        .where(ProcessInstance.status.in_(LIVE_STATUSES))
        .group_by(ProcessInstance.model_version_id)
    ).all()
    return {version_id: count for version_id, count in rows}


def stored_state(session: Session, instance_id: int) -> str:
    """Every stored byte of an instance's state and the versions, as one text."""
    row = session.get(ProcessInstance, instance_id, populate_existing=True)
    if row is None:
        raise InstanceNotFound(f"no process instance {instance_id}")
    parts = session.execute(
        select(ProcessPart.key, ProcessPart.version_id, ProcessPart.state)
        .where(ProcessPart.instance_id == instance_id)
        .order_by(ProcessPart.key)
    ).all()
    whole = {"top": partition.unpack(row.state) if row.state else None, "top@": row.version_id}
    whole.update({f"{key}@{ver}": partition.unpack(blob) for key, ver, blob in parts})
    return json.dumps(whole, sort_keys=True)


def _due_moments(now: datetime) -> Any:
    """(instance id, due time) of every top and part timer due at or before now."""
    tops = select(
        ProcessInstance.id.label("instance_id"), ProcessInstance.next_timer_at.label("at")
    ).where(ProcessInstance.next_timer_at <= now)
    parts = select(
        ProcessPart.instance_id.label("instance_id"), ProcessPart.next_timer_at.label("at")
    ).where(ProcessPart.next_timer_at <= now)
    return tops.union_all(parts)
