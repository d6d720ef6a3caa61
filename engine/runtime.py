"""Reading and advancing a live SpiffWorkflow workflow; the only module that touches its tasks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine import timers
from engine.errors import InvalidTaskData, ProcessError, TaskNotFound
from engine.types import EngineLimits, FiredTimer, JsonDict, ProjectionRules, WaitingTimer

NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def lookup(data: Mapping[str, Any], path: str | None) -> Any:
    """Follow a dotted path into task data; None when any part is missing."""
    if path is None:
        return None
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def as_text(value: Any) -> str | None:
    """Render a projected value as text, keeping None."""
    return None if value is None else str(value)


def parse_instant(value: Any) -> datetime | None:
    """Read an ISO-8601 instant from task data; naive values are taken as UTC."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def properties_of(task_spec: Any) -> dict[str, str]:
    """Return the spiffworkflow:properties of a task spec."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def title_of(task_spec: Any) -> str:
    """Return the human name of a task spec, falling back to its BPMN id."""
    return str(task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name)


def unit_of(task: Any, rules: ProjectionRules) -> str | None:
    """Return the unit a lane stands for in this task, by the projection rules."""
    lane = task.task_spec.lane
    return as_text(lookup(task.data, rules.unit_paths.get(lane))) if lane else None


def ready_user_tasks(workflow: Any, skip_subprocesses: bool = False) -> list[Any]:
    """Return every READY user (manual) task, sub-processes included unless skipped."""
    found = workflow.get_tasks(
        state=TaskState.READY, manual=True, skip_subprocesses=skip_subprocesses
    )
    return list(found)


def is_timer_event(task: Any) -> bool:
    """Tell whether a task is a catching timer event."""
    spec = task.task_spec
    return isinstance(spec, CatchingEvent) and isinstance(
        getattr(spec, "event_definition", None), TimerEventDefinition
    )


def attached_activity(task: Any) -> str | None:
    """Return the BPMN id of the activity a boundary event is attached to."""
    if not isinstance(task.task_spec, BoundaryEvent) or task.parent is None:
        return None
    for sibling in task.parent.children:
        if not isinstance(sibling.task_spec, BoundaryEvent):
            return str(sibling.task_spec.bpmn_id)
    return None


def timer_due_at(task: Any) -> datetime:
    """Return the due time of an armed timer event task."""
    details = task.task_spec.event_definition.details(task)
    value = details.value
    if isinstance(value, dict):  # a cycle with no firing left ends at its next update
        value = value.get("next")
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return parse_instant(value) or NEVER


def waiting_timer_tasks(workflow: Any) -> list[Any]:
    """The armed timer event tasks of a workflow, sub-processes included."""
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if task.state == TaskState.WAITING and is_timer_event(task)
    ]


def waiting_timer(task: Any, instance_id: int, rules: ProjectionRules) -> WaitingTimer:
    """Describe one armed timer event task."""
    return WaitingTimer(
        instance_id=instance_id,
        event_name=str(task.task_spec.bpmn_id),
        title=title_of(task.task_spec),
        properties=properties_of(task.task_spec),
        attached_to=attached_activity(task),
        ref=as_text(lookup(task.data, rules.ref_path)),
        due_at=timer_due_at(task),
    )


def waiting_timers(workflow: Any, instance_id: int, rules: ProjectionRules) -> list[WaitingTimer]:
    """List the armed timers of a workflow with their due times, earliest first."""
    timers = [waiting_timer(task, instance_id, rules) for task in waiting_timer_tasks(workflow)]
    return sorted(timers, key=lambda timer: timer.due_at)


def next_timer_at(timers: list[WaitingTimer]) -> datetime | None:
    """Return the earliest real due time (the year-9999 sentinel means never)."""
    due = [timer.due_at for timer in timers if timer.due_at < NEVER]
    return min(due) if due else None


def _fired(
    task: Any, instance_id: int, rules: ProjectionRules, due_at: datetime | None = None
) -> FiredTimer:
    due = due_at or task._get_internal_data("event_value")
    return FiredTimer(
        instance_id=instance_id,
        event_name=str(task.task_spec.bpmn_id),
        title=title_of(task.task_spec),
        properties=properties_of(task.task_spec),
        attached_to=attached_activity(task),
        ref=as_text(lookup(task.data, rules.ref_path)),
        unit=as_text(lookup(task.data, rules.unit_paths.get("unit", ""))),
        due_at=parse_instant(due) or datetime.now(UTC),
    )


def _process_error(exc: Exception, task: Any = None) -> ProcessError:
    spec = getattr(exc, "task_spec", None) or getattr(task, "task_spec", None)
    element = getattr(spec, "bpmn_id", None)
    return ProcessError(f"the process failed at {element or 'an element'}: {exc}", element)


def run_user_task(task: Any, data: Mapping[str, Any]) -> None:
    """Give a user task its data and complete it (its post-script runs here)."""
    task.set_data(**data)
    try:
        task.run()
    except Exception as exc:  # a failing post-script must not leave a half-completed task
        raise _process_error(exc, task) from exc


def advance(
    workflow: Any,
    instance_id: int,
    rules: ProjectionRules,
    limits: EngineLimits | None = None,
    started_at: float | None = None,
) -> list[FiredTimer]:
    """Fire due timers and run engine steps until only people or time can move the workflow.

    Every firing of a timer cycle is a fired timer of its own, due one period after the last.
    Between engine steps the call is checked against `limits` (started at `started_at`, a
    `time.monotonic()` value): past its wall-clock time or its number of timer firings it
    stops with a ProcessError, and the caller saves nothing.
    """
    budget = timers.StepBudget(limits or EngineLimits(), started_at)
    cycles = timers.CycleWatch(workflow)
    fired: list[FiredTimer] = []

    def after_step(task: Any) -> None:
        element = str(task.task_spec.bpmn_id)
        budget.check_time(element)
        if timers.is_cycle_firing(task):
            budget.count_firing(str(task.parent.task_spec.bpmn_id))
        elif is_timer_event(task) and not timers.is_cycle_timer(task):
            budget.count_firing(element)
            fired.append(_fired(task, instance_id, rules))

    try:
        budget.check_time()
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=after_step)
        for task, due in cycles.firings(workflow):
            fired.append(_fired(task, instance_id, rules, due))
            budget.check_total(len(fired), str(task.task_spec.bpmn_id))
    except timers.StepLimitExceeded as exc:
        raise ProcessError(str(exc), exc.element_id) from exc
    except Exception as exc:  # a failing diagram must never leave a half-advanced workflow
        raise _process_error(exc) from exc
    return fired


def rearm(workflow: Any, task: Any, key: str, changes: Mapping[str, Any]) -> None:
    """Give a ready task (and its boundary events) new values under `key`, re-arming timers."""
    value = {**(task.data.get(key) or {}), **changes}
    parent = task.parent
    if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
        parent.data = {**parent.data, key: value}  # the boundary events take their data from here
    try:
        workflow.reset_from_task_id(task.id, data={**task.data, key: value})
    except Exception as exc:  # a failed reset must not leave a half-changed workflow behind
        raise _process_error(exc, task) from exc


def status_of(workflow: Any) -> str:
    """Return 'completed' when the workflow has ended, else 'running'."""
    return "completed" if workflow.is_completed() else "running"


def task_state_name(task: Any) -> str:
    """Return the lower-case name of a task's state."""
    return str(TaskState.get_name(task.state)).lower()


