"""Where process instances live: loading, locking, saving, the cache and the work-item projection.

The façade (`engine.processes`) runs SpiffWorkflow; this store keeps its state. Every read and
write of workflow state goes through here, so a different storage (state per sub-process, a
compressed blob, another database) changes this module and no caller.

A workflow is checked out of the cache for one command at a time. A command that saved it
checks it back when its transaction commits; a read that changed nothing gives it back at
once, so reading a directive's page does not cost the next step a deserialization.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import runtime
from engine.cache import WorkflowCache
from engine.errors import ConcurrentUpdate, InstanceNotFound, InstanceNotRunning, ProcessError
from engine.tables import ProcessInstance, WorkItem, utcnow
from engine.types import ProjectionRules, ReadyTask

LIVE_STATUSES = ("running", "suspended")


class InstanceStore:
    """Instance rows, their serialized workflows, the cache of live ones and the projection."""

    def __init__(self, script_engine: Any, rules: ProjectionRules, cache_size: int) -> None:
        self.rules = rules
        self.cache = WorkflowCache(cache_size)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.restored = 0  # workflows deserialized from their JSON (cache misses and copies)
        self._script_engine = script_engine

    # -- rows and workflows ----------------------------------------------------------------

    def create(self, session: Session, version_id: int) -> ProcessInstance:
        """Add the row of a new running instance (its state is written by `save`)."""
        row = ProcessInstance(model_version_id=version_id, state_json="{}", status="running")
        session.add(row)
        session.flush()
        return row

    def row(self, session: Session, instance_id: int, fresh: bool = False) -> ProcessInstance:
        """Return an instance's row (re-read from the database when `fresh`)."""
        row = session.get(ProcessInstance, instance_id, populate_existing=fresh)
        if row is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return row

    def load(
        self, session: Session, instance_id: int, lock: bool = False
    ) -> tuple[ProcessInstance, Any]:
        """Return an instance's row and live workflow, from the cache when it is current."""
        if lock:
            self.lock(session, instance_id)
        row = self.row(session, instance_id, fresh=lock)
        workflow = self.cache.checkout(instance_id, row.version_id)
        return row, workflow if workflow is not None else self.restore(row.state_json)

    def load_running(self, session: Session, instance_id: int) -> tuple[ProcessInstance, Any]:
        """Load a running instance for a command, holding its row."""
        row, workflow = self.load(session, instance_id, lock=True)
        if row.status != "running":
            raise InstanceNotRunning(instance_id, row.status)
        return row, workflow

    def restore(self, state_json: str) -> Any:
        """Deserialize a workflow and give it the sandboxed script engine back."""
        self.restored += 1
        workflow = self.serializer.deserialize_json(state_json)
        workflow.script_engine = self._script_engine
        return workflow

    def reload(self, workflow: Any) -> Any:
        """Return a fresh copy of a workflow, as a save and a load would give it."""
        return self.restore(self.serializer.serialize_json(workflow))

    def give_back(self, session: Session, instance_id: int, workflow: Any) -> None:
        """Return a workflow a read did not change to the cache at once."""
        row = session.get(ProcessInstance, instance_id)
        if row is not None and not session.is_modified(row):
            self.cache.checkin(instance_id, row.version_id, workflow)

    def lock(self, session: Session, instance_id: int) -> bool:
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

    def set_status(self, session: Session, instance_id: int, expected: str, status: str) -> None:
        """Move an instance from one status to another, holding its row."""
        self.lock(session, instance_id)
        row = self.row(session, instance_id, fresh=True)
        if row.status != expected:
            raise InstanceNotRunning(instance_id, row.status)
        row.status, row.updated_at = status, utcnow()
        _flush(session, instance_id)

    def save(
        self,
        session: Session,
        row: ProcessInstance,
        workflow: Any,
        status: str | None = None,
        refresh: bool = False,
    ) -> list[ReadyTask]:
        """Write the workflow's state and timers, rebuild its work items; return the ready ones.

        `refresh` also rewrites work items that stay ready (their values changed).
        """
        timers = runtime.waiting_timers(workflow, row.id, self.rules)
        row.state_json = self.serializer.serialize_json(workflow)
        row.status = status or runtime.status_of(workflow)
        row.next_timer_at = runtime.next_timer_at(timers) if row.status == "running" else None
        row.updated_at = utcnow()
        _flush(session, row.id)
        live = workflow if row.status == "running" else None
        ready = self._sync_work_items(session, row.id, live, refresh)
        self.cache.checkin_on_commit(session, row.id, row.version_id, workflow)
        return ready

    # -- the work-item projection ---------------------------------------------------------

    def project(self, task: Any) -> dict[str, Any]:
        """Return the work-item fields of a READY user task."""
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

    def _sync_work_items(
        self, session: Session, instance_id: int, workflow: Any, refresh: bool
    ) -> list[ReadyTask]:
        """Make the work-item rows of an instance match its READY user tasks.

        A READY task's projected fields do not change while it stays ready, so rows that remain
        are left alone: only finished tasks are deleted and newly ready ones inserted.
        """
        wanted = {}
        if workflow is not None:
            wanted = {str(t.id): self.project(t) for t in runtime.ready_user_tasks(workflow)}
        existing = dict(
            session.execute(
                select(WorkItem.id, WorkItem.created_at).where(WorkItem.instance_id == instance_id)
            ).all()
        )
        if refresh:
            for task_id in existing.keys() & wanted.keys():
                values = wanted[task_id]
                session.execute(update(WorkItem).where(WorkItem.id == task_id).values(**values))
        gone = [task_id for task_id in existing if task_id not in wanted]
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
            ReadyTask(id=i, instance_id=instance_id, created_at=existing.get(i, now), **fields)
            for i, fields in wanted.items()
        ]

    # -- queries --------------------------------------------------------------------------

    def ready_in_state(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks the stored state holds (deserialized, not the projection).

        For consistency checks: the cache is bypassed and nothing is written. `created_at` is
        when the task became ready. A state that cannot be read raises ProcessError.
        """
        row = self.row(session, instance_id)
        try:
            workflow = self.restore(row.state_json)
        except Exception as exc:  # whatever is wrong with the stored JSON, say which instance
            message = f"the state of instance {instance_id} cannot be read: {exc}"
            raise ProcessError(message) from exc
        return [
            ReadyTask(
                id=str(task.id),
                instance_id=instance_id,
                created_at=datetime.fromtimestamp(task.last_state_change, UTC),
                **self.project(task),
            )
            for task in runtime.ready_user_tasks(workflow)
        ]

    def work_item(self, session: Session, task_id: str) -> ReadyTask | None:
        """Return a READY user task by id from the projection, or None."""
        row = session.get(WorkItem, task_id)
        return None if row is None else as_ready_task(row)

    def work_items(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks of an instance from the projection."""
        rows = session.scalars(
            select(WorkItem)
            .where(WorkItem.instance_id == instance_id)
            .order_by(WorkItem.created_at)
        )
        return [as_ready_task(row) for row in rows]

    def due_instances(
        self, session: Session, now: datetime, limit: int, skip: Iterable[int] = ()
    ) -> list[int]:
        """Return running instances with a timer due at or before now, most overdue first."""
        query = select(ProcessInstance.id).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now
        )
        skipped = list(skip)
        if skipped:
            query = query.where(ProcessInstance.id.not_in(skipped))
        return list(session.scalars(query.order_by(ProcessInstance.next_timer_at).limit(limit)))

    def earliest_timer(self, session: Session, skip: Iterable[int] = ()) -> datetime | None:
        """Return the earliest `next_timer_at` of the running instances (an indexed lookup)."""
        query = select(func.min(ProcessInstance.next_timer_at)).where(
            ProcessInstance.status == "running"
        )
        skipped = list(skip)
        if skipped:
            query = query.where(ProcessInstance.id.not_in(skipped))
        return session.scalar(query)

    def statuses(self, session: Session) -> dict[int, str]:
        """Return every instance's status by id."""
        rows = session.execute(select(ProcessInstance.id, ProcessInstance.status))
        return {instance_id: status for instance_id, status in rows}

    def oversized(self, session: Session, max_bytes: int) -> list[tuple[int, int]]:
        """Return (instance id, state size) of the instances whose state exceeds `max_bytes`."""
        size = func.length(ProcessInstance.state_json)
        rows = session.execute(
            select(ProcessInstance.id, size).where(size > max_bytes).order_by(ProcessInstance.id)
        )
        return [(instance_id, int(length)) for instance_id, length in rows]

    def unfinished_per_version(self, session: Session) -> dict[int, int]:
        """Return how many running or suspended instances each model version has."""
        rows = session.execute(
            select(ProcessInstance.model_version_id, func.count())
            .where(ProcessInstance.status.in_(LIVE_STATUSES))
            .group_by(ProcessInstance.model_version_id)
        ).all()
        return {version_id: count for version_id, count in rows}


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
    )


def _flush(session: Session, instance_id: int) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentUpdate(f"process instance {instance_id} was changed meanwhile") from exc
