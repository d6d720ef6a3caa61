"""Bringing a cached workflow up to date with the parts other processes have changed since.

Several web processes share one database, each with its own cache of live workflows. When
another process completes a step of a directive, only that step's part (and sometimes the top)
has a new version; rebuilding the whole instance from every part would make each step cost more
the more assignments the directive has. Instead the stale parts are restored into the cached
workflow with SpiffWorkflow's own converters: the part's carrier task and its sub-processes are
replaced, and, when the top moved, the top's own tasks and attributes. The result is exactly the
stored state: every part whose version differs is read again, and the others are what was
stored under the same version. One thing is not read again: the data of a carrier task
whose part did not change. SpiffWorkflow gives a carrier its parent's data (plus its own
changes) when it restores it, so it differs between a live and a restored workflow in any
process, cached or not; nothing reads it once the carrier's sub-process has started (the
sub-process has its own copy, and the multi-instance takes only the output item).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import partition
from engine.partition import TOP
from engine.tables import ProcessInstance, ProcessPart

Versions = Mapping[str, int]
Stamp = tuple[int, frozenset[tuple[str, int]]]  # the top's version and each part's
MOST_STALE_SHARE = 0.5  # above this share of stale parts, a full restore is as cheap


def brought_up_to_date(
    session: Session,
    row: ProcessInstance,
    stale: tuple[Stamp, Any],
    versions: dict[str, int],
    converter: Any,
) -> Any | None:
    """The stale cached workflow with the parts that changed read again (None: restore it)."""
    (top_version, cached_versions), workflow = stale
    keys = stale_parts(dict(cached_versions), versions)
    if keys is None:
        return None
    top = partition.unpack(row.state) if top_version != row.version_id else None
    blobs = session.execute(
        select(ProcessPart.key, ProcessPart.state).where(
            ProcessPart.instance_id == row.id, ProcessPart.key.in_(keys)
        )
    )
    try:
        refresh(workflow, converter, top, {key: partition.unpack(blob) for key, blob in blobs})
    except Exception:  # noqa: BLE001 - whatever went wrong, a full restore is the answer
        return None
    workflow.part_versions = dict(versions)
    return workflow


def stale_parts(cached: Versions, current: Versions) -> set[str] | None:
    """The parts to read again, or None when only a full restore will do (a part has gone)."""
    if set(cached) - set(current):
        return None
    stale = {key for key, version in current.items() if cached.get(key) != version}
    if len(stale) > max(1, MOST_STALE_SHARE * len(current)):
        return None
    return stale


def refresh(
    workflow: Any,
    converter: Any,
    top: Mapping[str, Any] | None,
    parts: Mapping[str, Mapping[str, Any]],
) -> None:
    """Replace the stale parts (and the top, when given) of a live workflow with their dicts."""
    keys = workflow.part_keys()
    for key, part in parts.items():
        _replace_part(workflow, converter, key, part, keys)
    if top is not None:
        _replace_top(workflow, converter, top, keys)
    workflow.forget_part_keys()
    moved = set(parts) | ({TOP} if top is not None else set())
    fresh = partition.fingerprints(workflow, workflow.part_keys(), moved)
    workflow.prints = {**getattr(workflow, "prints", {}), **fresh}


def _replace_part(
    workflow: Any,
    converter: Any,
    key: str,
    part: Mapping[str, Any],
    keys: Mapping[UUID, str],
) -> None:
    for sub_id in [sub_id for sub_id, owner in keys.items() if owner == key]:
        sub = workflow.subprocesses.pop(sub_id, None)
        for task in sub.tasks.values() if sub is not None else ():
            workflow.event_manager.remove_task(task)
    carrier = part["task"]
    if carrier is not None:
        restored = converter.mapping_from_dict({carrier["id"]: carrier}, UUID, workflow=workflow)
        workflow.tasks.update(restored)
        if workflow.last_task is not None and workflow.last_task.id in restored:
            workflow.last_task = restored[workflow.last_task.id]
    converter.subprocesses_from_dict(dict(part["subprocesses"]), workflow)


def _replace_top(
    workflow: Any, converter: Any, top: Mapping[str, Any], keys: Mapping[UUID, str]
) -> None:
    for task_id in [task_id for task_id in workflow.tasks if task_id not in keys]:
        workflow.event_manager.remove_task(workflow.tasks.pop(task_id))
    workflow.tasks.update(converter.mapping_from_dict(top["tasks"], UUID, workflow=workflow))
    workflow.task_tree = workflow.tasks.get(UUID(top["root"]))
    converter.set_default_attributes(workflow, dict(top))
    workflow.bpmn_events = converter.registry.restore(list(top.get("bpmn_events", [])))
