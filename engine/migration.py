"""Moving a running instance to another version of its model, on SpiffWorkflow's diff and migrate.

SpiffWorkflow aligns the tasks of a workflow with the specs of the new version by BPMN id
(`diff_workflow`), then `migrate_workflow` swaps every aligned task onto its new spec and *resets*
the READY and WAITING tasks: their predicted continuation is dropped and predicted afresh from
the new version, so a step waiting at `report` goes through a `legal_review` inserted after it.
Nothing else is re-planned: a STARTED task (a running sub-process) keeps the way on it had
predicted, and a task whose spec disappeared keeps pointing at a spec the new version has not,
which the serializer could never restore. Hence the rule `refusals` checks:

An instance can move when
1. it is running, on another version of the same model, and the new version starts the same
   process and still has every sub-process the instance has started;
2. no task it has reached (READY, WAITING, STARTED, COMPLETED, CANCELLED, ERROR) has a spec that
   the new version removed; predicted tasks (FUTURE, LIKELY, MAYBE) may, but only when they
   follow a READY or WAITING task (they are predicted again);
3. no READY, WAITING or STARTED task changed in a way that matters: only its name,
   documentation and connections may differ (a waiting event may also get a new definition:
   it is armed again from it); a change of type, lane, properties (the form), scripts, data
   associations, multi-instance settings or called process refuses the move;
4. no task that is not re-planned (STARTED, or predicted beyond one) has new outgoing
   connections, because the instance would go on along the old ones.
Limits: matching is by BPMN id (with SpiffWorkflow's structural guess for renamed ids); an
instance that has *finished* a step the new version removed can never move; a re-planned
WAITING timer is armed again, so a duration timer starts counting anew (the reference
diagram's timers are dates taken from task data: they keep their due times), while a timer
that has already fired stays fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import MigrationRefused
from engine.specs import ParsedModel
from engine.types import FiredTimer, MigrationCheck, ModelVersion

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
REPLANNED = TaskState.READY | TaskState.WAITING  # what migrate_workflow resets by default
PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
HARMLESS = frozenset(
    {
        "name",
        "bpmn_id",
        "bpmn_name",
        "description",
        "documentation",
        "inputs",
        "outputs",
        "lookahead",
    }
)
LABELS = {
    "typename": "type",
    "lane": "lane",
    "manual": "manual",
    "prescript": "pre-script",
    "postscript": "post-script",
    "script": "script",
    "event_definition": "event definition",
    "cancel_activity": "interrupting",
    "io_specification": "data inputs/outputs",
    "data_input_associations": "data inputs",
    "data_output_associations": "data outputs",
    "spec": "called process",
    "task_spec": "multi-instance body",
}
INTERNAL_PARTS = {"BoundaryEventSplit": "boundary events", "BoundaryEventJoin": "boundary events"}


@dataclass(frozen=True)
class _Part:
    """The top workflow or one sub-workflow, with its diff against the target version."""

    workflow: Any
    spec_name: str
    new_spec: Any  # None (as the next two) when the target version lacks the sub-process
    spec_diff: Any
    diff: Any


def refusals(
    workflow: Any,
    status: str,
    current: ModelVersion,
    target: ModelVersion,
    parsed: ParsedModel,
    registry: Any,
) -> tuple[str, ...]:
    """Say why the instance cannot move to the target version; nothing when it can."""
    found = _instance_refusals(workflow, status, current, target, parsed)
    if not found:
        for part in _parts(workflow, parsed, registry):
            found += _part_refusals(part, target.number, registry)
    return tuple(dict.fromkeys(found))


def apply(
    workflow: Any,
    parsed: ParsedModel,
    registry: Any,
    reload: Callable[[Any], Any],
    advance: Callable[[Any], list[FiredTimer]],
) -> tuple[Any, list[FiredTimer]]:
    """Move a workflow onto the target's specs, reload and advance it; MigrationRefused on failure.

    The moved workflow is reloaded through the serializer before it runs again: SpiffWorkflow
    wires some spec events only when it creates tasks or restores specs (a multi-instance
    activity learns that an instance finished through one), and the moved tasks were created
    on the old specs. Return the reloaded workflow and the timers that fired.
    """
    try:
        _move(workflow, parsed, registry)
        moved = reload(workflow)
        return moved, advance(moved)
    except MigrationRefused:
        raise
    except Exception as exc:  # any failure while moving means the instance cannot move
        raise MigrationRefused([f"moving it fails: {exc}"]) from exc


def trial(
    copy: Any,
    parsed: ParsedModel,
    registry: Any,
    reload: Callable[[Any], Any],
    advance: Callable[[Any], list[FiredTimer]],
) -> tuple[str, ...]:
    """Move a throwaway copy of a workflow and store it nowhere; say why that fails, if it does."""
    try:
        moved, _ = apply(copy, parsed, registry, reload, advance)
        reload(moved)
    except MigrationRefused as exc:
        return exc.reasons
    except Exception as exc:  # a state that would not serialize must not be saved either
        return (f"the moved instance cannot be stored: {exc}",)
    return ()


def check(
    instance_id: int, current: ModelVersion, target: ModelVersion, reasons: tuple[str, ...]
) -> MigrationCheck:
    """Package the verdict on one instance."""
    return MigrationCheck(
        instance_id=instance_id,
        from_version_id=current.id,
        from_version=current.number,
        to_version_id=target.id,
        to_version=target.number,
        can_move=not reasons,
        reasons=reasons,
    )


def _instance_refusals(
    workflow: Any, status: str, current: ModelVersion, target: ModelVersion, parsed: ParsedModel
) -> list[str]:
    if status != "running":
        return [f"the instance is {status}"]
    if current.id == target.id:
        return [f"already on version {target.number}"]
    if current.model_key != target.model_key:
        return [f"the instance runs model '{current.model_key}', not '{target.model_key}'"]
    if workflow.spec.name != parsed.process_id:
        return [
            f"version {target.number} starts process '{parsed.process_id}', "
            f"not '{workflow.spec.name}'"
        ]
    return []


def _parts(workflow: Any, parsed: ParsedModel, registry: Any) -> list[_Part]:
    """Diff the top workflow and every sub-workflow against the target's specs."""
    spec_diffs: dict[int, Any] = {}  # sub-workflows of one spec share it: diff the spec once

    def part(sub: Any, new_spec: Any | None) -> _Part:
        if new_spec is None:
            return _Part(sub, sub.spec.name, None, None, None)
        key = id(sub.spec)
        if key not in spec_diffs:
            spec_diffs[key] = SpecDiff(registry, sub.spec, new_spec)
        spec_diff = spec_diffs[key]
        return _Part(sub, sub.spec.name, new_spec, spec_diff, WorkflowDiff(sub, spec_diff))

    return [part(workflow, parsed.spec)] + [
        part(sub, parsed.subprocess_specs.get(sub.spec.name))
        for sub in workflow.subprocesses.values()
    ]


