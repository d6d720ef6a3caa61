"""The engine's store keeps hot workflows: a read gives its workflow back (issue 10)."""

from __future__ import annotations

from tests.helpers import item_of
from workflows import directive_detail, directive_trail, work_item_page
from workflows.db import Database
from workflows.steps import unit_work as steps


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
    """A reader that gives back a workflow after a writer moved on leaves only a miss."""
    store = db.processes.store
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    with db.reading() as session:
        execute_instance = db.processes.work_item(session, execute.work_item_id)
        assert execute_instance is not None
        row, stale = store.load(session, execute_instance.instance_id)
        old_version = row.version_id
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)  # the instance moves on
    store.cache.checkin(execute_instance.instance_id, old_version, stale)  # a late give-back
    restored = store.restored
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "xong")
    assert store.restored == restored + 1  # the stale copy was refused, the state read anew
