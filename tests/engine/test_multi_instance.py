"""Adding an item to a running multi-instance and withdrawing one, saved and reloaded each step.

The engine here keeps no workflow in memory between calls (cache_size=0): every call reads
the instance back from its row, as after a restart, so each step proves the state survives
serialization.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine, TaskNotFound
from engine.store import stored_state
from engine.tables import ProcessPart
from tests.engine.conftest import RULES
from tests.engine.test_instances import assignment, complete, ready, start_assigned

WITHDRAWN = {"outcome": "withdrawn"}


@pytest.fixture
def cold(processes: ProcessEngine) -> ProcessEngine:
    """An engine that deserializes the instance for every call (the model is published)."""
    return ProcessEngine(RULES, cache_size=0)


def add(sessions: sessionmaker[Session], engine: ProcessEngine, instance: int, item: Any):
    with sessions() as session:
        result = engine.add_item(session, instance, "unit_work", item)
        session.commit()
        return result


def withdraw(sessions: sessionmaker[Session], engine: ProcessEngine, instance: int, ref: str):
    with sessions() as session:
        result = engine.withdraw_item(
            session, instance, "unit_work", ref, {**WITHDRAWN, "assignment_id": int(ref)}
        )
        session.commit()
        return result


def do(sessions, engine, instance: int, name: str, unit: str | None, data: dict[str, Any]):
    task = ready(sessions, engine, instance)[(name, unit)]
    return complete(sessions, engine, instance, task.id, data)


def results(sessions: sessionmaker[Session], instance: int) -> list[dict[str, Any]]:
    with sessions() as session:
        return list(ProcessEngine(RULES, cache_size=0).instance_data(session, instance)["results"])


def timer_refs(sessions: sessionmaker[Session], engine: ProcessEngine, instance: int) -> set[str]:
    with sessions() as session:
        return {t.ref or "" for t in engine.waiting_timers(session, instance)}


def test_an_added_item_gets_its_steps_and_timers_and_holds_the_end(sessions, cold) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    instance = start_assigned(sessions, cold, [assignment(1, "KHTC", due_at=due)])
    result = add(sessions, cold, instance, assignment(2, "QLKH", due_at=due + timedelta(days=1)))
    assert {(t.task_name, t.unit) for t in result.ready} == {
        ("execute", "KHTC"),
        ("execute", "QLKH"),
    }
    assert ready(sessions, cold, instance)[("execute", "QLKH")].due_at == due + timedelta(days=1)
    assert timer_refs(sessions, cold, instance) == {"1", "2"}
    for step, data in (("execute", {}), ("report", {"report_text": "x", "report_signed": True})):
        do(sessions, cold, instance, step, "KHTC", data)
    result = do(sessions, cold, instance, "accept", None, {"accepted": True})
    assert result.status == "running"  # the added unit is still at work
    coordinating = assignment(3, "VP", role="coordinating", lead="QLKH")
    add(sessions, cold, instance, coordinating)  # added while another has already finished
    assert set(ready(sessions, cold, instance)) == {("execute", "QLKH"), ("coord_execute", "VP")}
    for step, unit, data in (
        ("coord_execute", "VP", {}),
        ("contribute", "VP", {"contribution_text": "ý kiến", "contribution_signed": True}),
        ("acknowledge", "QLKH", {"acknowledged": True}),
        ("execute", "QLKH", {}),
        ("report", "QLKH", {"report_text": "y", "report_signed": True}),
    ):
        assert do(sessions, cold, instance, step, unit, data).status == "running"
    assert do(sessions, cold, instance, "accept", None, {"accepted": True}).status == "completed"
    assert sorted(r["assignment_id"] for r in results(sessions, instance)) == [1, 2, 3]


def test_a_withdrawn_item_leaves_every_inbox_and_the_rest_completes(sessions, cold) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    instance = start_assigned(
        sessions,
        cold,
        [
            assignment(1, "KHTC", due_at=due),
            assignment(2, "VP", role="coordinating", lead="KHTC", due_at=due),
            assignment(3, "TTR", due_at=due),
        ],
    )
    do(sessions, cold, instance, "coord_execute", "VP", {})
    result = withdraw(sessions, cold, instance, "2")
    assert {(t.task_name, t.unit) for t in result.ready} == {
        ("execute", "KHTC"),
        ("execute", "TTR"),
    }
    assert timer_refs(sessions, cold, instance) == {"1", "3"}
    with pytest.raises(TaskNotFound):
        withdraw(sessions, cold, instance, "2")  # already withdrawn: it has finished
    with pytest.raises(TaskNotFound):
        withdraw(sessions, cold, instance, "99")
    for unit in ("KHTC", "TTR"):
        do(sessions, cold, instance, "execute", unit, {})
        do(sessions, cold, instance, "report", unit, {"report_text": "x", "report_signed": True})
    do(sessions, cold, instance, "accept", None, {"accepted": True})
    assert do(sessions, cold, instance, "accept", None, {"accepted": True}).status == "completed"
    outcomes = {r["assignment_id"]: r.get("outcome") for r in results(sessions, instance)}
    assert outcomes == {1: "accepted", 2: "withdrawn", 3: "accepted"}


def test_withdrawing_the_last_open_item_completes_the_instance(sessions, cold) -> None:
    instance = start_assigned(sessions, cold, [assignment(1, "KHTC"), assignment(2, "TTR")])
    do(sessions, cold, instance, "execute", "KHTC", {})
    do(sessions, cold, instance, "report", "KHTC", {"report_text": "x", "report_signed": True})
    do(sessions, cold, instance, "accept", None, {"accepted": True})
    result = withdraw(sessions, cold, instance, "2")
    assert result.status == "completed"
    assert result.ready == ()
    assert result.next_timer_at is None


def test_an_added_item_can_be_withdrawn_again(sessions, cold) -> None:
    instance = start_assigned(sessions, cold, [assignment(1, "KHTC")])
    add(sessions, cold, instance, assignment(2, "QLCN"))
    assert ("execute", "QLCN") in ready(sessions, cold, instance)
    withdraw(sessions, cold, instance, "2")
    assert set(ready(sessions, cold, instance)) == {("execute", "KHTC")}


def test_nothing_to_grow_before_the_multi_instance_starts(sessions, cold) -> None:
    with sessions() as session:
        instance = cold.start(session, "directive", {"directive_id": 1}).instance_id
        session.commit()
    before = _state(sessions, instance)
    with pytest.raises(TaskNotFound):
        add(sessions, cold, instance, assignment(1, "KHTC"))
    with pytest.raises(TaskNotFound):
        withdraw(sessions, cold, instance, "1")
    assert _state(sessions, instance) == before


def _state(sessions: sessionmaker[Session], instance: int) -> str:
    with sessions() as session:
        return stored_state(session, instance)


def _parts(sessions: sessionmaker[Session], instance: int) -> int:
    with sessions() as session:
        count = select(func.count()).where(ProcessPart.instance_id == instance)
        return int(session.scalar(count) or 0)


def test_an_item_whose_step_was_retimed_can_be_withdrawn(sessions, cold) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    instance = start_assigned(
        sessions, cold, [assignment(1, "KHTC", due_at=due), assignment(2, "TTR", due_at=due)]
    )
    later = (due + timedelta(days=5)).isoformat()
    with sessions() as session:  # a reset inside the instance loses the item from its data
        cold.retime(session, instance, "1", {"due_at": later, "remind_at": later})
        session.commit()
    withdraw(sessions, cold, instance, "1")
    assert set(ready(sessions, cold, instance)) == {("execute", "TTR")}
    assert timer_refs(sessions, cold, instance) == {"2"}


def test_an_added_item_gets_its_own_stored_part_and_a_withdrawn_one_keeps_its_trail(
    sessions, cold
) -> None:
    """Under the parts store the new unit's work is a part of its own, read back from it."""
    instance = start_assigned(sessions, cold, [assignment(1, "KHTC"), assignment(2, "TTR")])
    before = _parts(sessions, instance)
    add(sessions, cold, instance, assignment(3, "QLCN"))
    assert _parts(sessions, instance) == before + 1
    withdraw(sessions, cold, instance, "2")
    assert _parts(sessions, instance) == before + 1
    assert set(ready(sessions, cold, instance)) == {("execute", "KHTC"), ("execute", "QLCN")}
