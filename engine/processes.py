"""The façade: start instances, complete user tasks, fire timers, persist state and projections."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import migration, models, runtime, trail
from engine.cache import WorkflowCache
from engine.errors import (
    ConcurrentUpdate,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidTaskData,
    MigrationRefused,
    ProcessError,
    TaskNoLongerReady,
    TaskNotFound,
)
from engine.sandbox import SandboxedScriptEngine, ScriptLimits
from engine.specs import SpecCache
from engine.tables import ProcessInstance, WorkItem, utcnow
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
from engine.validation import ModelRules, check_model


class ProcessEngine:
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
        self.workflows = WorkflowCache(cache_size)
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self._script_engine = SandboxedScriptEngine(
            script_limits, min_timer_seconds=self.limits.min_timer_seconds
        )

    # -- process models -------------------------------------------------------------------

    def save_model(
        self,
        session: Session,
        model_key: str,
        xml: bytes,
        *,
        author: str,
        comment: str = "",
        publish: bool = False,
        rules: ModelRules | None = None,
    ) -> ModelVersion:
        """Validate BPMN text (and the app's conventions) and store it as a new version.

        `rules` replaces the engine's default conventions for this save (e.g. forms added since).
        """
        rules = rules or self.model_rules
        if rules is not None:
            check_model(xml, rules, min_timer_seconds=self.limits.min_timer_seconds)
        return models.save_model(
            session, self.specs, model_key, xml, author=author, comment=comment, publish=publish
        )

    def publish_model(self, session: Session, version_id: int) -> ModelVersion:
        """Make a version the one new instances start on."""
        return models.publish_model(session, version_id)

    def published_model(self, session: Session, model_key: str) -> ModelVersion:
        """Return the published version of a model."""
        return models.published_model(session, model_key)

    def model_versions(self, session: Session, model_key: str) -> list[ModelVersion]:
        """List the versions of a model, newest first."""
        return models.model_versions(session, model_key)

    def model_xml(self, session: Session, version_id: int) -> bytes:
        """Return the BPMN text of a version."""
        return models.model_xml(session, version_id)

    def model_version(self, session: Session, version_id: int) -> ModelVersion:
        """Return one version by id."""
        return models.model_version(session, version_id)

    def instance_version(self, session: Session, instance_id: int) -> ModelVersion:
        """Return the version an instance runs on."""
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return models.model_version(session, row.model_version_id)

    # -- commands -------------------------------------------------------------------------

    def start(self, session: Session, model_key: str, data: Mapping[str, Any]) -> StepResult:
        """Start an instance of the published version of a model and run it to its first wait."""
        began = time.monotonic()
        version = models.published_model(session, model_key)
        parsed = models.parsed_version(session, self.specs, version.id)
        workflow = BpmnWorkflow(
            parsed.spec, parsed.subprocess_specs, script_engine=self._script_engine
        )
        workflow.data.update(_checked_data(data))
        row = ProcessInstance(model_version_id=version.id, state_json="{}", status="running")
        session.add(row)
        session.flush()
        fired = runtime.advance(workflow, row.id, self.rules, self.limits, began)
        return self._save(session, row, workflow, None, fired)

    def complete(
        self, session: Session, instance_id: int, task_id: str, data: Mapping[str, Any]
    ) -> StepResult:
        """Complete a READY user task with data, then advance the instance."""
        began = time.monotonic()
        checked = _checked_data(data)
        row, workflow = self._load_running(session, instance_id)
        task = _find_user_task(workflow, task_id)
        if not runtime.is_ready_user_task(task):
            raise TaskNoLongerReady(task_id, runtime.task_state_name(task))
        completed = self._describe_completed(task)
        runtime.run_user_task(task, checked)
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits, began)
        return self._save(session, row, workflow, completed, fired)

    def fire_due_timers(self, session: Session, instance_id: int) -> StepResult:
        """Fire every timer of the instance whose due time has passed, and advance it."""
        began = time.monotonic()
        row, workflow = self._load_running(session, instance_id)
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
        extra = _checked_data(changes)
        row, workflow = self._load_running(session, instance_id)
        targets = [
            task
            for task in runtime.ready_user_tasks(workflow)
            if runtime.as_text(runtime.lookup(task.data, self.rules.ref_path)) == ref
        ]
        if not targets:
            raise TaskNotFound(f"nothing of {ref} is waiting in process instance {instance_id}")
        for task in targets:
            runtime.rearm(workflow, task, key, extra)
        fired = runtime.advance(workflow, instance_id, self.rules, self.limits)
        return self._save(session, row, workflow, None, fired, refresh=True)

    def suspend(self, session: Session, instance_id: int) -> None:
        """Hold a running instance: its tasks cannot be completed and its timers do not fire.

        Timers that come due meanwhile keep their due time and fire once the instance resumes.
        """
        self._set_status(session, instance_id, "running", "suspended")

    def resume(self, session: Session, instance_id: int) -> None:
        """Let a suspended instance run again."""
        self._set_status(session, instance_id, "suspended", "running")

    def cancel(self, session: Session, instance_id: int) -> None:
        """Cancel a running or suspended instance: no task stays ready and no timer fires."""
        row, workflow = self._load(session, instance_id, lock=True)
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
        registry, checks = self._serializer.registry, []
        for instance_id in instance_ids:
            row, workflow = self._load(session, instance_id)
            current = models.model_version(session, row.model_version_id)
            reasons = migration.refusals(workflow, row.status, current, target, parsed, registry)
            self._return_unchanged(session, instance_id, workflow)
            if not reasons:  # move a throwaway copy: does the diagram run on the new version?
                reasons = migration.trial(
                    self._restore(row.state_json),
                    parsed,
                    registry,
                    self._reload,
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
        row, workflow = self._load(session, instance_id, lock=True)
        current = models.model_version(session, row.model_version_id)
        registry = self._serializer.registry
        reasons = migration.refusals(workflow, row.status, current, target, parsed, registry)
        if reasons:
            self._return_unchanged(session, instance_id, workflow)
            raise MigrationRefused(reasons)
        advance = partial(runtime.advance, instance_id=row.id, rules=self.rules, limits=self.limits)
        workflow, fired = migration.apply(workflow, parsed, registry, self._reload, advance)
        row.model_version_id = target.id
        return self._save(session, row, workflow, None, fired, refresh=True)

    # -- queries --------------------------------------------------------------------------

    def due_instances(self, session: Session, now: datetime, limit: int = 100) -> list[int]:
        """Return running instances with a timer due at or before now, most overdue first."""
        rows = session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        )
        return list(rows)

    def earliest_timer(self, session: Session) -> datetime | None:
        """Return the earliest `next_timer_at` of all running instances (an indexed lookup)."""
        return session.scalar(
            select(func.min(ProcessInstance.next_timer_at)).where(
                ProcessInstance.status == "running"
            )
        )

    def ready_tasks(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks of an instance from the projection."""
        rows = session.scalars(
            select(WorkItem)
            .where(WorkItem.instance_id == instance_id)
            .order_by(WorkItem.created_at)
        )
        return [_as_ready_task(row) for row in rows]

    def ready_tasks_in_state(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks the stored state holds (deserialized, not the projection).

        For consistency checks: the cache is bypassed and nothing is written. `created_at` is
        when the task became ready. A state that cannot be read raises ProcessError.
        """
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        try:
            workflow = self._restore(row.state_json)
        except Exception as exc:  # whatever is wrong with the stored JSON, say which instance
            message = f"the state of instance {instance_id} cannot be read: {exc}"
            raise ProcessError(message) from exc
        return [
            ReadyTask(
                id=str(task.id),
                instance_id=instance_id,
                created_at=datetime.fromtimestamp(task.last_state_change, UTC),
                **self._project(task),
            )
            for task in runtime.ready_user_tasks(workflow)
        ]

    def work_item(self, session: Session, task_id: str) -> ReadyTask | None:
        """Return a READY user task by id, or None when it is not (or no longer) ready."""
        row = session.get(WorkItem, task_id)
        return None if row is None else _as_ready_task(row)

    def waiting_timers(self, session: Session, instance_id: int) -> list[WaitingTimer]:
        """List the armed timers of an instance with their due times."""
        _, workflow = self._load(session, instance_id)
        timers = runtime.waiting_timers(workflow, instance_id, self.rules)
        self._return_unchanged(session, instance_id, workflow)
        return timers

    def instance_data(self, session: Session, instance_id: int) -> JsonDict:
        """Return a copy of the instance's process-level data."""
        _, workflow = self._load(session, instance_id)
        data = json.loads(json.dumps(workflow.data, default=str))
        self._return_unchanged(session, instance_id, workflow)
        return dict(data)

    def instances_to_migrate(self, session: Session, target_version_id: int) -> list[int]:
        """Return the unfinished instances of a version's model that run on another version."""
        return models.instances_elsewhere(session, target_version_id)

    def trail(self, session: Session, instance_id: int) -> InstanceTrail:
        """Return the elements an instance reached and the flows it took, for the diagram view."""
        row, workflow = self._load(session, instance_id)
        steps, flows, cancelled = trail.walk(workflow, self.rules)
        self._return_unchanged(session, instance_id, workflow)
        return InstanceTrail(instance_id, row.model_version_id, row.status, steps, flows, cancelled)

    def instance_status(self, session: Session, instance_id: int) -> str:
        """Return running, suspended, completed or cancelled."""
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return row.status

    # -- persistence ----------------------------------------------------------------------

    def lock_instance(self, session: Session, instance_id: int) -> bool:
        """Hold the instance's row until the transaction ends, so writers queue instead of racing.

        PostgreSQL takes a row lock (SELECT ... FOR UPDATE); SQLite already serializes writing
        transactions. The optimistic `version_id` check stays as the last line of defence.
        Return whether a lock was taken (False on SQLite).
        """
        if session.get_bind().dialect.name == "sqlite":
            return False
        found = session.execute(
            select(ProcessInstance.id).where(ProcessInstance.id == instance_id).with_for_update()
        ).first()
        if found is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return True

    def _load(
        self, session: Session, instance_id: int, lock: bool = False
    ) -> tuple[ProcessInstance, Any]:
        if lock:
            self.lock_instance(session, instance_id)
        row = session.get(ProcessInstance, instance_id, populate_existing=lock)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        workflow = self.workflows.checkout(instance_id, row.version_id)
        if workflow is None:
            workflow = self._restore(row.state_json)
        return row, workflow

    def _set_status(self, session: Session, instance_id: int, expected: str, status: str) -> None:
        self.lock_instance(session, instance_id)
        row = session.get(ProcessInstance, instance_id, populate_existing=True)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        if row.status != expected:
            raise InstanceNotRunning(instance_id, row.status)
        row.status, row.updated_at = status, utcnow()
        try:
            session.flush()
        except StaleDataError as exc:
            raise ConcurrentUpdate(f"process instance {instance_id} was changed meanwhile") from exc

    def _restore(self, state_json: str) -> Any:
        workflow = self._serializer.deserialize_json(state_json)
        workflow.script_engine = self._script_engine
        return workflow

    def _reload(self, workflow: Any) -> Any:
        return self._restore(self._serializer.serialize_json(workflow))

    def _load_running(self, session: Session, instance_id: int) -> tuple[ProcessInstance, Any]:
        row, workflow = self._load(session, instance_id, lock=True)
        if row.status != "running":
            raise InstanceNotRunning(instance_id, row.status)
        return row, workflow

    def _return_unchanged(self, session: Session, instance_id: int, workflow: Any) -> None:
        row = session.get(ProcessInstance, instance_id)
        if row is not None and not session.is_modified(row):
            self.workflows.checkin_on_commit(session, instance_id, row.version_id, workflow)

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
        instance_id = row.id
        timers = runtime.waiting_timers(workflow, instance_id, self.rules)
        row.state_json = self._serializer.serialize_json(workflow)
        row.status = status or runtime.status_of(workflow)
        row.next_timer_at = runtime.next_timer_at(timers) if row.status == "running" else None
        row.updated_at = utcnow()
        try:
            session.flush()
        except StaleDataError as exc:
            raise ConcurrentUpdate(f"process instance {instance_id} was changed meanwhile") from exc
        ready = self._sync_work_items(
            session, row.id, workflow if row.status == "running" else None, refresh
        )
        self.workflows.checkin_on_commit(session, row.id, row.version_id, workflow)
        return StepResult(
            instance_id=row.id,
            status=row.status,
            completed=completed,
            ready=tuple(ready),
            fired_timers=tuple(fired),
            next_timer_at=row.next_timer_at,
        )

    def _sync_work_items(
        self, session: Session, instance_id: int, workflow: Any, refresh: bool = False
    ) -> list[ReadyTask]:
        """Make the work-item rows of an instance match its READY user tasks.

        A READY task's projected fields do not change while it stays ready, so rows that remain
        are left alone: only finished tasks are deleted and newly ready ones inserted.
        """
        wanted = {}
        if workflow is not None:
            wanted = {
                str(task.id): self._project(task) for task in runtime.ready_user_tasks(workflow)
            }
        existing = dict(
            session.execute(
                select(WorkItem.id, WorkItem.created_at).where(WorkItem.instance_id == instance_id)
            ).all()
        )
        gone = [task_id for task_id in existing if task_id not in wanted]
        if refresh:  # values of tasks that stay ready changed: rewrite their rows too
            for task_id in existing.keys() & wanted.keys():
                session.execute(
                    update(WorkItem).where(WorkItem.id == task_id).values(**wanted[task_id])
                )
        if gone:
            session.execute(delete(WorkItem).where(WorkItem.id.in_(gone)))
        now = utcnow()
        new_rows = [
            {"id": task_id, "instance_id": instance_id, "created_at": now, **fields}
            for task_id, fields in wanted.items()
            if task_id not in existing
        ]
        if new_rows:
            session.execute(insert(WorkItem), new_rows)
        return [
            ReadyTask(
                id=task_id, instance_id=instance_id, created_at=existing.get(task_id, now), **fields
            )
            for task_id, fields in wanted.items()
        ]

    def _project(self, task: Any) -> dict[str, Any]:
        spec = task.task_spec
        return {
            "task_name": str(spec.bpmn_id),
            "title": runtime.title_of(spec)[:255],
            "form": runtime.properties_of(spec).get("form", "")[:64],
            "lane": spec.lane,
            "unit": runtime.unit_of(task, self.rules),
            "ref": runtime.as_text(runtime.lookup(task.data, self.rules.ref_path)),
            "assignee": runtime.as_text(runtime.lookup(task.data, self.rules.assignee_path)),
            "due_at": runtime.parse_instant(runtime.lookup(task.data, self.rules.due_path)),
        }

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


def _checked_data(data: Mapping[str, Any]) -> JsonDict:
    """Refuse task data that SpiffWorkflow could not serialize."""
    if not isinstance(data, Mapping):
        raise InvalidTaskData("task data must be a mapping of names to values")
    try:
        return dict(json.loads(json.dumps(dict(data))))
    except (TypeError, ValueError) as exc:
        raise InvalidTaskData(f"task data must be plain JSON values: {exc}") from exc


def _find_user_task(workflow: Any, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TypeError, KeyError, TaskNotFoundException):
        task = None
    if task is None or not task.task_spec.manual:
        raise TaskNotFound(f"no user task {task_id} in this process instance")
    return task


def _as_ready_task(row: WorkItem) -> ReadyTask:
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
    )
