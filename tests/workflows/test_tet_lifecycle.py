"""The Tết directive (10 tasks, 29 assignments) through every step, reloading before each step.

Every step runs on a brand-new Database (new engine, no cached workflow, new sessions), so the
workflow is deserialized from what the previous step committed: a save→reload between steps.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import item_of, items_for
from workflows import directives
from workflows.db import Database
from workflows.read import detail as queries
from workflows.read import inbox as inboxes
from workflows.settings import Settings
from workflows.setup import demo
from workflows.steps import unit_work as steps
from workflows.tables import Assignment, Event


class Clock:
    """A clock the test moves forward by hand; every step passes it as `now`."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def tick(self, minutes: int = 5) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def fresh(db_url: str):
    """Open a new Database for every step, disposing the previous one."""
    opened: list[Database] = []

    def open_new() -> Database:
        for old in opened:
            old.dispose()
        opened.clear()
        opened.append(Database(db_url, Settings(workflow_cache_size=0)))
        return opened[0]

    yield open_new
    for old in opened:
        old.dispose()


def _assignments(db: Database) -> dict[tuple[int, str], Assignment]:
    with db.reading() as session:
        rows = session.scalars(select(Assignment)).all()
        from workflows.tables import Task

        numbers = {t.id: t.number for t in session.scalars(select(Task))}
        session.expunge_all()
        return {(numbers[a.task_id], a.unit_code): a for a in rows}


def _kinds(db: Database, assignment_id: int) -> list[str]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(Event.kind).where(Event.assignment_id == assignment_id).order_by(Event.id)
            )
        )


def _start_all(fresh, users, clock) -> None:
    """Every unit starts every one of its assignments (staff do the execute step)."""
    for code in ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD"):
        db = fresh()
        for item in items_for(db, users[f"cv.{code.lower()}"], "execute"):
            steps.start_work(
                fresh(),
                users[f"cv.{code.lower()}"],
                item.work_item_id,
                "đã phân công chuyên viên",
                now=clock.tick(),
            )


def _report_all_except(fresh, users, clock, skip: set[tuple[int, str]]) -> None:
    for code in ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD"):
        head = users[f"truong.{code.lower()}"]
        for step, use_case in (
            ("report", steps.submit_report),
            ("contribute", steps.submit_contribution),
        ):
            for item in items_for(fresh(), head, step):
                if (item.task_no, code) in skip:
                    continue
                use_case(
                    fresh(),
                    head,
                    item.work_item_id,
                    f"Báo cáo nhiệm vụ {item.task_no} của {code}",
                    now=clock.tick(),
                )


