"""An instance's state in parts: the top of the workflow, and one part per sub-process.

SpiffWorkflow serializes a workflow as one dictionary: its specs, its tasks, and every
sub-process (one per assignment, for a parallel multi-instance). Stored that way, each step of
one assignment rewrites all of them, so a step costs more the more assignments a directive has.
Here the dictionary is cut along the sub-processes:

* the top part: the workflow's own attributes and tasks, without its specs (they are the
  model version's, kept once per version) and without the tasks that carry a sub-process;
* one part per sub-process started at the top level, keyed by the id of the task that carries
  it: that task, the sub-process, and any sub-process nested inside it.

A step then writes only the parts it changed. `join` puts the parts back into the dictionary
SpiffWorkflow's serializer reads, so loading is exactly SpiffWorkflow's own restore.
Each part is stored as zlib-compressed JSON.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

TOP = ""  # the key of the top part
COMPRESSION = 6


@dataclass(frozen=True)
class Fingerprint:
    """What changes whenever anything of a part changes: its tasks' number and last change."""

    tasks: int
    last_change: float
    completed: bool = False


def part_keys(workflow: Any) -> dict[UUID, str]:
    """Map every sub-process (by the id of the task carrying it) to the part it belongs to."""
    keys: dict[UUID, str] = {}
    pending = dict(workflow.subprocesses)
    while pending:
        progressed = False
        for task_id in list(pending):
            if task_id in workflow.tasks:
                keys[task_id] = str(task_id)
            else:
                owner = next(
                    (k for k, s in workflow.subprocesses.items() if task_id in s.tasks), None
                )
                if owner not in keys:
                    continue
                keys[task_id] = keys[owner]
            del pending[task_id]
            progressed = True
        if not progressed:  # orphans: keep them in their own part rather than lose them
            keys.update({task_id: str(task_id) for task_id in pending})
            break
    return keys


def part_of_task(workflow: Any, task: Any, keys: Mapping[UUID, str]) -> str:
    """The part a task's state is stored in."""
    if task.workflow is workflow:
        return keys.get(task.id, TOP)
    return keys[task.workflow.parent_task_id]


def fingerprints(
    workflow: Any, keys: Mapping[UUID, str], only: Iterable[str] | None = None
) -> dict[str, Fingerprint]:
    """Each part's fingerprint (of the parts in `only`, when given)."""
    wanted = None if only is None else set(only)
    found: dict[str, list[float]] = {}
    done: dict[str, bool] = {}
    if wanted is None or TOP in wanted:
        tops = [t.last_state_change for i, t in workflow.tasks.items() if i not in keys]
        found[TOP] = tops
        done[TOP] = bool(workflow.completed)
    for task_id, sub in workflow.subprocesses.items():
        key = keys[task_id]
        if wanted is not None and key not in wanted:
            continue
        changes = found.setdefault(key, [])
        changes.extend(t.last_state_change for t in sub.tasks.values())
        if task_id in workflow.tasks:
            changes.append(workflow.tasks[task_id].last_state_change)
            done[key] = bool(sub.completed)
    return {
        key: Fingerprint(len(values), max(values, default=0.0), done.get(key, False))
        for key, values in found.items()
    }


def top_dict(registry: Any, workflow: Any, keys: Mapping[UUID, str]) -> dict[str, Any]:
    """The top part: the workflow's attributes and the tasks that carry no sub-process."""
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": {str(i): registry.convert(t) for i, t in workflow.tasks.items() if i not in keys},
        "root": str(workflow.task_tree.id),
        "bpmn_events": registry.convert(workflow.bpmn_events),
    }


def whole_dict(registry: Any, workflow: Any) -> dict[str, Any]:
    """An ended workflow in one piece: the top part holding every task and sub-process."""
    return {
        **top_dict(registry, workflow, {}),
        "subprocesses": {
            str(sub_id): registry.convert(sub) for sub_id, sub in workflow.subprocesses.items()
        },
    }


def part_dict(registry: Any, workflow: Any, key: str, keys: Mapping[UUID, str]) -> dict[str, Any]:
    """One sub-process's part: the task carrying it, it, and the sub-processes nested in it."""
    carrier = UUID(key)
    task = workflow.tasks.get(carrier)
    return {
        "task": registry.convert(task) if task is not None else None,
        "subprocesses": {
            str(sub_id): registry.convert(sub)
            for sub_id, sub in workflow.subprocesses.items()
            if keys[sub_id] == key
        },
    }


def join(
    top: Mapping[str, Any],
    parts: Iterable[Mapping[str, Any]],
    spec: Any,
    subprocess_specs: Any,
    version: str,
) -> dict[str, Any]:
    """The whole dictionary SpiffWorkflow's serializer restores, from the top and the parts."""
    tasks = dict(top["tasks"])
    subprocesses: dict[str, Any] = dict(top.get("subprocesses", {}))  # a compacted whole has them
    for part in parts:
        if part["task"] is not None:
            tasks[part["task"]["id"]] = part["task"]
        subprocesses.update(part["subprocesses"])
    return {
        **top,
        "tasks": tasks,
        "subprocesses": subprocesses,
        "spec": spec,
        "subprocess_specs": subprocess_specs,
        "serializer_version": version,
    }


def pack(value: Any, encoder: type[json.JSONEncoder]) -> bytes:
    """JSON, compressed."""
    return zlib.compress(json.dumps(value, cls=encoder).encode("utf-8"), COMPRESSION)


def unpack(blob: bytes) -> Any:
    """The value `pack` stored."""
    return json.loads(zlib.decompress(blob))
