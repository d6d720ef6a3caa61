"""Driving instances of the reference diagram step by step, for the engine's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine, StepResult
from engine.store import stored_state
from engine.tables import ProcessInstance, WorkItem

FORM_DATA: dict[str, dict[str, Any]] = {
    "execute": {"execution_note": "đang làm"},
    "report": {"report_text": "đã xong", "report_signed": True},  # by the head: no sign-off
    "legal_review": {"accepted": True},
    "report_v2": {"report_text": "đã xong", "report_signed": True},
    "accept": {"accepted": True, "comment": ""},
    # without `contribute` (variants.without_contribute) the head's sign-off is still decided
    "coord_execute": {"execution_note": "đang làm", "contribution_signed": True},
    "contribute": {"contribution_text": "ý kiến", "contribution_signed": True},
    "acknowledge": {"acknowledged": True, "comment": ""},
}
LEAD_STEPS = ("execute", "report", "accept")
COORD_STEPS = ("coord_execute", "contribute", "acknowledge")
DUE = datetime(2100, 1, 1, tzinfo=UTC)


def assignment(number: int, role: str = "lead") -> dict[str, Any]:
    return {
        "assignment_id": number,
        "unit": f"U{number}",
        "role": role,
        "lead_unit": "U1",
        "task_no": 1,
        "due_at": (DUE + timedelta(days=number)).isoformat(),
        "remind_at": DUE.isoformat(),
    }


class Driver:
    """Starts instances and completes their steps, one committed transaction per call."""

    def __init__(self, sessions: sessionmaker[Session], processes: ProcessEngine) -> None:
        self.sessions = sessions
        self.processes = processes

    def start(self, *assignments: dict[str, Any]) -> int:
        with self.sessions() as session:
            started = self.processes.start(session, "directive", {"directive_id": 1})
            session.commit()
        if assignments:
            self.step(started.instance_id, "assign", None, {"assignments": list(assignments)})
        return started.instance_id

    def ready(self, instance_id: int) -> dict[tuple[str, str | None], Any]:
        with self.sessions() as session:
            return {
                (t.task_name, t.ref): t for t in self.processes.ready_tasks(session, instance_id)
            }

    def step(
        self, instance_id: int, name: str, ref: int | None, data: dict[str, Any] | None = None
    ) -> StepResult:
        task = self.ready(instance_id)[(name, None if ref is None else str(ref))]
        with self.sessions() as session:
            result = self.processes.complete(
                session, instance_id, task.id, FORM_DATA.get(name, {}) if data is None else data
            )
            session.commit()
            return result

    def walk(self, instance_id: int, ref: int, steps: tuple[str, ...]) -> None:
        for name in steps:
            self.step(instance_id, name, ref)

    def finish(self, instance_id: int) -> list[tuple[str, str | None]]:
        """Do every ready step until the instance ends; return the steps done, in order."""
        done: list[tuple[str, str | None]] = []
        while ready := self.ready(instance_id):
            name, ref = next(iter(ready))
            self.step(instance_id, name, None if ref is None else int(ref))
            done.append((name, ref))
        with self.sessions() as session:
            assert self.processes.instance_status(session, instance_id) == "completed"
        return done

    def plan(self, instance_ids: list[int], version_id: int) -> dict[int, Any]:
        with self.sessions() as session:
            checks = self.processes.plan_migration(session, instance_ids, version_id)
            session.commit()  # nothing to write: the loaded workflows go back to the cache
        return {check.instance_id: check for check in checks}

    def migrate(self, instance_id: int, version_id: int) -> StepResult:
        with self.sessions() as session:
            result = self.processes.migrate(session, instance_id, version_id)
            session.commit()
            return result

    def stored(self, instance_id: int) -> tuple[Any, ...]:
        with self.sessions() as session:
            row = session.get(ProcessInstance, instance_id)
            assert row is not None
            items = session.execute(
                select(WorkItem.id, WorkItem.task_name, WorkItem.title, WorkItem.lane)
                .where(WorkItem.instance_id == instance_id)
                .order_by(WorkItem.id)
            ).all()
            state = stored_state(session, instance_id)
            return row.model_version_id, row.version_id, state, tuple(items)