def test_tet_directive_runs_through_every_step(fresh, users, today: date) -> None:
    clock = Clock()
    data = demo.tet_directive(today)
    directive_id = directives.create_directive(fresh(), users["vanthu"], data, now=clock.tick())
    db = fresh()
    assert queries.directive_detail(db, users["giamdoc"], directive_id).status == "assigning"
    assert items_for(db, users["truong.khtc"]) == []

    assign = item_of(fresh(), users["giamdoc"], "assign")
    directives.assign_directive(fresh(), users["giamdoc"], assign.work_item_id, now=clock.tick())
    by_key = _assignments(fresh())
    assert len(by_key) == 29
    assert {a.state for a in by_key.values()} == {"assigned"}
    counts = inboxes.inbox(fresh(), users["truong.vp"]).counts
    assert counts == {"execute": 7}  # VP leads tasks 1, 7, 8, 9, 10 and coordinates on 3 and 6

    _start_all(fresh, users, clock)
    assert {a.state for a in _assignments(fresh()).values()} == {"in_progress"}

    late_key, returned_key, sent_back_key = (6, "QLCN"), (2, "TTUD"), (3, "TTR")
    _report_all_except(fresh, users, clock, skip={late_key})

    # The supervisor returns TTUD's report on task 2 with a reason: the unit works again.
    accept_ttud = item_of(fresh(), users["giamdoc"], "accept", task_no=2)
    steps.return_report(
        fresh(),
        users["giamdoc"],
        accept_ttud.work_item_id,
        "Thiếu số liệu giống cây trồng đã cung ứng",
        now=clock.tick(),
    )
    assert _assignments(fresh())[returned_key].state == "returned"
    redo = item_of(fresh(), users["cv.ttud"], "execute", task_no=2)
    steps.start_work(fresh(), users["cv.ttud"], redo.work_item_id, "bổ sung", now=clock.tick())
    again = item_of(fresh(), users["truong.ttud"], "report", task_no=2)
    steps.submit_report(
        fresh(), users["truong.ttud"], again.work_item_id, "Đã bổ sung số liệu", now=clock.tick()
    )

    # KHTC (lead of task 3) sends TTR's contribution back once, then takes it in.
    ack = [i for i in items_for(fresh(), users["truong.khtc"], "acknowledge") if i.task_no == 3]
    ttr_ack = next(i for i in ack if i.unit_code == "KHTC" and _unit_of(fresh(), i) == "TTR")
    steps.acknowledge_contribution(
        fresh(),
        users["truong.khtc"],
        ttr_ack.work_item_id,
        accepted=False,
        comment="Đề nghị nêu rõ số cuộc kiểm tra",
        now=clock.tick(),
    )
    assert _assignments(fresh())[sent_back_key].state == "returned"
    redo = item_of(fresh(), users["cv.ttr"], "execute", task_no=3)
    steps.start_work(fresh(), users["cv.ttr"], redo.work_item_id, now=clock.tick())
    contribute = item_of(fresh(), users["truong.ttr"], "contribute", task_no=3)
    steps.submit_contribution(
        fresh(),
        users["truong.ttr"],
        contribute.work_item_id,
        "Đã kiểm tra 12 cơ sở",
        now=clock.tick(),
    )

    # QLCN reports task 6 one day after its due date: completed late.
    due = _assignments(fresh())[late_key].due_at
    assert due is not None
    clock.now = due + timedelta(days=1)
    late = item_of(fresh(), users["truong.qlcn"], "report", task_no=6)
    steps.submit_report(
        fresh(), users["truong.qlcn"], late.work_item_id, "Hệ thống thông suốt", now=clock.tick()
    )

    _acknowledge_and_accept_all(fresh, users, clock)

    db = fresh()
    detail = queries.directive_detail(db, users["giamdoc"], directive_id, now=clock.tick())
    assert detail.status == "completed"
    assert detail.open_work_items == ()
    timeliness = Counter(a.timeliness for t in detail.tasks for a in t.assignments)
    assert timeliness == {"on_time": 28, "late": 1}
    final = _assignments(db)
    assert {a.state for a in final.values()} == {"accepted"}
    assert final[returned_key].attempt == 2
    assert final[sent_back_key].attempt == 2

    assert _kinds(db, final[returned_key].id) == [
        "work_started",
        "report_submitted",
        "report_returned",
        "work_started",
        "report_submitted",
        "report_accepted",
    ]
    assert _kinds(db, final[sent_back_key].id) == [
        "work_started",
        "contribution_submitted",
        "contribution_returned",
        "work_started",
        "contribution_submitted",
        "contribution_accepted",
    ]
    kinds = [e.kind for e in detail.events]
    assert kinds[:2] == ["directive_created", "directive_assigned"]
    assert kinds[-1] == "directive_completed"
    assert kinds.count("directive_completed") == 1
    assert not any(k.startswith("timer_") for k in kinds)
    reports = next(a for t in detail.tasks for a in t.assignments if a.id == final[returned_key].id)
    assert [(r.decision, r.comment) for r in reports.reports] == [
        ("returned", "Thiếu số liệu giống cây trồng đã cung ứng"),
        ("accepted", "Đồng ý"),
    ]


def _unit_of(db: Database, item: inboxes.InboxItem) -> str:
    """The coordinating unit whose contribution an acknowledge item is about."""
    with db.reading() as session:
        from engine.tables import WorkItem

        ref = session.get(WorkItem, item.work_item_id).ref
        return session.get(Assignment, int(ref)).unit_code


def _acknowledge_and_accept_all(fresh, users, clock) -> None:
    for code in ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD"):
        head = users[f"truong.{code.lower()}"]
        for item in items_for(fresh(), head, "acknowledge"):
            steps.acknowledge_contribution(fresh(), head, item.work_item_id, now=clock.tick())
    for item in items_for(fresh(), users["phogiamdoc"], "accept"):
        steps.accept_report(
            fresh(), users["phogiamdoc"], item.work_item_id, "Đồng ý", now=clock.tick()
        )
