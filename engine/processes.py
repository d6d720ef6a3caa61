"""The façade: start instances, complete user tasks, fire timers, move and read instances.

It runs SpiffWorkflow; `engine.store` keeps the state (rows, cache, work-item projection).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import migration, models, multi_instance, runtime, trail
from engine.errors import (
    InstanceNotRunning,
    InvalidTaskData,
    MigrationRefused,
    TaskNoLongerReady,
    TaskNotFound,
)
from engine.focus import FocusedWorkflow
from engine.model_facade import ModelFacade
from engine.sandbox import SandboxedScriptEngine, ScriptLimits
from engine.specs import SpecCache
from engine.store import InstanceStore, queries
from engine.tables import ProcessInstance, utcnow
from engine.types import (
    CompletedTask,
    EngineLimits,
    FiredTimer,
    InstanceTrail,
    JsonDict,
    MigrationCheck,
    ModelVersion,
    ProjectionRules,
    ReadyTask,
    StepResult,
    WaitingTimer,
)
from engine.validation import ModelRules

MAX_REMEMBERED = 100_000  # steps whose "may end" is remembered (a migration keeps the steps)


class ProcessEngine(ModelFacade):
    """Runs process instances on SpiffWorkflow inside the caller's SQLAlchemy session.

    Nothing here commits: every method works inside the caller's transaction, so a use case
    that completes a task, writes its own rows and commits once lands entirely or not at all.
    """

    def __init__(
        self,
        rules: ProjectionRules | None = None,
        cache_size: int = 256,
        model_rules: ModelRules | None = None,
        script_limits: ScriptLimits | None = None,
        limits: EngineLimits | None = None,
    ) -> None:
        self.rules = rules or ProjectionRules()
        self.limits = limits or EngineLimits()
        self.model_rules = model_rules
        self.specs = SpecCache()
        self._script_engine = SandboxedScriptEngine(
            script_limits, min_timer_seconds=self.limits.min_timer_seconds
        )
        self.store = InstanceStore(self._script_engine, self.rules, cache_size, self.specs)
        self._ends: dict[tuple[int, str], bool] = {}  # (instance, step): may end its item

    def instance_version(self, session: Session, instance_id: int) -> ModelVersion:
        """Return the version an instance runs on."""
        return models.model_version(session, self.store.row(session, instance_id).model_version_id)

    # -- commands -------------------------------------------------------------------------

    def start(self, session: Session, model_key: str, data: Mapping[str, Any]) -> StepResult:
        """Start an instance of the published version of a model and run it to its first wait."""
        began = time.monotonic()
        version = models.published_model(session, model_key)
        parsed = models.parsed_version(session, self.specs, version.id)
        workflow = FocusedWorkflow(
            parsed.spec, parsed.subprocess_specs, script_engine=self._script_engine
        )
        workflow.data.update(runtime.checked_data(data))
        row = self.store.create(session, version.id)
        fired = runtime.advance(workflow, row.id, self.rules, self.limits, began)
        return self._save(session, row, workflow, None, fired)

    def complete(
        self,
        session: Session,
        instance_id: int,
        task_id: str,
        data: Mapping[str, Any],
        part: str | None = None,
    ) -> StepResult:
        """Complete a READY user task with data, then advance the instance.

        `part` is the task's stored part when the caller read its work item (saves a query).
        """
        began = time.monotonic()
        checked = runtime.checked_data(data)
        if part is None:
            part = self.store.part_of_work_item(session, task_id)
        row, workflow = self.store.load_running(session, instance_id, part)
        task = runtime.find_user_task(workflow, task_id)
        if not runtime.is_ready_user_task(task):
            raise TaskNoLongerReady(task_id, runtime.task_state_name(task))
        if part is not None:  # only this task's part (and the top) can move
            workflow.focus_on({part})
        completed = self._describe_completed(task)
        runtime.run_user_task(task, checked)
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits, began)
        return self._save(session, row, workflow, completed, fired)

    def fire_due_timers(self, session: Session, instance_id: int) -> StepResult:
        """Fire every timer of the instance whose due time has passed, and advance it."""
        began = time.monotonic()
        row, workflow = self.store.load_running(session, instance_id)
        workflow.focus_on(queries.due_parts(session, instance_id, utcnow()))
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits, began)
        return self._save(session, row, workflow, None, fired)

    def retime(
        self, session: Session, instance_id: int, ref: str, changes: Mapping[str, Any]
    ) -> StepResult:
        """Change values under the reference's key in the ready tasks of `ref`; re-arm timers.

        With the default rules this gives an assignment a new `due_at`/`remind_at`: its ready
        step keeps its id, and its boundary timers (fired or not) are armed afresh from the new
        values, so a reminder and the overdue escalation follow an extended deadline.
        """
        if self.rules.ref_path is None or "." not in self.rules.ref_path:
            raise InvalidTaskData("the projection rules name no reference object to change")
        key = self.rules.ref_path.rsplit(".", 1)[0]
        extra = runtime.checked_data(changes)
        row, workflow = self.store.load_running(session, instance_id)
        workflow.focus_on(self.store.parts_of_ref(session, instance_id, ref))
        targets = [
            task
            for task in workflow.focused_tasks(TaskState.READY, manual=True)
            if runtime.as_text(runtime.lookup(task.data, self.rules.ref_path)) == ref
        ]
        if not targets:
            raise TaskNotFound(f"nothing of {ref} is waiting in process instance {instance_id}")
        for task in targets:
            runtime.rearm(workflow, task, key, extra)
        workflow.forget_part_keys()  # a reset may have replaced sub-processes
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits)
        return self._save(session, row, workflow, None, fired, refresh=True)

    def add_item(
        self, session: Session, instance_id: int, element_id: str, item: Mapping[str, Any]
    ) -> StepResult:
        """Add an item to a running parallel multi-instance: its instance starts at once.

        See `engine.multi_instance` for how; the element then waits for this instance too.
        """
        checked = runtime.checked_data(item)
        row, workflow = self.store.load_running(session, instance_id)
        multi_instance.add_item(workflow, element_id, checked)
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits)
        return self._save(session, row, workflow, None, fired, refresh=True)

    def withdraw_item(
        self, session: Session, instance_id: int, element_id: str, ref: str, output: JsonDict
    ) -> StepResult:
        """Withdraw the item `ref` (by the projection's reference) from a running multi-instance.

        Its steps and timers are cancelled and its instance ends with `output` as its output
        item, so the element completes when the others have; the item's trail stays.
        """
        if self.rules.ref_path is None:
            raise InvalidTaskData("the projection rules name no reference to find the item by")
        checked = runtime.checked_data(output)
        row, workflow = self.store.load_running(session, instance_id)
        multi_instance.withdraw_item(workflow, element_id, self.rules.ref_path, ref, checked)
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits)
        return self._save(session, row, workflow, None, fired, refresh=True)

    def suspend(self, session: Session, instance_id: int) -> None:
        """Hold a running instance: its tasks cannot be completed and its timers do not fire.

        Timers that come due meanwhile keep their due time and fire once the instance resumes.
        """
        self.store.set_status(session, instance_id, "running", "suspended")

    def resume(self, session: Session, instance_id: int) -> None:
        """Let a suspended instance run again."""
        self.store.set_status(session, instance_id, "suspended", "running")

    def cancel(self, session: Session, instance_id: int) -> None:
        """Cancel a running or suspended instance: no task stays ready and no timer fires."""
        row, workflow = self.store.load(session, instance_id, lock=True)
        if row.status not in ("running", "suspended"):
            raise InstanceNotRunning(instance_id, row.status)
        workflow.cancel()
        row.status = "cancelled"
        self._save(session, row, workflow, None, [], status="cancelled")

    def plan_migration(
        self, session: Session, instance_ids: Sequence[int], target_version_id: int
    ) -> list[MigrationCheck]:
        """Tell, for each instance, whether it can move to a version and why not (a dry run).

        The rule is spelled out in `engine.migration`. An instance the rule lets through is
        also moved on a throwaway copy, so a diagram that fails while moving is reported too.
        """
        target = models.model_version(session, target_version_id)
        parsed = models.parsed_version(session, self.specs, target.id)
        registry, checks = self.store.serializer.registry, []
        for instance_id in instance_ids:
            row, workflow = self.store.load(session, instance_id)
            current = models.model_version(session, row.model_version_id)
            reasons = migration.refusals(workflow, row.status, current, target, parsed, registry)
            self.store.give_back(session, instance_id, workflow)
            if not reasons:  # move a throwaway copy: does the diagram run on the new version?
                reasons = migration.trial(
                    self.store.restore_stored(session, instance_id),
                    parsed,
                    registry,
                    self.store.copy,
                    partial(
                        runtime.advance, instance_id=row.id, rules=self.rules, limits=self.limits
                    ),
                )
            checks.append(migration.check(instance_id, current, target, reasons))
        return checks

    def migrate(self, session: Session, instance_id: int, target_version_id: int) -> StepResult:
        """Move a running instance to another version of its model (MigrationRefused if not).

        Its ready steps are planned afresh on the new version and keep their ids; its work
        items are rewritten. Nothing is written when the move is refused or fails.
        """
        target = models.model_version(session, target_version_id)
        parsed = models.parsed_version(session, self.specs, target.id)
        row, workflow = self.store.load(session, instance_id, lock=True)
        current = models.model_version(session, row.model_version_id)
        registry = self.store.serializer.registry
        reasons = migration.refusals(workflow, row.status, current, target, parsed, registry)
        if reasons:
            self.store.give_back(session, instance_id, workflow)
            raise MigrationRefused(reasons)
        advance = partial(runtime.advance, instance_id=row.id, rules=self.rules, limits=self.limits)
        moved, fired = migration.apply(workflow, parsed, registry, self.store.copy, advance)
        moved.part_versions = workflow.part_versions  # the rows it is written over
        moved.focus_on(None)
        row.model_version_id = target.id
        return self._save(session, row, moved, None, fired, refresh=True)

    # -- queries --------------------------------------------------------------------------

    def due_instances(
        self, session: Session, now: datetime, limit: int = 100, skip: Iterable[int] = ()
    ) -> list[int]:
        """Return running instances with a timer due at or before now, most overdue first.

        Instances in `skip` (say, ones whose last firing failed and wait to be retried) are left
        out, so they never hold the others back.
        """
        return queries.due_instances(session, now, limit, skip)

    def earliest_timer(self, session: Session, skip: Iterable[int] = ()) -> datetime | None:
        """Return the earliest `next_timer_at` of all running instances (an indexed lookup)."""
        return queries.earliest_timer(session, skip)

    def ready_tasks(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks of an instance from the projection."""
        return queries.work_items(session, instance_id)

    def instance_statuses(self, session: Session) -> dict[int, str]:
        """Return the status of every instance by id."""
        return queries.statuses(session)

    def oversized_instances(self, session: Session, max_bytes: int) -> list[tuple[int, int]]:
        """Return (instance id, bytes) of the instances whose stored state exceeds a size."""
        return queries.oversized(session, max_bytes)

    def unfinished_per_version(self, session: Session) -> dict[int, int]:
        """Return how many running or suspended instances each model version has."""
        return queries.unfinished_per_version(session)

    def ready_tasks_in_state(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks the stored state holds (for consistency checks)."""
        return self.store.ready_in_state(session, instance_id)

    def work_item(self, session: Session, task_id: str) -> ReadyTask | None:
        """Return a READY user task by id, or None when it is not (or no longer) ready."""
        return queries.work_item(session, task_id)

    def waiting_timers(self, session: Session, instance_id: int) -> list[WaitingTimer]:
        """List the armed timers of an instance with their due times."""
        _, workflow = self.store.load(session, instance_id)
        timers = runtime.waiting_timers(workflow, instance_id, self.rules)
        self.store.give_back(session, instance_id, workflow)
        return timers

    def instance_data(self, session: Session, instance_id: int) -> JsonDict:
        """Return a copy of the instance's process-level data."""
        _, workflow = self.store.load(session, instance_id)
        data = json.loads(json.dumps(workflow.data, default=str))
        self.store.give_back(session, instance_id, workflow)
        return dict(data)

    def instances_to_migrate(self, session: Session, target_version_id: int) -> list[int]:
        """Return the unfinished instances of a version's model that run on another version."""
        return models.instances_elsewhere(session, target_version_id)

    def trail(self, session: Session, instance_id: int) -> InstanceTrail:
        """Return the elements an instance reached and the flows it took, for the diagram view."""
        row, workflow = self.store.load(session, instance_id)
        steps, flows, cancelled = trail.walk(workflow, self.rules)
        self.store.give_back(session, instance_id, workflow)
        return InstanceTrail(instance_id, row.model_version_id, row.status, steps, flows, cancelled)

    def next_timer(self, session: Session, instance_id: int) -> datetime | None:
        """Return the earliest waiting timer of an instance (None when it is not running)."""
        return queries.next_timer(session, instance_id)

    def instance_status(self, session: Session, instance_id: int) -> str:
        """Return running, suspended, completed or cancelled."""
        return self.store.row(session, instance_id).status

    # -- persistence ----------------------------------------------------------------------

    def lock_work_item(self, session: Session, item: ReadyTask) -> bool:
        """Hold the part of an instance a work item lives in until the transaction ends, and
        the top too when completing it may end its sub-process (the top then changes: holding
        it first makes such steps queue instead of failing each other's optimistic lock).

        Return False on SQLite (it has no row locks: writing transactions take turns).
        """
        if session.get_bind().dialect.name == "sqlite":
            return False
        if self._may_end(session, item):
            self.store.lock(session, item.instance_id)
        return self.store.lock(session, item.instance_id, item.part)

    def _may_end(self, session: Session, item: ReadyTask) -> bool:
        key = (item.instance_id, item.task_name)
        if key not in self._ends:
            version_id = self.store.row(session, item.instance_id).model_version_id
            model = models.parsed_version(session, self.specs, version_id)
            spec = runtime.user_task_spec(model.spec, model.subprocess_specs, item.task_name)
            if len(self._ends) >= MAX_REMEMBERED:
                self._ends.clear()
            self._ends[key] = spec is not None and runtime.may_end_its_process(spec)
        return self._ends[key]

    def _save(
        self,
        session: Session,
        row: ProcessInstance,
        workflow: Any,
        completed: CompletedTask | None,
        fired: list[FiredTimer],
        status: str | None = None,
        refresh: bool = False,
    ) -> StepResult:
        ready = self.store.save(session, row, workflow, status, refresh)
        return StepResult(
            instance_id=row.id,
            status=row.status,
            completed=completed,
            ready=tuple(ready),
            fired_timers=tuple(fired),
            next_timer_at=queries.next_timer(session, row.id),
        )

    def _describe_completed(self, task: Any) -> CompletedTask:
        spec = task.task_spec
        return CompletedTask(
            id=str(task.id),
            task_name=str(spec.bpmn_id),
            title=runtime.title_of(spec),
            form=runtime.properties_of(spec).get("form", ""),
            lane=spec.lane,
            ref=runtime.as_text(runtime.lookup(task.data, self.rules.ref_path)),
        )
