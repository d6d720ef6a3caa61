"""The trail of an instance for the diagram view: elements reached, flows taken, read only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import InstanceNotFound, InstanceTrail, ProcessEngine
from tests.engine.driver import COORD_STEPS, LEAD_STEPS, Driver, assignment


@pytest.fixture
def driver(sessions: sessionmaker[Session], processes: ProcessEngine) -> Driver:
    return Driver(sessions, processes)


def trail_of(driver: Driver, instance_id: int) -> InstanceTrail:
    with driver.sessions() as session:
        found = driver.processes.trail(session, instance_id)
        session.commit()
        return found


def states(trail: InstanceTrail, ref: str | None) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for step in trail.steps:
        if step.ref == ref:
            found.setdefault(step.element_id, set()).add(step.state)
    return found


def flows(trail: InstanceTrail, ref: str | None) -> list[tuple[str, str]]:
    return [(flow.source, flow.target) for flow in trail.flows if flow.ref == ref]


def test_a_new_instance_waits_at_assign(driver: Driver) -> None:
    trail = trail_of(driver, driver.start())

    assert (trail.model_version_id, trail.status) == (1, "running")
    assert [(s.element_id, s.state, s.lane) for s in trail.steps] == [
        ("start", "completed", "supervisor"),
        ("assign", "active", "supervisor"),
    ]
    assert flows(trail, None) == [("start", "assign")]
    assert trail.cancelled == ()


@pytest.fixture
def midway(driver: Driver) -> int:
    """Assignment 1 accepted, 2 at report after one return, 3 (coordinating) at coord_execute."""
    instance_id = driver.start(assignment(1), assignment(2), assignment(3, "coordinating"))
    driver.walk(instance_id, 1, LEAD_STEPS)
    driver.walk(instance_id, 2, LEAD_STEPS[:2])
    driver.step(instance_id, "accept", 2, {"accepted": False, "comment": "thiếu số liệu"})
    return instance_id


def test_midway_each_assignment_shows_its_own_place(driver: Driver, midway: int) -> None:
    trail = trail_of(driver, midway)

    done, returned, coordinating = states(trail, "1"), states(trail, "2"), states(trail, "3")
    assert done["unit_work"] == {"completed"}
    assert done["lead_end"] == {"completed"}
    assert "active" not in set().union(*done.values())
    assert returned["report"] == {"completed", "active"}
    assert returned["report_overdue"] == {"waiting_timer"}
    assert returned["unit_work"] == {"active"}
    assert coordinating["coord_execute"] == {"active"}
    assert "contribute" not in coordinating  # predicted steps are not on the trail
    assert states(trail, None)["unit_work"] == {"active"}


def test_midway_flows_follow_each_assignment_and_its_return(driver: Driver, midway: int) -> None:
    trail = trail_of(driver, midway)

    assert flows(trail, None) == [("start", "assign"), ("assign", "unit_work")]
    assert ("cycle_gw", "lead_end") in flows(trail, "1")
    returned = flows(trail, "2")
    assert ("accepted_gw", "report_merge") in returned  # a redo starts at the report
    assert returned.count(("report_merge", "report")) == 1  # taken twice, listed once
    assert ("accepted_gw", "cycle_gw") not in returned
    assert not any(target.endswith(("_reminder", "_overdue")) for _, target in returned)
    assert flows(trail, "3")[-1] == ("coord_merge", "coord_execute")


def test_the_step_carries_unit_lane_and_due_time(driver: Driver, midway: int) -> None:
    trail = trail_of(driver, midway)

    (report,) = [
        s for s in trail.steps if (s.element_id, s.ref, s.state) == ("report", "2", "active")
    ]
    assert (report.unit, report.lane) == ("U2", "unit")
    assert report.due_at == datetime(2100, 1, 1, tzinfo=UTC) + timedelta(days=2)
    cancelled = {(s.element_id, s.ref) for s in trail.cancelled}
    assert ("execute_overdue", "1") in cancelled  # the step was done before its timer fired


def test_a_completed_instance_shows_the_whole_way(driver: Driver) -> None:
    instance_id = driver.start(assignment(1), assignment(2, "coordinating"))
    driver.walk(instance_id, 1, LEAD_STEPS)
    driver.walk(instance_id, 2, COORD_STEPS)

    trail = trail_of(driver, instance_id)

    assert trail.status == "completed"
    assert {s.state for s in trail.steps} == {"completed"}
    assert flows(trail, None)[-1] == ("unit_work", "end")
    assert ("acknowledged_gw", "coord_end") in flows(trail, "2")


def test_a_cancelled_instance_lists_what_was_open_as_cancelled(driver: Driver) -> None:
    instance_id = driver.start(assignment(1))
    with driver.sessions() as session:
        driver.processes.cancel(session, instance_id)
        session.commit()

    trail = trail_of(driver, instance_id)

    assert trail.status == "cancelled"
    assert ("execute", "1") in {(s.element_id, s.ref) for s in trail.cancelled}
    assert {s.state for s in trail.steps} == {"completed"}


def test_reading_the_trail_changes_nothing(driver: Driver, midway: int) -> None:
    before = driver.stored(midway)
    trail_of(driver, midway)
    hits = driver.processes.store.cache.hits

    trail_of(driver, midway)

    assert driver.stored(midway) == before
    assert driver.processes.store.cache.hits == hits + 1  # handed back to the cache untouched


def test_an_unknown_instance_is_not_found(driver: Driver) -> None:
    with pytest.raises(InstanceNotFound):
        trail_of(driver, 404)
