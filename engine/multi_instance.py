"""Growing and shrinking a running parallel multi-instance: one item more, or one withdrawn.

SpiffWorkflow 3.2 creates the instances of a parallel multi-instance when the element starts,
one per item of its input collection, and completes the element when every instance has
completed. Nothing in its API adds or removes one later, but the element's spec builds each
instance with `create_child(task, item, index)`, which works on a running element as well:
the new instance is planned like the first ones (its data, its pre-script, its sub-process).

Withdrawing an instance cancels what runs inside it and then completes the instance itself
with the output item the caller gives, so the element still counts every instance as done
and collects one output per item; a cancelled instance would keep the element waiting for ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.errors import InvalidTaskData, ProcessError, TaskNotFound


def running_element(workflow: Any, element_id: str) -> Any:
    """Return the running (started) parallel multi-instance task of a BPMN element."""
    for task in workflow.get_tasks(state=TaskState.STARTED):
        spec = task.task_spec
        if isinstance(spec, ParallelMultiInstanceTask) and spec.bpmn_id == element_id:
            return task
    raise TaskNotFound(f"no parallel multi-instance {element_id} is running")


def add_item(workflow: Any, element_id: str, item: Mapping[str, Any]) -> None:
    """Append an item to the element's input collection and start its instance."""
    element = running_element(workflow, element_id)
    spec = element.task_spec
    if spec.data_input is None:
        raise InvalidTaskData(f"{element_id} counts its instances; it has no collection to grow")
    items = spec.data_input.get(element)
    if not isinstance(items, list):
        raise InvalidTaskData(f"the collection of {element_id} is not a list")
    spec.data_input.set(element, [*items, dict(item)])  # a new list: task data is shared
    try:
        spec.create_child(element, dict(item), len(items))
    except Exception as exc:  # a failing pre-script must not leave a half-built instance
        raise ProcessError(f"the new instance of {element_id} failed: {exc}", element_id) from exc


def instance_of(workflow: Any, element_id: str, ref_path: str, ref: str) -> Any:
    """Return the unfinished instance of the element whose data holds `ref` at `ref_path`."""
    element = running_element(workflow, element_id)
    for child in element.children:
        if child.task_spec.name != element.task_spec.task_spec:
            continue
        if _ref_of(workflow, element, child, ref_path) != ref:
            continue
        if child.has_state(TaskState.FINISHED_MASK):
            raise TaskNotFound(f"the instance of {ref} in {element_id} has already finished")
        return child
    raise TaskNotFound(f"no instance of {ref} in {element_id}")


def _ref_of(workflow: Any, element: Any, child: Any, ref_path: str) -> str | None:
    """The reference of an instance: from its item in the collection, else from its data.

    An instance's own data may lose its item when a step inside it is reset (`retime`), so
    its place in the collection comes first.
    """
    spec = element.task_spec
    index = child.internal_data.get("key_or_index")
    items = spec.data_input.get(element) if spec.data_input is not None else None
    listed = isinstance(items, list) and isinstance(index, int) and 0 <= index < len(items)
    if spec.input_item is not None and listed:
        item = {spec.input_item.bpmn_id: items[index]}  # type: ignore[index]  # listed: a list
        return runtime.as_text(runtime.lookup(item, ref_path))
    inner = workflow.get_subprocess(child)
    for task in [child, *(inner.get_tasks() if inner is not None else ())]:
        found = runtime.as_text(runtime.lookup(task.data, ref_path))
        if found is not None:
            return found
    return None


def withdraw_item(
    workflow: Any, element_id: str, ref_path: str, ref: str, output: Mapping[str, Any]
) -> None:
    """Cancel the work inside one instance and complete it with `output` as its output item."""
    child = instance_of(workflow, element_id, ref_path, ref)
    spec = child.parent.task_spec
    if spec.output_item is None:
        raise InvalidTaskData(f"{element_id} has no output item to close an instance with")
    inner = workflow.get_subprocess(child)
    try:
        if inner is not None:
            workflow.cancel(inner)
        child.data = {**child.data, spec.output_item.bpmn_id: dict(output)}
        child._set_state(TaskState.READY)  # as SpiffWorkflow does when a sub-process ends
        child.run()
    except Exception as exc:  # a failing post-script must not leave a half-closed instance
        message = f"withdrawing {ref} from {element_id} failed: {exc}"
        raise ProcessError(message, element_id) from exc