def _part_refusals(part: _Part, number: int, registry: Any) -> list[str]:
    if part.diff is None:
        return [f"sub-process '{part.spec_name}' does not exist in version {number}"]
    replanned = _replanned(part.workflow)
    removed = sorted(part.diff.removed, key=lambda task: not task.task_spec.bpmn_id)
    found = [_removed_reason(task, replanned, number) for task in removed]
    for task in part.diff.changed:
        keys = part.spec_diff.changed[task.task_spec]
        new_spec = part.spec_diff.alignment[task.task_spec]
        found.append(_changed_reason(task, keys, new_spec, replanned, number, registry))
    return [reason for reason in found if reason]


def _replanned(workflow: Any) -> set[Any]:
    """Return the ids of the tasks migrate_workflow resets (READY/WAITING) and their descendants."""
    ids: set[Any] = set()
    for task in workflow.get_tasks(state=REPLANNED, skip_subprocesses=True):
        ids.update(descendant.id for descendant in task)
    return ids


def _removed_reason(task: Any, replanned: set[Any], number: int) -> str | None:
    if task.state & PREDICTED and task.id in replanned:
        return None
    step = _step(task)
    if not task.task_spec.bpmn_id:
        return f"{step} changed in version {number}"
    if task.state & PREDICTED:
        return f"the way on from a step in progress passes {step}, which version {number} removed"
    return f"{step} ({_state(task)}) does not exist in version {number}"