def is_ready_user_task(task: Any) -> bool:
    """Tell whether a task is a user task a person can complete now."""
    return bool(task.task_spec.manual) and task.state == TaskState.READY


def checked_data(data: Mapping[str, Any]) -> JsonDict:
    """Refuse task data that SpiffWorkflow could not serialize."""
    if not isinstance(data, Mapping):
        raise InvalidTaskData("task data must be a mapping of names to values")
    try:
        return dict(json.loads(json.dumps(dict(data))))
    except (TypeError, ValueError) as exc:
        raise InvalidTaskData(f"task data must be plain JSON values: {exc}") from exc


def find_user_task(workflow: Any, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TypeError, KeyError, TaskNotFoundException):
        task = None
    if task is None or not task.task_spec.manual:
        raise TaskNotFound(f"no user task {task_id} in this process instance")
    return task


def may_end_its_process(spec: Any) -> bool:
    """Whether completing this user task can end its (sub-)process with no other user task
    between: the step that may close a multi-instance item, and so change the top."""
    seen: set[str] = set()
    todo = list(spec.outputs)
    while todo:
        following = todo.pop()
        if following.name in seen or getattr(following, "manual", False):
            continue
        if isinstance(following, BoundaryEvent):  # a timer's path, not this step's completion
            continue
        seen.add(following.name)
        if isinstance(following, EndEvent):
            return True
        todo.extend(following.outputs)
    return False


def user_task_spec(spec: Any, subprocess_specs: Mapping[str, Any], name: str) -> Any | None:
    """The spec of a user task by its BPMN id, in the process or any of its sub-processes."""
    for process in (spec, *subprocess_specs.values()):
        found = process.task_specs.get(name)
        if found is not None:
            return found
    return None
