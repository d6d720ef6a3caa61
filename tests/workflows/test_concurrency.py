"""Many units acting on one directive at the same moment: every step lands exactly once."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.conftest import seed
from tests.helpers import items_for
from tests.workflows import workers
from workflows import directives
from workflows.db import Database
from workflows.errors import TaskNoLongerReady
from workflows.read import inbox as inboxes
from workflows.setup import demo
from workflows.steps import unit_work as steps
from workflows.tables import Assignment, Event, User

UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")


def _execute_items(db: Database, users: dict[str, int]) -> list[tuple[int, str]]:
    """Every ready execute step as (user who may do it, work item id)."""
    found = []
    for code in UNITS:
        staff = users[f"cv.{code.lower()}"]
        found += [(staff, item.work_item_id) for item in items_for(db, staff, "execute")]
    return found


def _assert_each_started_once(db: Database, expected: int) -> None:
    with db.reading() as session:
        states = Counter(session.scalars(select(Assignment.state)))
        attempts = set(session.scalars(select(Assignment.attempt)))
        starts = session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "work_started")
        )
    assert states == {"in_progress": expected}
    assert attempts == {1}
    assert starts == expected


def _in_threads(db: Database, work: list[tuple[int, str]]) -> list[str]:
    barrier = threading.Barrier(len(work))

    def act(job: tuple[int, str]) -> str:
        barrier.wait()
        steps.start_work(db, job[0], job[1], "cùng lúc")
        return "ok"

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return list(pool.map(act, work))


def test_sixteen_threads_complete_steps_of_one_directive_at_once(
    db: Database, users, assigned_tet
) -> None:
    work = _execute_items(db, users)
    assert len(work) == 29
    assert _in_threads(db, work[:16]) == ["ok"] * 16
    assert _in_threads(db, work[16:]) == ["ok"] * 13
    _assert_each_started_once(db, 29)
    reports = sum(inboxes.inbox(db, users[f"truong.{c.lower()}"]).total for c in UNITS)
    assert reports == 29  # every unit now has its report or contribution step, none lost


def test_eight_processes_on_one_sqlite_file_all_land(
    db_url: str, db: Database, users, assigned_tet
) -> None:
    work = _execute_items(db, users)[:8]
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # time for the spawned interpreters to import everything
    with context.Pool(8) as pool:
        outcomes = pool.starmap(
            workers.start_work_at, [(db_url, user, item, start_at) for user, item in work]
        )
    assert outcomes == ["ok"] * 8
    with db.reading() as session:
        started = session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "work_started")
        )
    assert started == 8
    assert sum(len(items_for(db, users[f"cv.{c.lower()}"], "execute")) for c in UNITS) == 21


def test_the_same_step_by_two_people_at_once_lands_once(db: Database, users, assigned_tet) -> None:
    staff, item = _execute_items(db, users)[0]
    with db.reading() as session:
        unit_id = session.get(User, staff).unit_id
        head = session.scalar(
            select(User.id).where(User.unit_id == unit_id, User.roles_text == "unit_head")
        )
    barrier = threading.Barrier(2)

    def act(user_id: int) -> str:
        barrier.wait()
        try:
            steps.start_work(db, user_id, item)
            return "ok"
        except TaskNoLongerReady as exc:
            return f"already done by {exc.done_by}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(act, [staff, head]))
    with db.reading() as session:
        names = {session.get(User, staff).full_name, session.get(User, head).full_name}
    assert outcomes[1] == "ok"
    assert outcomes[0].removeprefix("already done by ") in names
    with db.reading() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "work_started")
            )
            == 1
        )


def _tet_assigned(db: Database, today: date) -> dict[str, int]:
    """The Tết directive entered and assigned; return the demo users by name."""
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    directives.create_directive(db, users["vanthu"], demo.tet_directive(today))
    assign = items_for(db, users["giamdoc"], "assign")[0]
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return users


@pytest.mark.pg
def test_concurrent_steps_on_postgresql_retry_and_all_land(pg_url: str, today) -> None:
    seed(pg_url)
    db = Database(pg_url)
    try:
        users = _tet_assigned(db, today)
        work = _execute_items(db, users)
        assert _in_threads(db, work[:16]) == ["ok"] * 16
        assert _in_threads(db, work[16:]) == ["ok"] * 13
        _assert_each_started_once(db, 29)
    finally:
        db.dispose()


def test_a_lost_race_is_reloaded_and_reapplied(db: Database) -> None:
    from engine import ConcurrentUpdate

    calls: list[int] = []

    def command(session) -> str:
        calls.append(len(calls))
        if len(calls) < 3:
            raise ConcurrentUpdate("someone saved first")
        return "applied"

    assert db.command(command) == "applied"
    assert calls == [0, 1, 2]


def test_a_command_that_keeps_losing_gives_up_with_a_conflict(db: Database) -> None:
    from engine import ConcurrentUpdate
    from workflows.errors import ConcurrencyConflict

    def command(session) -> None:
        raise ConcurrentUpdate("always behind")

    with pytest.raises(ConcurrencyConflict):
        db.command(command)


def _hold_and_try(db: Database, holder: str, other: str) -> bool:
    """Hold `holder`'s step as its use case would; may `other`'s be taken meanwhile?"""
    with db.reading() as session:
        first, second = (db.processes.work_item(session, i) for i in (holder, other))
    assert first is not None
    assert second is not None
    with db.engine.connect() as one, db.engine.connect() as two:
        holding = Session(bind=one)
        db.processes.lock_work_item(holding, first)
        trying = Session(bind=two)
        trying.execute(text("SET lock_timeout = '300ms'"))
        try:
            db.processes.lock_work_item(trying, second)
            return True
        except OperationalError:  # lock_timeout: it waited for the holder
            return False
        finally:
            trying.rollback()
            holding.rollback()


@pytest.mark.pg
def test_units_steps_lock_their_part_and_decisions_that_end_one_also_the_top(
    pg_url: str, today
) -> None:
    """Two units' execute steps never wait for each other; two accepts that may each end a
    unit's work (and so change the directive's top) queue instead of failing each other."""
    seed(pg_url)
    db = Database(pg_url)
    try:
        users = _tet_assigned(db, today)
        codes = [c.lower() for c in UNITS if items_for(db, users[f"cv.{c.lower()}"], "execute")]
        first, second = (items_for(db, users[f"cv.{c}"], "execute")[0] for c in codes[:2])
        assert _hold_and_try(db, first.work_item_id, second.work_item_id)
        for code, item in zip(codes[:2], (first, second), strict=True):
            steps.start_work(db, users[f"cv.{code}"], item.work_item_id)
            head = users[f"truong.{code}"]
            report = items_for(db, head, "report")[0]
            steps.submit_report(db, head, report.work_item_id, "xong")
        accepts = [i.work_item_id for i in items_for(db, users["giamdoc"], "accept")]
        assert len(accepts) == 2
        assert not _hold_and_try(db, accepts[0], accepts[1])
    finally:
        db.dispose()
