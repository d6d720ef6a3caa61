"""Engine steps confined to the parts of an instance a command can move.

SpiffWorkflow runs engine steps over every active sub-process of a workflow and refreshes
every waiting timer, so one assignment's step costs more the more assignments the directive
has. A step of one assignment can only move that assignment's sub-process (and, when it ends
it, the top of the workflow); a timer that falls due only moves its own sub-process. A
`FocusedWorkflow` with a `focus` (the parts, see `engine.partition`) runs exactly SpiffWorkflow
3.2's loop over those parts and the top only; sub-processes started meanwhile join the focus.
Without a focus it is SpiffWorkflow's workflow, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.partition import TOP, part_keys

Hook = Callable[[Any], None] | None


class FocusedWorkflow(BpmnWorkflow):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """A BpmnWorkflow whose engine steps can be confined to some parts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.focus: set[str] | None = None
        self.known: set[UUID] = set()
        self._keys: dict[UUID, str] = {}

    def focus_on(self, parts: set[str] | None) -> None:
        """Confine what follows to some parts (None: everything); new sub-processes join."""
        self.focus = None if parts is None else set(parts)
        self.known = set(self.subprocesses)
        self._keys = {}

    def part_keys(self) -> dict[UUID, str]:
        """`engine.partition.part_keys`, remembered while no sub-process comes or goes.

        A change that swaps sub-processes without changing their number (a reset) calls
        `forget_part_keys`.
        """
        if len(self._keys) != len(self.subprocesses):
            self._keys = part_keys(self)
        return self._keys

    def forget_part_keys(self) -> None:
        """Work the part keys out afresh next time."""
        self._keys = {}

    def timer_tasks(self, parts: set[str] | None = None) -> list[Any]:
        """The waiting timer events of some parts (the moving ones by default; None: all)."""
        keys = self.part_keys()
        wanted = self.moving_parts(keys) if parts is None else parts
        if wanted is None:
            return [t for t in self.event_manager.tasks.values() if _waiting_timer(t)]
        found = []
        if TOP in wanted:
            found = [t for i, t in self.tasks.items() if i not in keys and _waiting_timer(t)]
        for carrier, sub in self.subprocesses.items():
            if keys[carrier] in wanted:
                found += [t for t in sub.tasks.values() if _waiting_timer(t)]
        return found

    def moving_parts(self, keys: dict[UUID, str]) -> set[str] | None:
        """The parts that may have moved since `focus_on`: the focus, the top, new ones."""
        if self.focus is None:
            return None
        started = {keys[carrier] for carrier in self.subprocesses if carrier not in self.known}
        return {*self.focus, TOP, *started}

    def do_engine_steps(
        self, will_complete_task: Hook = None, did_complete_task: Hook = None
    ) -> None:
        """Run engine steps (in the focused parts only, when there is a focus)."""
        if self.focus is None:
            super().do_engine_steps(will_complete_task, did_complete_task)
            return
        while self._focused_pass(will_complete_task, did_complete_task):
            pass
        self.refresh_timers()

    def refresh_timers(self) -> None:
        """Let due timers fire (in the focused parts only, when there is a focus)."""
        if self.focus is None:
            super().refresh_timers()
            return
        for task in self.timer_tasks():
            task.task_spec._update(task)

    def focused_tasks(self, state: int, manual: bool | None = None) -> list[Any]:
        """Tasks in a state, in the focused parts only (all parts without a focus)."""
        if self.focus is None:
            return list(self.get_tasks(state=state, manual=manual))
        found = list(self.get_tasks(state=state, manual=manual, skip_subprocesses=True))
        keys = self.part_keys()
        moving = self.moving_parts(keys) or set()
        for task_id, sub in self.subprocesses.items():
            if keys[task_id] in moving:
                found += sub.get_tasks(state=state, manual=manual, skip_subprocesses=True)
        return found

    def _focused_pass(self, will: Hook, did: Hook) -> bool:
        """One pass of SpiffWorkflow 3.2's `_do_engine_steps`, over the focus."""
        keys = self.part_keys()
        moving = self.moving_parts(keys) or set()
        active = [
            sub
            for sub_id, sub in self.subprocesses.items()
            if not sub.completed and keys[sub_id] in moving
        ]
        for sub in sorted(active, key=lambda v: v.depth, reverse=True):
            while _run_ready(sub, will, did):
                pass
            if sub.parent_task_id is not None:
                task = self.get_task_from_id(sub.parent_task_id)
                task.task_spec._update(task)
        before = set(self.subprocesses)
        count = _run_ready(self, will, did)
        return count > 0 or set(self.subprocesses) != before


def _waiting_timer(task: Any) -> bool:
    """A timer (or multiple-event) catching event waiting to fire."""
    if task.state != TaskState.WAITING:
        return False
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, TimerEventDefinition | MultipleEventDefinition)


def _run_ready(workflow: Any, will: Hook, did: Hook) -> int:
    """Run a workflow's READY engine tasks (not those of its sub-processes); how many ran."""
    count = 0
    for task in workflow.get_tasks(state=TaskState.READY, skip_subprocesses=True):
        if not task.task_spec.manual:
            if will is not None:
                will(task)
            task.run()
            count += 1
            if did is not None:
                did(task)
    return count