def _changed_reason(
    task: Any, keys: list[str], new_spec: Any, replanned: set[Any], number: int, registry: Any
) -> str | None:
    if task.state & TaskState.FINISHED_MASK:
        return None
    step = _step(task)
    if task.id not in replanned and "outputs" in keys:
        return (
            f"the way on from {step} ({_state(task)}) changed in version {number}; "
            "the instance would keep the old way"
        )
    if not task.state & ACTIVE:
        return None
    relevant = [key for key in keys if key not in HARMLESS]
    if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
        relevant = [key for key in relevant if key != "event_definition"]
    if not relevant:
        return None
    words = _change_words(registry.convert(task.task_spec), registry.convert(new_spec), relevant)
    return f"{step} ({_state(task)}) changed in version {number}: {', '.join(words)}"


def _change_words(old: dict[str, Any], new: dict[str, Any], keys: list[str]) -> list[str]:
    """Name each relevant change in a few words, with old and new values where they are short."""
    words: list[str] = []
    for key in keys:
        if key == "extensions":
            words += _property_words(old.get(key) or {}, new.get(key) or {})
        elif key in ("typename", "lane"):
            words.append(f"{LABELS[key]} {old.get(key)!r} → {new.get(key)!r}")
        else:
            words.append(LABELS.get(key, f"'{key}'"))
    return list(dict.fromkeys(words)) or ["its settings"]


def _property_words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = old.get("properties") or {}, new.get("properties") or {}
    words = [
        f"property '{name}' {before.get(name)!r} → {after.get(name)!r}"
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]
    others = {k for k in [*old, *new] if k != "properties" and old.get(k) != new.get(k)}
    scripts = {"preScript": "pre-script", "postScript": "post-script"}
    return words + [scripts.get(name, f"extension '{name}'") for name in sorted(others)]


def _step(task: Any) -> str:
    """Name a task's element for people: its BPMN id, or what an internal task belongs to."""
    spec = task.task_spec
    if spec.bpmn_id:
        return f"step '{spec.bpmn_id}'"
    owner, _, part = str(spec.name).rpartition(".")
    if owner and part in INTERNAL_PARTS:
        return f"the {INTERNAL_PARTS[part]} of step '{owner}'"
    return f"the internal step '{spec.name}'"


def _state(task: Any) -> str:
    return str(TaskState.get_name(task.state))


def _move(workflow: Any, parsed: ParsedModel, registry: Any) -> None:
    """Swap the workflow and its sub-workflows onto the target's specs (SpiffWorkflow migrate)."""
    parts = _parts(workflow, parsed, registry)  # every diff is taken before anything changes
    missing = [part.spec_name for part in parts if part.diff is None]
    if missing:
        raise MigrationRefused([f"sub-process '{missing[0]}' does not exist in the new version"])
    workflow.subprocess_specs = dict(parsed.subprocess_specs)
    for part in parts:
        migrate_workflow(part.diff, part.workflow, part.new_spec)
    _check_moved(workflow)


def _check_moved(workflow: Any) -> None:
    """Refuse when any task was left on a spec of the old version (it could not be restored)."""
    for sub in [workflow, *workflow.subprocesses.values()]:
        for task in sub.tasks.values():
            if sub.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                raise MigrationRefused(
                    [f"{_step(task)} ({_state(task)}) has no counterpart in the new version"]
                )
