"""The engine adapter on the reference process: start, complete, persist, reload, timers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine import (
    ConcurrentUpdate,
    InstanceNotFound,
    InvalidTaskData,
    ProcessEngine,
    ProcessError,
    TaskNoLongerReady,
    TaskNotFound,
)
from engine.tables import ProcessInstance, WorkItem
from tests.engine.conftest import RULES


def assignment(
    number: int,
    unit: str,
    role: str = "lead",
    lead: str | None = None,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "assignment_id": number,
        "unit": unit,
        "role": role,
        "lead_unit": lead or unit,
        "task_no": 1,
        "due_at": due_at.isoformat() if due_at else None,
        "remind_at": remind_at.isoformat() if remind_at else None,
    }


def start_assigned(
    sessions: sessionmaker[Session], processes: ProcessEngine, assignments: list[dict[str, Any]]
) -> int:
    with sessions() as session:
        started = processes.start(session, "directive", {"directive_id": 1})
        (assign,) = started.ready
        processes.complete(session, started.instance_id, assign.id, {"assignments": assignments})
        session.commit()
        return started.instance_id


def ready(sessions: sessionmaker[Session], processes: ProcessEngine, instance_id: int):
    with sessions() as session:
        return {(t.task_name, t.unit): t for t in processes.ready_tasks(session, instance_id)}


def complete(sessions, processes, instance_id: int, task_id: str, data: dict[str, Any]):
    with sessions() as session:
        result = processes.complete(session, instance_id, task_id, data)
        session.commit()
        return result


def test_start_projects_the_assign_step_into_the_supervisor_lane(sessions, processes) -> None:
    with sessions() as session:
        started = processes.start(session, "directive", {"directive_id": 7})
        session.commit()
    (assign,) = started.ready
    assert (assign.task_name, assign.form, assign.lane, assign.unit) == (
        "assign",
        "assign",
        "supervisor",
        None,
    )
    assert started.status == "running"
    with sessions() as session:
        assert processes.work_item(session, assign.id) == assign
        assert processes.instance_data(session, started.instance_id) == {"directive_id": 7}


def test_assignments_become_unit_work_items_with_unit_ref_and_due(sessions, processes) -> None:
    due = datetime(2030, 1, 31, 17, tzinfo=UTC)
    instance = start_assigned(
        sessions,
        processes,
        [
            assignment(11, "KHTC", due_at=due),
            assignment(12, "VP", "coordinating", "KHTC"),
        ],
    )
    items = ready(sessions, processes, instance)
    assert set(items) == {("execute", "KHTC"), ("coord_execute", "VP")}
    lead = items[("execute", "KHTC")]
    assert (lead.lane, lead.ref, lead.due_at, lead.form) == ("unit", "11", due, "execute")
    assert items[("coord_execute", "VP")].due_at is None


def test_lead_path_with_return_loop_and_contribution_complete_the_instance(
    sessions, processes
) -> None:
    instance = start_assigned(
        sessions,
        processes,
        [
            assignment(1, "KHTC"),
            assignment(2, "VP", "coordinating", "KHTC"),
        ],
    )
    go = lambda name, unit, data: complete(  # noqa: E731 - a local shorthand reads better here
        sessions, processes, instance, ready(sessions, processes, instance)[(name, unit)].id, data
    )
    go("execute", "KHTC", {"execution_note": "bắt đầu"})
    go("report", "KHTC", {"report_text": "v1", "report_signed": False})  # an officer's draft
    sign_off = ready(sessions, processes, instance)[("sign_off", "KHTC")]
    assert (sign_off.lane, sign_off.form) == ("unit_head", "sign_off")
    go("sign_off", "KHTC", {"signed": False})  # the head sends it back to the officer
    go("report", "KHTC", {"report_text": "v1b", "report_signed": False})
    go("sign_off", "KHTC", {"signed": True})
    go("accept", None, {"accepted": False, "comment": "thiếu"})
    assert ("report", "KHTC") in ready(sessions, processes, instance)  # redo: straight to report
    go("report", "KHTC", {"report_text": "v2", "report_signed": True})  # the head's own
    go("accept", None, {"accepted": True, "comment": ""})
    go("coord_execute", "VP", {})
    go("contribute", "VP", {"contribution_text": "ý kiến", "contribution_signed": True})
    acknowledge = ready(sessions, processes, instance)[("acknowledge", "KHTC")]
    assert acknowledge.lane == "lead_unit"
    result = go("acknowledge", "KHTC", {"acknowledged": True, "comment": ""})
    assert result.status == "completed"
    assert result.ready == ()
    with sessions() as session:
        assert processes.ready_tasks(session, instance) == []
        results = processes.instance_data(session, instance)["results"]
    assert sorted(r["assignment_id"] for r in results) == [1, 2]


def test_completing_twice_raises_task_no_longer_ready(sessions, processes) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC")])
    execute = ready(sessions, processes, instance)[("execute", "KHTC")]
    complete(sessions, processes, instance, execute.id, {})
    with sessions() as session, pytest.raises(TaskNoLongerReady) as caught:
        processes.complete(session, instance, execute.id, {})
    assert caught.value.state == "completed"


@pytest.mark.parametrize("task_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000", ""])
def test_unknown_task_ids_raise_task_not_found(sessions, processes, task_id: str) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC")])
    with sessions() as session, pytest.raises(TaskNotFound):
        processes.complete(session, instance, task_id, {})


def test_unknown_instance_raises(sessions, processes) -> None:
    with sessions() as session, pytest.raises(InstanceNotFound):
        processes.complete(session, 999, "x", {})


@pytest.mark.parametrize("data", [{"when": datetime(2020, 1, 1)}, {"x": {1, 2}}, ["a"]])
def test_non_json_task_data_is_refused_and_nothing_changes(sessions, processes, data) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC")])
    execute = ready(sessions, processes, instance)[("execute", "KHTC")]
    with sessions() as session, pytest.raises(InvalidTaskData):
        processes.complete(session, instance, execute.id, data)
    assert ("execute", "KHTC") in ready(sessions, processes, instance)


def test_a_failing_gateway_saves_nothing(sessions, processes) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC")])
    for name in ("execute", "report"):
        task = ready(sessions, processes, instance)[(name, "KHTC")]
        complete(sessions, processes, instance, task.id, {"report_signed": True})
    accept = ready(sessions, processes, instance)[("accept", None)]
    with sessions() as session:
        version = session.get(ProcessInstance, instance).version_id
        with pytest.raises(ProcessError):  # the accepted_gw condition needs `accepted`
            processes.complete(session, instance, accept.id, {"comment": "no decision"})
        session.rollback()
    with sessions() as session:
        assert session.get(ProcessInstance, instance).version_id == version
    assert ready(sessions, processes, instance)[("accept", None)].id == accept.id
    result = complete(sessions, processes, instance, accept.id, {"accepted": True})
    assert result.status == "completed"


def test_reload_from_the_database_alone_continues_the_instance(sessions, processes) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC")])
    execute = ready(sessions, processes, instance)[("execute", "KHTC")]
    complete(sessions, processes, instance, execute.id, {"execution_note": "n"})
    # A new engine, as in a new process after a crash: no spec cache, no workflow cache.
    reborn = ProcessEngine(RULES, cache_size=0)
    report = ready(sessions, reborn, instance)[("report", "KHTC")]
    complete(sessions, reborn, instance, report.id, {"report_text": "r", "report_signed": True})
    accept = ready(sessions, reborn, instance)[("accept", None)]
    assert complete(sessions, reborn, instance, accept.id, {"accepted": True}).status == "completed"
    assert (reborn.store.cache.hits, reborn.store.cache.misses) == (0, 2)  # read back every step


def test_cache_serves_committed_versions_and_drops_rolled_back_work(sessions, processes) -> None:
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC"), assignment(2, "VP")])
    hits = processes.store.cache.hits
    items = ready(sessions, processes, instance)
    complete(sessions, processes, instance, items[("execute", "KHTC")].id, {})
    assert processes.store.cache.hits == hits + 1
    with sessions() as session:
        processes.complete(session, instance, items[("execute", "VP")].id, {})
        session.rollback()
    with sessions() as session:  # the rolled-back workflow is gone: reloaded, VP still ready
        misses = processes.store.cache.misses
        assert ("execute", "VP") in {
            (t.task_name, t.unit) for t in processes.ready_tasks(session, instance)
        }
        processes.complete(session, instance, items[("execute", "VP")].id, {})
        session.commit()
        assert processes.store.cache.misses == misses + 1


def test_a_concurrent_save_of_the_same_part_is_detected(sessions, processes) -> None:
    """Another writer commits the same assignment's part between our load and our save: the
    save is refused, not merged."""
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC"), assignment(2, "VP")])
    items = ready(sessions, processes, instance)
    slow = ProcessEngine(RULES, cache_size=0)

    def competitor(state: Any) -> None:
        if state.is_update and not done:  # our save is about to write: someone was faster
            done.append(True)
            complete(sessions, processes, instance, items[("execute", "KHTC")].id, {})

    done: list[bool] = []
    with sessions() as stale:
        event.listen(stale, "do_orm_execute", competitor)
        with pytest.raises(ConcurrentUpdate):
            slow.complete(stale, instance, items[("execute", "KHTC")].id, {"execution_note": "x"})
        stale.rollback()
    after = ready(sessions, processes, instance)
    assert ("report", "KHTC") in after
    assert ("execute", "VP") in after


def test_two_assignments_of_one_instance_save_at_the_same_time(sessions, processes) -> None:
    """Two units' steps saved between each other's load and save: both land, nothing lost."""
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC"), assignment(2, "VP")])
    items = ready(sessions, processes, instance)
    slow = ProcessEngine(RULES, cache_size=0)

    def competitor(state: Any) -> None:
        if state.is_update and not done:  # our save is about to write: another unit was faster
            done.append(True)
            complete(sessions, processes, instance, items[("execute", "KHTC")].id, {})

    done: list[bool] = []
    with sessions() as other:
        event.listen(other, "do_orm_execute", competitor)
        slow.complete(other, instance, items[("execute", "VP")].id, {})
        other.commit()
    assert done  # the other unit's step did land in between
    after = ready(sessions, ProcessEngine(RULES, cache_size=0), instance)
    assert ("report", "KHTC") in after
    assert ("report", "VP") in after
    assert ("execute", "KHTC") not in after
    assert ("execute", "VP") not in after


def test_timers_wait_with_due_times_and_fire_when_due(sessions, processes) -> None:
    now = datetime.now(UTC)
    remind, due = now + timedelta(seconds=1), now + timedelta(hours=2)
    instance = start_assigned(
        sessions,
        processes,
        [
            assignment(1, "KHTC", due_at=due, remind_at=remind),
            assignment(2, "VP"),
        ],
    )
    with sessions() as session:
        timers = processes.waiting_timers(session, instance)
        next_timer = processes.next_timer(session, instance)
        assert next_timer is not None
        assert abs((next_timer - remind).total_seconds()) < 0.001
        assert processes.due_instances(session, now) == []
    real = [(t.event_name, t.properties["notify"], t.ref) for t in timers if t.due_at.year < 9999]
    assert sorted(real) == [
        ("execute_overdue", "overdue", "1"),
        ("execute_reminder", "reminder", "1"),
    ]
    time.sleep(max(0.0, (remind - datetime.now(UTC)).total_seconds()) + 0.05)
    with sessions() as session:
        assert processes.due_instances(session, datetime.now(UTC)) == [instance]
        result = processes.fire_due_timers(session, instance)
        session.commit()
    (fired,) = result.fired_timers
    assert (fired.event_name, fired.attached_to, fired.ref, fired.unit) == (
        "execute_reminder",
        "execute",
        "1",
        "KHTC",
    )
    assert result.next_timer_at == due
    assert ("execute", "KHTC") in ready(sessions, processes, instance)  # non-interrupting


def test_a_step_reached_after_its_due_time_fires_at_once(sessions, processes) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    with sessions() as session:
        started = processes.start(session, "directive", {})
        result = processes.complete(
            session,
            started.instance_id,
            started.ready[0].id,
            {"assignments": [assignment(1, "KHTC", due_at=past, remind_at=past)]},
        )
        session.commit()
    assert sorted(t.properties["notify"] for t in result.fired_timers) == ["overdue", "reminder"]
    assert result.next_timer_at is None


def test_cancel_removes_work_items_and_timers(sessions, processes) -> None:
    due = datetime.now(UTC) + timedelta(days=1)
    instance = start_assigned(sessions, processes, [assignment(1, "KHTC", due_at=due)])
    with sessions() as session:
        processes.cancel(session, instance)
        session.commit()
    with sessions() as session:
        assert processes.instance_status(session, instance) == "cancelled"
        assert session.query(WorkItem).count() == 0
        assert processes.next_timer(session, instance) is None


def test_retime_moves_both_timers_of_one_assignment_and_keeps_the_task(sessions, processes):
    now = datetime.now(UTC)
    past, soon = now - timedelta(minutes=1), now + timedelta(hours=1)
    instance = start_assigned(
        sessions,
        processes,
        [
            assignment(1, "KHTC", due_at=soon, remind_at=past),
            assignment(2, "VP", due_at=soon, remind_at=past),
        ],
    )
    before = ready(sessions, processes, instance)
    later, remind = now + timedelta(hours=5), now + timedelta(hours=4)
    with sessions() as session:
        result = processes.retime(
            session, instance, "1", {"due_at": later.isoformat(), "remind_at": remind.isoformat()}
        )
        session.commit()
    assert result.fired_timers == ()
    after = ready(sessions, processes, instance)
    assert after[("execute", "KHTC")].id == before[("execute", "KHTC")].id
    assert after[("execute", "KHTC")].due_at == later
    assert after[("execute", "VP")].due_at == soon
    with sessions() as session:
        timers = {
            (t.ref, t.properties["notify"]): t.due_at
            for t in processes.waiting_timers(session, instance)
            if t.due_at.year < 9999
        }
    assert timers == {("1", "reminder"): remind, ("1", "overdue"): later, ("2", "overdue"): soon}
    with sessions() as session, pytest.raises(TaskNotFound):
        processes.retime(session, instance, "99", {"due_at": later.isoformat()})
    go = lambda name, unit, data: complete(  # noqa: E731 - a local shorthand reads better here
        sessions, processes, instance, ready(sessions, processes, instance)[(name, unit)].id, data
    )
    for unit in ("KHTC", "VP"):
        go("execute", unit, {})
        go("report", unit, {"report_text": "x", "report_signed": True})
    go("accept", None, {"accepted": True})
    result = go("accept", None, {"accepted": True})
    assert result.status == "completed"
    with sessions() as session:
        results = processes.instance_data(session, instance)["results"]
    assert sorted(r["assignment_id"] for r in results) == [1, 2]
