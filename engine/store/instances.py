"""Instance rows and their workflows: loading, locking, saving, the cache, the projection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import models, partition, projection, runtime
from engine.cache import WorkflowCache
from engine.errors import InstanceNotFound, InstanceNotRunning, ProcessError
from engine.focus import FocusedWorkflow
from engine.partition import TOP, Fingerprint
from engine.specs import SpecCache
from engine.store import writes
from engine.store.refresh import brought_up_to_date
from engine.tables import ProcessInstance, ProcessPart, WorkItem, utcnow
from engine.types import ProjectionRules, ReadyTask

LIVE_STATUSES = ("running", "suspended")
Stamp = tuple[int, frozenset[tuple[str, int]]]


def focused_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer, knowing `FocusedWorkflow` as a BpmnWorkflow."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.typenames[FocusedWorkflow] = registry.typenames[BpmnWorkflow]
    return BpmnWorkflowSerializer(registry)


def _workflow_converter(serializer: BpmnWorkflowSerializer) -> Any:
    """The converter SpiffWorkflow registered for top workflows (its from_dict helpers)."""
    registry = serializer.registry
    restore = registry.convert_from_dict[registry.typenames[BpmnWorkflow]]
    return restore.args[0].__self__  # functools.partial(_obj_from_dict, converter.from_dict)


class InstanceStore:
    """Instance and part rows, the cache of live workflows and the projections."""

    def __init__(
        self, script_engine: Any, rules: ProjectionRules, cache_size: int, specs: SpecCache
    ) -> None:
        self.rules = rules
        self.specs = specs
        self.cache = WorkflowCache(cache_size)
        self.serializer = focused_serializer()
        self._converter = _workflow_converter(self.serializer)
        self.restored = 0  # workflows rebuilt from their stored parts (cache misses, copies)
        self.refreshed = 0  # cached workflows brought up to date part by part
        self._script_engine = script_engine

    # -- rows and workflows ----------------------------------------------------------------

    def create(self, session: Session, version_id: int) -> ProcessInstance:
        """Add the row of a new running instance (its state is written by `save`)."""
        row = ProcessInstance(model_version_id=version_id, state=b"", status="running")
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
        self, session: Session, instance_id: int, lock: bool = False, part: str | None = None
    ) -> tuple[ProcessInstance, Any]:
        """Return an instance's row and live workflow, from the cache when it is current.

        `lock` holds the instance (or only `part` of it) until the transaction ends.
        """
        if lock:
            self.lock(session, instance_id, part)
        row = self.row(session, instance_id, fresh=lock)
        versions = self._part_versions(session, instance_id)
        workflow = self._cached(session, row, versions) or self._restore(session, row, versions)
        workflow.focus_on(None)
        return row, workflow

    def load_running(
        self, session: Session, instance_id: int, part: str | None = None
    ) -> tuple[ProcessInstance, Any]:
        """Load a running instance for a command, holding it (or `part` of it)."""
        row, workflow = self.load(session, instance_id, lock=True, part=part)
        if row.status != "running":
            raise InstanceNotRunning(instance_id, row.status)
        return row, workflow

    def restore_stored(self, session: Session, instance_id: int) -> Any:
        """Rebuild an instance from its rows alone, bypassing the cache (for checks)."""
        row = self.row(session, instance_id)
        return self._restore(session, row, self._part_versions(session, instance_id))

    def copy(self, workflow: Any) -> Any:
        """Return a fresh copy of a workflow, as a save and a load would give it."""
        keys = workflow.part_keys()
        top, parts = self._dicts(workflow, keys, None)
        return self._rebuild(top, parts.values(), workflow.spec, workflow.subprocess_specs)

    def give_back(self, session: Session, instance_id: int, workflow: Any) -> None:
        """Return a workflow a read did not change to the cache at once."""
        row = session.get(ProcessInstance, instance_id)
        if row is not None and not session.is_modified(row):
            self.cache.checkin(instance_id, self._stamp(row, workflow), workflow)

    def lock(self, session: Session, instance_id: int, part: str | None = None) -> bool:
        """Hold an instance's row, or one of its parts, until the transaction ends.

        On PostgreSQL writers of the same part queue (SELECT ... FOR UPDATE) while writers of
        other parts of the same directive go on; SQLite already serializes writing
        transactions. The optimistic versions stay as the last line of defence. Return whether
        a lock was taken (False on SQLite).
        """
        if session.get_bind().dialect.name == "sqlite":
            return False
        if part:
            found = session.execute(
                select(ProcessPart.id)
                .where(ProcessPart.instance_id == instance_id, ProcessPart.key == part)
                .with_for_update()
            ).first()
            if found is not None:
                return True
        found = session.execute(
            select(ProcessInstance.id).where(ProcessInstance.id == instance_id).with_for_update()
        ).first()
        if found is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return True

    def parts_of_ref(self, session: Session, instance_id: int, ref: str) -> set[str]:
        """The parts holding the ready work items of a reference (an assignment)."""
        parts = session.scalars(
            select(WorkItem.part).where(WorkItem.instance_id == instance_id, WorkItem.ref == ref)
        )
        return set(parts)

    def part_of_work_item(self, session: Session, task_id: str) -> str | None:
        """The part a work item's task lives in, None when it is not ready."""
        return session.scalar(select(WorkItem.part).where(WorkItem.id == task_id))

    def set_status(self, session: Session, instance_id: int, expected: str, status: str) -> None:
        """Move an instance from one status to another, holding its row."""
        self.lock(session, instance_id)
        row = self.row(session, instance_id, fresh=True)
        if row.status != expected:
            raise InstanceNotRunning(instance_id, row.status)
        row.status, row.updated_at = status, utcnow()
        writes.flush(session, instance_id)

    # -- saving -----------------------------------------------------------------------------

    def save(
        self,
        session: Session,
        row: ProcessInstance,
        workflow: Any,
        status: str | None = None,
        refresh: bool = False,
    ) -> list[ReadyTask]:
        """Write what changed: the parts, the top and status, their work items and timers.

        Return the READY user tasks of the parts written. `refresh` rewrites the work items of
        those parts even when they stay ready (their values changed). A workflow without a
        focus is written whole.
        """
        keys = workflow.part_keys()
        prints = partition.fingerprints(workflow, keys, workflow.moving_parts(keys))
        dirty = self._dirty(workflow, prints, status)
        before = set(getattr(workflow, "part_versions", {}))
        new_status = status or runtime.status_of(workflow)
        if new_status in LIVE_STATUSES:
            top, parts = self._dicts(workflow, keys, dirty)
            self._write_parts(session, row.id, workflow, parts, set(keys.values()))
        else:
            top = self._compact(session, row.id, workflow)
        self._write_top(session, row, workflow, top, new_status, keys)
        synced = dirty | (before - set(keys.values()))  # parts written, and parts gone
        if new_status == "running":
            ready = projection.ready_by_part(workflow, keys, synced)
        else:  # nothing stays ready: every work item of the instance goes
            ready = {key: [] for key in {TOP, *before, *keys.values()}}
        result = projection.sync_work_items(session, row.id, ready, self.rules, refresh)
        workflow.prints = {**getattr(workflow, "prints", {}), **prints}
        self.cache.checkin_on_commit(session, row.id, self._stamp(row, workflow), workflow)
        workflow.focus_on(None)
        return result

    def _dirty(
        self, workflow: Any, prints: Mapping[str, Fingerprint], status: str | None
    ) -> set[str]:
        before: Mapping[str, Fingerprint] = getattr(workflow, "prints", {})
        if workflow.focus is None:
            return set(prints)
        dirty = {key for key, value in prints.items() if before.get(key) != value}
        ended = any(prints[k].completed and not before.get(k, prints[k]).completed for k in dirty)
        if ended or status is not None:
            dirty.add(TOP)  # a sub-process ended: the multi-instance above it took its output
        return dirty

    def _dicts(
        self, workflow: Any, keys: Mapping[UUID, str], dirty: set[str] | None
    ) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        registry = self.serializer.registry
        registry._encoder_mode = True  # convert lazily, as SpiffWorkflow's serialize_json does
        try:
            top = None
            if dirty is None or TOP in dirty:
                top = partition.top_dict(registry, workflow, keys)
            parts = {
                key: partition.part_dict(registry, workflow, key, keys)
                for key in set(keys.values())
                if dirty is None or key in dirty
            }
        finally:
            registry._encoder_mode = False
        return top, parts

    def _compact(self, session: Session, instance_id: int, workflow: Any) -> dict[str, Any]:
        """An ended instance is stored whole in its top row: its parts go (they never change
        again, and one compressed piece takes a third less room than many)."""
        registry = self.serializer.registry
        registry._encoder_mode = True
        try:
            whole = partition.whole_dict(registry, workflow)
        finally:
            registry._encoder_mode = False
        session.execute(delete(ProcessPart).where(ProcessPart.instance_id == instance_id))
        workflow.part_versions = {}
        return whole

    def _write_parts(
        self,
        session: Session,
        instance_id: int,
        workflow: Any,
        parts: Mapping[str, dict[str, Any]],
        live: set[str],
    ) -> None:
        versions: dict[str, int] = getattr(workflow, "part_versions", {})
        encoder = self.serializer._encoder_cls
        timers = projection.timers_by_part(
            workflow, workflow.part_keys(), parts, instance_id, self.rules
        )
        now = utcnow()
        for key, value in parts.items():
            values = {
                "state": partition.pack(value, encoder),
                "next_timer_at": projection.earliest(timers[key]),
                "updated_at": now,
            }
            versions[key] = writes.write_part(session, instance_id, key, versions.get(key), values)
        gone = [key for key in versions if key not in live]
        if gone:
            session.execute(
                delete(ProcessPart).where(
                    ProcessPart.instance_id == instance_id, ProcessPart.key.in_(gone)
                )
            )
            for key in gone:
                versions.pop(key)
        workflow.part_versions = versions

    def _write_top(
        self,
        session: Session,
        row: ProcessInstance,
        workflow: Any,
        top: dict[str, Any] | None,
        status: str,
        keys: Mapping[UUID, str],
    ) -> None:
        if top is None and status == row.status:
            return
        if top is not None:
            row.state = partition.pack(top, self.serializer._encoder_cls)
            timers = projection.timers_by_part(workflow, keys, [TOP], row.id, self.rules)
            row.next_timer_at = projection.earliest(timers[TOP])
        row.status = status
        if status != "running":
            row.next_timer_at = None
        row.updated_at = utcnow()
        writes.flush(session, row.id)

    # -- restoring ----------------------------------------------------------------------------

    def _restore(self, session: Session, row: ProcessInstance, versions: dict[str, int]) -> Any:
        model = models.parsed_version(session, self.specs, row.model_version_id)
        blobs = session.execute(
            select(ProcessPart.state).where(ProcessPart.instance_id == row.id)
        ).scalars()
        parts = [partition.unpack(blob) for blob in blobs]
        try:
            top = partition.unpack(row.state)
            workflow = self._rebuild(top, parts, model.spec, model.subprocess_specs)
        except Exception as exc:  # whatever is wrong with the stored state, say which instance
            raise ProcessError(f"the state of instance {row.id} cannot be read: {exc}") from exc
        workflow.part_versions = dict(versions)
        return workflow

    def _cached(self, session: Session, row: ProcessInstance, versions: dict[str, int]) -> Any:
        """The cached workflow, brought up to date when other processes changed some parts."""
        stamp = (row.version_id, frozenset(versions.items()))
        workflow, stale = self.cache.checkout_or_stale(row.id, stamp)
        if stale is None or not isinstance(stale[0], tuple):  # none, or not a stamp of ours
            return workflow
        entry = cast("tuple[Stamp, Any]", stale)  # the cache keeps what the store gave it
        workflow = brought_up_to_date(session, row, entry, versions, self._converter)
        self.refreshed += workflow is not None
        return workflow

    def _rebuild(self, top: Any, parts: Iterable[Any], spec: Any, subprocess_specs: Any) -> Any:
        """Rebuild a workflow from its parts, with the model's spec objects."""
        self.restored += 1
        whole = partition.join(top, parts, None, None, self.serializer.VERSION)
        workflow = self._from_dict(whole, spec, subprocess_specs)
        workflow.script_engine = self._script_engine
        workflow.prints = partition.fingerprints(workflow, workflow.part_keys())
        workflow.focus_on(None)
        return workflow

    def _from_dict(self, whole: dict[str, Any], spec: Any, subprocess_specs: Any) -> Any:
        """SpiffWorkflow's restore of a top workflow, given the parsed specs instead of dicts."""
        registry = self.serializer.registry
        whole.pop(self.serializer.VERSION_KEY, None)
        whole.pop("spec", None)
        whole.pop("subprocess_specs", None)
        converter = self._converter
        workflow = FocusedWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = converter.mapping_from_dict(whole["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(whole["root"]))
        converter.set_default_attributes(workflow, whole)
        converter.subprocesses_from_dict(whole["subprocesses"], workflow)
        workflow.bpmn_events = registry.restore(whole.pop("bpmn_events", []))
        return workflow

    def _part_versions(self, session: Session, instance_id: int) -> dict[str, int]:
        rows = session.execute(
            select(ProcessPart.key, ProcessPart.version_id).where(
                ProcessPart.instance_id == instance_id
            )
        )
        return {key: version for key, version in rows}

    def _stamp(self, row: ProcessInstance, workflow: Any) -> Stamp:
        versions: dict[str, int] = getattr(workflow, "part_versions", {})
        return row.version_id, frozenset(versions.items())

    # -- queries --------------------------------------------------------------------------

    def ready_in_state(self, session: Session, instance_id: int) -> list[ReadyTask]:
        """Return the READY user tasks the stored state holds (deserialized, not the projection).

        For consistency checks: the cache is bypassed and nothing is written. `created_at` is
        when the task became ready. A state that cannot be read raises ProcessError.
        """
        workflow = self.restore_stored(session, instance_id)
        keys = workflow.part_keys()
        ready = projection.ready_by_part(workflow, keys, {TOP, *keys.values()})
        return [
            ReadyTask(
                id=str(task.id),
                instance_id=instance_id,
                created_at=datetime.fromtimestamp(task.last_state_change, UTC),
                part=part,
                **projection.project(task, self.rules),
            )
            for part, tasks in ready.items()
            for task in tasks
        ]
