"""What inboxes and the scheduler read without a workflow: work items and timers, per part.

Each READY user task is a `WorkItem` row tagged with the part of the state it lives in (see
`engine.partition`); each part row carries its earliest waiting timer. A step rebuilds both for
the parts it changed only, so the rows of other assignments are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from engine import runtime
from engine.partition import TOP, part_of_task
from engine.tables import WorkItem, utcnow
from engine.types import ProjectionRules, ReadyTask, WaitingTimer


def project(task: Any, rules: ProjectionRules) -> dict[str, Any]:
    """Return the work-item fields of a READY user task."""
    spec = task.task_spec
    return {
        "task_name": str(spec.bpmn_id),
        "title": runtime.title_of(spec)[:255],
        "form": runtime.properties_of(spec).get("form", "")[:64],
        "lane": spec.lane,
        "unit": runtime.unit_of(task, rules),
        "ref": runtime.as_text(runtime.lookup(task.data, rules.ref_path)),
        "assignee": runtime.as_text(runtime.lookup(task.data, rules.assignee_path)),
        "due_at": runtime.parse_instant(runtime.lookup(task.data, rules.due_path)),
    }


def ready_by_part(
    workflow: Any, keys: Mapping[UUID, str], parts: Iterable[str]
) -> dict[str, list[Any]]:
    """The READY user tasks of some parts, by part."""
    wanted = set(parts)
    found: dict[str, list[Any]] = {key: [] for key in wanted}
    if TOP in wanted:
        found[TOP] = runtime.ready_user_tasks(workflow, skip_subprocesses=True)
    for carrier, sub in workflow.subprocesses.items():
        key = keys[carrier]
        if key in wanted:
            found[key] += runtime.ready_user_tasks(sub, skip_subprocesses=True)
    return found


def timers_by_part(
    workflow: Any,
    keys: Mapping[UUID, str],
    parts: Iterable[str],
    instance_id: int,
    rules: ProjectionRules,
) -> dict[str, list[WaitingTimer]]:
    """The armed timers of some parts, by part."""
    wanted = set(parts)
    found: dict[str, list[WaitingTimer]] = {key: [] for key in wanted}
    for task in workflow.timer_tasks(wanted):
        if runtime.is_timer_event(task):
            key = part_of_task(workflow, task, keys)
            found[key].append(runtime.waiting_timer(task, instance_id, rules))
    return found


def sync_work_items(
    session: Session,
    instance_id: int,
    ready: Mapping[str, list[Any]],
    rules: ProjectionRules,
    refresh: bool = False,
) -> list[ReadyTask]:
    """Make the work-item rows of some parts match their READY user tasks; return those.

    A READY task's projected fields do not change while it stays ready, so rows that remain are
    left alone (unless `refresh`): finished tasks are deleted, newly ready ones inserted.
    """
    wanted = {
        str(task.id): (part, project(task, rules))
        for part, tasks in ready.items()
        for task in tasks
    }
    existing = dict(
        session.execute(
            select(WorkItem.id, WorkItem.created_at).where(
                WorkItem.instance_id == instance_id, WorkItem.part.in_(list(ready))
            )
        ).all()
    )
    if refresh:
        for task_id in existing.keys() & wanted.keys():
            values = wanted[task_id][1]
            session.execute(update(WorkItem).where(WorkItem.id == task_id).values(**values))
    gone = [task_id for task_id in existing if task_id not in wanted]
    if gone:
        session.execute(delete(WorkItem).where(WorkItem.id.in_(gone)))
    now = utcnow()
    new_rows = [
        {"id": task_id, "instance_id": instance_id, "created_at": now, "part": part, **fields}
        for task_id, (part, fields) in wanted.items()
        if task_id not in existing
    ]
    if new_rows:
        session.execute(insert(WorkItem), new_rows)
    return [
        ReadyTask(
            id=i, instance_id=instance_id, created_at=existing.get(i, now), part=part, **fields
        )
        for i, (part, fields) in wanted.items()
    ]


def as_ready_task(row: WorkItem) -> ReadyTask:
    """Return a work-item row as the frozen value callers see."""
    return ReadyTask(
        id=row.id,
        instance_id=row.instance_id,
        task_name=row.task_name,
        title=row.title,
        form=row.form,
        lane=row.lane,
        unit=row.unit,
        ref=row.ref,
        assignee=row.assignee,
        due_at=row.due_at,
        created_at=row.created_at,
        part=row.part,
    )


def earliest(timers: Iterable[WaitingTimer]) -> datetime | None:
    """The earliest due time of some timers."""
    return runtime.next_timer_at(list(timers))
