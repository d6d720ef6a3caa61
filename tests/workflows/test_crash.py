"""A process killed between steps loses nothing it committed; another process carries on."""

from __future__ import annotations

import multiprocessing
import signal

from sqlalchemy import select

from tests.helpers import item_of
from tests.workflows import workers
from workflows.db import Database
from workflows.read import detail as queries
from workflows.settings import Settings
from workflows.steps import unit_work as steps
from workflows.tables import Assignment


def test_kill_9_after_a_commit_then_a_new_process_continues(
    db_url: str, db: Database, users, assigned_small
) -> None:
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    db.dispose()
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=workers.start_then_die, args=(db_url, users["cv.khtc"], execute.work_item_id)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL

    reborn = Database(db_url, Settings(workflow_cache_size=0))
    try:
        report = item_of(reborn, users["truong.khtc"], "report", task_no=1)
        steps.submit_report(reborn, users["truong.khtc"], report.work_item_id, "sau sự cố")
        accept = item_of(reborn, users["giamdoc"], "accept", task_no=1)
        steps.accept_report(reborn, users["giamdoc"], accept.work_item_id)
        with reborn.reading() as session:
            lead = session.scalar(select(Assignment).where(Assignment.unit_code == "KHTC"))
            assert (lead.state, lead.attempt) == ("accepted", 1)
        kinds = [e.kind for e in queries.history_of(reborn, users["giamdoc"], assigned_small)]
        assert kinds.count("work_started") == 1
        assert kinds[-2:] == ["report_submitted", "report_accepted"]
    finally:
        reborn.dispose()


def test_dropping_every_object_and_reloading_continues_the_directive(
    db_url: str, db: Database, users, assigned_small
) -> None:
    steps.start_work(db, users["cv.ttr"], item_of(db, users["cv.ttr"], "execute").work_item_id)
    db.dispose()
    del db
    again = Database(db_url)
    try:
        report = item_of(again, users["truong.ttr"], "report")
        steps.submit_report(again, users["truong.ttr"], report.work_item_id, "kiểm tra xong")
        assert again.processes.store.cache.hits == 0
        assert item_of(again, users["giamdoc"], "accept", task_no=2).unit_code == "TTR"
    finally:
        again.dispose()
