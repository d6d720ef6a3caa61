"""The trail of an instance on its diagram: which elements it reached and which flows it took."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.types import ProjectionRules, TrailFlow, TrailStep

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
REACHED = frozenset({"completed", "active"})


def walk(
    workflow: Any, rules: ProjectionRules
) -> tuple[tuple[TrailStep, ...], tuple[TrailFlow, ...], tuple[TrailStep, ...]]:
    """Return the steps reached, the flows taken and the steps cancelled, sub-processes included."""
    steps: dict[TrailStep, None] = {}
    flows: dict[TrailFlow, None] = {}
    cancelled: dict[TrailStep, None] = {}
    for task in _all_tasks(workflow):
        if not task.task_spec.bpmn_id:
            continue  # spec-internal tasks (splits, joins, roots) are not on the diagram
        state = state_of(task)
        if state is None:
            continue
        step = _step(task, state, rules)
        (cancelled if state == "cancelled" else steps)[step] = None
        flow = _flow_into(task, step)
        if flow is not None and state in REACHED:
            flows[flow] = None
    return tuple(steps), tuple(flows), tuple(cancelled)


def _all_tasks(workflow: Any) -> list[Any]:
    """List the tasks of the workflow and of every sub-workflow it started.

    Sub-workflows are listed from the workflow's registry rather than through the task tree:
    cancelling a multi-instance activity drops its instances from the tree, not their trails.
    """
    return [
        task
        for sub in [workflow, *workflow.subprocesses.values()]
        for task in sub.get_tasks(skip_subprocesses=True)
    ]


def state_of(task: Any) -> str | None:
    """Say how the trail shows a task, or None when it does not (predicted, internal, error)."""
    if task.state == TaskState.COMPLETED:
        return "completed"
    if task.state == TaskState.CANCELLED:
        return "cancelled"
    if not task.state & OPEN:
        return None
    if runtime.is_timer_event(task):
        return "waiting_timer"
    spec = task.task_spec
    if spec.manual or isinstance(spec, (CatchingEvent, SubWorkflowTask, LoopTask)):
        return "active"
    return None  # e.g. a gateway waiting for its other branches


def _step(task: Any, state: str, rules: ProjectionRules) -> TrailStep:
    return TrailStep(
        element_id=str(task.task_spec.bpmn_id),
        state=state,
        ref=runtime.as_text(runtime.lookup(task.data, rules.ref_path)),
        unit=runtime.unit_of(task, rules),
        due_at=runtime.parse_instant(runtime.lookup(task.data, rules.due_path)),
        lane=task.task_spec.lane,
    )


def _flow_into(task: Any, step: TrailStep) -> TrailFlow | None:
    """Return the flow that led to a task: from the nearest ancestor that is on the diagram.

    A boundary event is attached to its activity rather than reached by a flow, and the
    instances of a multi-instance activity hang under the activity itself: neither is a flow.
    """
    if isinstance(task.task_spec, BoundaryEvent):
        return None
    parent = task.parent
    while parent is not None and not parent.task_spec.bpmn_id:
        parent = parent.parent
    if parent is None or _is_instance_of(task, parent):
        return None
    return TrailFlow(str(parent.task_spec.bpmn_id), step.element_id, step.ref)


def _is_instance_of(task: Any, parent: Any) -> bool:
    """Tell whether a task is one instance of a multi-instance activity (its parent)."""
    return (
        isinstance(parent.task_spec, LoopTask) and task.task_spec.name == parent.task_spec.task_spec
    )
