"""Moving running instances to another version of the diagram, on a real SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import MigrationRefused, ModelNotFound, ProcessEngine
from tests.engine import variants
from tests.engine.driver import COORD_STEPS, DUE, LEAD_STEPS, Driver, assignment


@pytest.fixture
def driver(sessions: sessionmaker[Session], processes: ProcessEngine) -> Driver:
    return Driver(sessions, processes)


@pytest.fixture
def version(sessions: sessionmaker[Session], processes: ProcessEngine):
    """Save a variant of the diagram as a new (unpublished) version; return its id."""

    def save(xml: bytes) -> int:
        with sessions() as session:
            saved = processes.save_model(session, "directive", xml, author="admin")
            session.commit()
            return saved.id

    return save


def lead_at(driver: Driver, step: str) -> int:
    """An instance with one lead assignment (ref 1) waiting at `step` (or at assign)."""
    if step == "assign":
        return driver.start()
    instance_id = driver.start(assignment(1))
    driver.walk(instance_id, 1, LEAD_STEPS[: LEAD_STEPS.index(step)])
    return instance_id


def test_the_plan_tells_who_can_move_and_changes_nothing(driver: Driver, version) -> None:
    legal = version(variants.with_legal_review())
    at = {step: lead_at(driver, step) for step in ("assign", "execute", "report", "accept")}
    mixed = driver.start(assignment(1), assignment(2))
    driver.walk(mixed, 1, LEAD_STEPS)
    driver.walk(mixed, 2, LEAD_STEPS[:2])
    done = lead_at(driver, "accept")
    driver.step(done, "accept", 1)
    ids = [*at.values(), mixed, done]
    before = {i: driver.stored(i) for i in ids}

    plan = driver.plan(ids, legal)

    assert {i: driver.stored(i) for i in ids} == before
    assert [plan[i].can_move for i in ids] == [True] * 5 + [False]
    assert plan[done].reasons == ("the instance is completed",)
    assert (plan[mixed].from_version, plan[mixed].to_version, plan[mixed].reasons) == (1, 2, ())
    hits = driver.processes.store.cache.hits
    assert [name for name, _ in driver.finish(at["report"])] == ["report", "accept"]
    assert driver.processes.store.cache.hits > hits  # the plan handed back the workflows untouched


def test_an_unknown_version_is_not_found(driver: Driver) -> None:
    instance_id = lead_at(driver, "report")
    with pytest.raises(ModelNotFound):
        driver.plan([instance_id], 99)
    with pytest.raises(ModelNotFound):
        driver.migrate(instance_id, 99)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("assign", ["assign", "execute", "report", "legal_review", "accept"]),
        ("execute", ["execute", "report", "legal_review", "accept"]),
        ("report", ["report", "legal_review", "accept"]),
        ("accept", ["accept"]),  # the new step lies behind it: it is not done again
    ],
)
def test_a_moved_instance_goes_through_the_new_step(
    driver: Driver, version, processes: ProcessEngine, step: str, expected: list[str]
) -> None:
    legal = version(variants.with_legal_review())
    instance_id = lead_at(driver, step)
    waiting = {task.id for task in driver.ready(instance_id).values()}

    moved = driver.migrate(instance_id, legal)

    assert {task.id for task in moved.ready} == waiting  # the waiting step keeps its id
    assert driver.stored(instance_id)[0] == legal
    processes.store.cache.clear()  # the stored state alone must carry on
    if step == "assign":
        driver.step(instance_id, "assign", None, {"assignments": [assignment(1)]})
    seen = ["assign"] if step == "assign" else []
    assert seen + [name for name, _ in driver.finish(instance_id)] == expected


def test_each_branch_of_a_moved_instance_follows_its_own_place(
    driver: Driver, version, processes: ProcessEngine
) -> None:
    legal = version(variants.with_legal_review())
    instance_id = driver.start(assignment(1), assignment(2), assignment(3))
    driver.walk(instance_id, 1, LEAD_STEPS)  # done
    driver.walk(instance_id, 2, LEAD_STEPS[:1])  # at report
    driver.walk(instance_id, 3, LEAD_STEPS[:2])  # at accept

    driver.migrate(instance_id, legal)

    done = driver.finish(instance_id)
    assert sorted(done) == [
        ("accept", "2"),
        ("accept", "3"),
        ("legal_review", "2"),
        ("report", "2"),
    ]
    with driver.sessions() as session:
        results = processes.instance_data(session, instance_id)["results"]
    assert sorted(r["assignment_id"] for r in results) == [1, 2, 3]


def test_the_new_step_is_projected_into_its_lane(driver: Driver, version) -> None:
    legal = version(variants.with_legal_review())
    instance_id = lead_at(driver, "report")
    driver.migrate(instance_id, legal)

    result = driver.step(instance_id, "report", 1)

    (review,) = result.ready
    assert (review.task_name, review.lane, review.form, review.ref) == (
        "legal_review",
        "supervisor",
        "accept",
        "1",
    )


def test_without_contribute_only_instances_past_coord_execute_stay(driver: Driver, version) -> None:
    slim = version(variants.without_contribute())
    lead = lead_at(driver, "report")
    before = driver.start(assignment(1), assignment(2, "coordinating"))
    at = driver.start(assignment(1), assignment(2, "coordinating"))
    driver.walk(at, 2, COORD_STEPS[:1])
    past = driver.start(assignment(1), assignment(2, "coordinating"))
    driver.walk(past, 2, COORD_STEPS[:2])

    plan = driver.plan([lead, before, at, past], slim)

    assert [plan[i].can_move for i in (lead, before, at, past)] == [True, True, False, False]
    assert "step 'contribute' (READY) does not exist in version 2" in plan[at].reasons
    assert "step 'contribute_overdue' (WAITING) does not exist in version 2" in plan[at].reasons
    assert "step 'contribute' (COMPLETED) does not exist in version 2" in plan[past].reasons
    assert "the boundary events of step 'contribute' changed in version 2" in plan[past].reasons
    driver.migrate(before, slim)
    assert ("acknowledge", "2") in driver.finish(before)


def test_a_renamed_step_moves_and_shows_its_new_name(driver: Driver, version) -> None:
    renamed = version(variants.renamed("report", "Báo cáo (mẫu mới)"))
    instance_id = lead_at(driver, "report")
    assert driver.plan([instance_id], renamed)[instance_id].can_move

    moved = driver.migrate(instance_id, renamed)

    assert [t.title for t in moved.ready] == ["Báo cáo (mẫu mới)"]
    assert [item[2] for item in driver.stored(instance_id)[3]] == ["Báo cáo (mẫu mới)"]
    assert [name for name, _ in driver.finish(instance_id)] == ["report", "accept"]


def test_a_new_id_counts_as_a_removed_step_for_instances_that_reached_it(
    driver: Driver, version
) -> None:
    # SpiffWorkflow's structural matching does not pair a step that has boundary events with
    # its renamed copy, so the old id is simply gone.
    renumbered = version(variants.with_new_id("report", "report_v2"))
    ids = [lead_at(driver, step) for step in ("execute", "report", "accept")]

    plan = driver.plan(ids, renumbered)

    assert plan[ids[0]].can_move
    assert plan[ids[1]].reasons[0] == "step 'report' (READY) does not exist in version 2"
    assert plan[ids[2]].reasons[0] == "step 'report' (COMPLETED) does not exist in version 2"
    driver.migrate(ids[0], renumbered)
    assert [name for name, _ in driver.finish(ids[0])] == ["execute", "report_v2", "accept"]


def test_a_refused_move_changes_nothing(driver: Driver, version, processes) -> None:
    slim = version(variants.without_contribute())
    instance_id = driver.start(assignment(1), assignment(2, "coordinating"))
    driver.walk(instance_id, 2, COORD_STEPS[:1])
    before = driver.stored(instance_id)

    with driver.sessions() as session:
        with pytest.raises(MigrationRefused) as refused:
            processes.migrate(session, instance_id, slim)
        assert not session.dirty
        assert not session.new
        session.commit()

    assert "step 'contribute' (READY) does not exist in version 2" in refused.value.reasons
    assert driver.stored(instance_id) == before
    driver.walk(instance_id, 2, COORD_STEPS[1:])  # it carries on, on its own version
    assert driver.finish(instance_id)


def test_finished_and_unmoved_instances_are_refused(driver: Driver, version) -> None:
    legal = version(variants.with_legal_review())
    done = lead_at(driver, "accept")
    driver.step(done, "accept", 1)
    moved = lead_at(driver, "report")
    driver.migrate(moved, legal)

    refusals = ((done, "the instance is completed"), (moved, "already on version 2"))
    for instance_id, reason in refusals:
        with pytest.raises(MigrationRefused) as refused:
            driver.migrate(instance_id, legal)
        assert refused.value.reasons == (reason,)


def test_a_changed_form_on_a_waiting_step_refuses_only_instances_waiting_there(
    driver: Driver, version
) -> None:
    reworded = version(variants.with_form("report", "accept"))
    at_report, at_execute = lead_at(driver, "report"), lead_at(driver, "execute")

    plan = driver.plan([at_report, at_execute], reworded)

    assert plan[at_report].reasons == (
        "step 'report' (READY) changed in version 2: property 'form' 'report' → 'accept'",
    )
    assert plan[at_execute].can_move


def test_a_new_step_after_a_running_sub_process_is_refused(driver: Driver, version) -> None:
    # SpiffWorkflow only re-plans READY and WAITING tasks: a STARTED sub-process would end
    # along the way it planned on the old version and skip the new step.
    wrapped = version(variants.with_wrap_up())
    waiting, working = lead_at(driver, "assign"), lead_at(driver, "execute")

    plan = driver.plan([waiting, working], wrapped)

    assert plan[waiting].can_move
    assert plan[working].reasons == (
        "the way on from step 'unit_work' (STARTED) changed in version 2; "
        "the instance would keep the old way",
    )
    driver.migrate(waiting, wrapped)
    driver.step(waiting, "assign", None, {"assignments": [assignment(1)]})
    driver.finish(waiting)
    with driver.sessions() as session:
        assert driver.processes.instance_data(session, waiting)["wrapped_up"] is True


def test_timers_keep_their_due_times_across_a_move(
    driver: Driver, version, processes: ProcessEngine
) -> None:
    legal = version(variants.with_legal_review())
    instance_id = driver.start(assignment(1), assignment(2, "coordinating"))
    with driver.sessions() as session:
        before = processes.waiting_timers(session, instance_id)
        session.commit()

    result = driver.migrate(instance_id, legal)

    processes.store.cache.clear()
    with driver.sessions() as session:
        after = processes.waiting_timers(session, instance_id)
    assert sorted((t.event_name, t.ref, t.due_at) for t in after) == sorted(
        (t.event_name, t.ref, t.due_at) for t in before
    )
    assert result.fired_timers == ()
    assert result.next_timer_at == DUE


def test_a_timer_that_already_fired_does_not_fire_again(
    driver: Driver, version, processes: ProcessEngine
) -> None:
    legal = version(variants.with_legal_review())
    late = {**assignment(1), "due_at": "2020-01-01T00:00:00+00:00"}
    instance_id = driver.start()
    assigned = driver.step(instance_id, "assign", None, {"assignments": [late]})
    assert [t.event_name for t in assigned.fired_timers] == ["execute_overdue"]

    result = driver.migrate(instance_id, legal)

    assert result.fired_timers == ()
    with driver.sessions() as session:
        waiting = processes.waiting_timers(session, instance_id)
    assert [t.event_name for t in waiting] == ["execute_reminder"]
