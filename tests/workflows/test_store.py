"""The engine's store: a read gives its workflow back to the cache (issue 10); an ended
instance is stored whole, in one compressed piece (issue 14)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.tables import ProcessPart
from tests.helpers import item_of, items_for
from workflows import (
    Submission,
    TaskNoLongerReady,
    complete_step,
    directive_detail,
    directive_trail,
    work_item_page,
)
from workflows.db import Database
from workflows.steps import unit_work as steps
from workflows.tables import Directive


def test_reading_a_directive_page_keeps_the_workflow_hot_for_the_next_step(
    db: Database, users: dict[str, int], assigned_small: int
) -> None:
    store = db.processes.store
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)  # saved, cached on commit
    restored = store.restored

    directive_detail(db, users["giamdoc"], assigned_small)  # what the directive page reads
    directive_trail(db, users["giamdoc"], assigned_small)
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    work_item_page(db, users["truong.khtc"], report.work_item_id)
    hits = store.cache.hits
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "xong")

    assert store.cache.hits == hits + 1  # the step found the workflow the reads gave back
    assert store.restored == restored  # and nobody deserialized the instance again


def test_a_read_of_an_older_version_never_serves_a_newer_step(
    db: Database, users: dict[str, int], assigned_small: int
) -> None:
    """A reader that gives back a workflow after a writer moved on: the stale copy is brought
    up to date (the parts that changed read again) before the next step, never used as it was."""
    store = db.processes.store
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    with db.reading() as session:
        execute_instance = db.processes.work_item(session, execute.work_item_id)
        assert execute_instance is not None
        instance = execute_instance.instance_id
        row, stale = store.load(session, instance)
        old_stamp = store._stamp(row, stale)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)  # the instance moves on
    store.cache.discard(instance)  # only the late copy is left to take
    store.cache.checkin(instance, old_stamp, stale)  # a late give-back
    restored, refreshed = store.restored, store.refreshed
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "xong")
    assert (store.restored, store.refreshed) == (restored, refreshed + 1)
    store.cache.discard(instance)
    store.cache.checkin(instance, 42, stale)  # a stamp that is not the store's: refused
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    steps.accept_report(db, users["giamdoc"], accept.work_item_id)
    assert store.restored == restored + 1


def _work_to_the_end(db: Database, users: dict[str, int]) -> int:
    """Everyone does every ready step (accepting what is reported); return how many."""
    done = 0
    while True:
        work = [(uid, item) for uid in users.values() for item in items_for(db, uid)]
        if not work:
            return done
        for uid, item in work:
            submission = Submission(step=item.step, text="Xong", decision="accept")
            try:
                complete_step(db, uid, item.work_item_id, submission)
            except TaskNoLongerReady:  # another person of the unit did it earlier in the loop
                continue
            done += 1


def _tasks(workflow: Any) -> dict[str, tuple[int, str, float]]:
    return {
        str(task.id): (task.state, task.task_spec.name, task.last_state_change)
        for task in workflow.get_tasks()
    }


def test_an_ended_instance_is_stored_whole_and_reads_back_the_same(
    db: Database, users: dict[str, int], assigned_small: int
) -> None:
    store = db.processes.store
    with db.reading() as session:
        instance_id = session.scalar(
            select(Directive.process_instance_id).where(Directive.id == assigned_small)
        )
        assert session.scalar(_parts_of(instance_id)) > 0  # running: one row per part
    assert _work_to_the_end(db, users) > 0

    with db.reading() as session:
        assert session.scalar(select(Directive.status).where(Directive.id == assigned_small)) == (
            "completed"
        )
        assert session.scalar(_parts_of(instance_id)) == 0  # ended: compacted into the top row
        _, live = store.load(session, instance_id)  # the workflow the last step left cached
        stored = store.restore_stored(session, instance_id)
    assert stored.completed
    assert _tasks(stored) == _tasks(live)
    trail = directive_trail(db, users["giamdoc"], assigned_small)  # the instance view reads it
    assert {e.state for e in trail.elements} == {"completed"}
    assert {e.ref for e in trail.elements if e.ref} == {s.ref for s in trail.scopes}


def _parts_of(instance_id: int) -> Any:
    return (
        select(func.count()).select_from(ProcessPart).where(ProcessPart.instance_id == instance_id)
    )
