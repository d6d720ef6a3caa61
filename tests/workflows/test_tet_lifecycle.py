"""The Tết directive (10 tasks, 29 assignments) through every step, reloading before each step.

Every step runs on a brand-new Database (new engine, no cached workflow, new sessions), so the
workflow is deserialized from what the previous step committed: a save→reload between steps.
The practice of a department is all there: a head hands a task to an officer, who drafts the
report with a file; the head sends it back once, then signs it off; an officer's contribution
is signed off by the coordinating unit's head; a head on leave delegates to the deputy, who
acknowledges a contribution in the head's name; the leader in charge accepts a unit's reports.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import item_of, items_for
from workflows import directives
from workflows.attachments import Upload
from workflows.db import Database
from workflows.organisation import delegations
from workflows.read import detail as queries
from workflows.read import inbox as inboxes
from workflows.settings import Settings
from workflows.setup import demo
from workflows.steps import unit_work as steps
from workflows.tables import Assignment, Event


class Clock:
    """A clock the test moves forward by hand; every step passes it as `now`."""

    def __init__(self) -> None:
        # Early in the local day, so that the steps (some hours of ticks) stay within today:
        # the inbox reads the delegations in force on the real day.
        now = datetime.now(UTC).replace(microsecond=0)
        local = now.astimezone(Settings().tz)
        early = local.replace(hour=1, minute=0, second=0).astimezone(UTC)
        self.now = min(now, early)

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


PDF = b"%PDF-1.4\n% bien ban\n"


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
    directives.assign_directive(
        fresh(),
        users["giamdoc"],
        assign.work_item_id,
        now=clock.tick(),
        instruction="Các đơn vị chủ động triển khai, báo cáo đúng hạn",
    )
    by_key = _assignments(fresh())
    assert len(by_key) == 29
    assert {a.state for a in by_key.values()} == {"assigned"}
    counts = inboxes.inbox(fresh(), users["truong.vp"]).counts
    assert counts == {"execute": 7}  # VP leads tasks 1, 7, 8, 9, 10 and coordinates on 3 and 6

    drafted_key, contributed_key = (3, "KHTC"), (3, "TTR")
    steps.hand_over(fresh(), users["truong.khtc"], by_key[drafted_key].id, users["cv.khtc"])
    steps.hand_over(fresh(), users["truong.ttr"], by_key[contributed_key].id, users["cv.ttr"])
    _start_all(fresh, users, clock)
    assert {a.state for a in _assignments(fresh()).values()} == {"in_progress"}

    late_key, returned_key, sent_back_key = (6, "QLCN"), (2, "TTUD"), (3, "TTR")
    _report_all_except(fresh, users, clock, skip={late_key, drafted_key, contributed_key})

    _draft_send_back_and_sign_off(fresh, users, clock)
    _contribution_drafted_and_signed(fresh, users, clock)

    # The leader returns TTUD's report on task 2 with a reason: the unit redoes the report.
    accept_ttud = item_of(fresh(), users["giamdoc"], "accept", task_no=2)
    steps.return_report(
        fresh(),
        users["giamdoc"],
        accept_ttud.work_item_id,
        "Thiếu số liệu giống cây trồng đã cung ứng",
        now=clock.tick(),
    )
    assert _assignments(fresh())[returned_key].state == "returned"
    assert [i for i in items_for(fresh(), users["cv.ttud"], "execute") if i.task_no == 2] == []
    again = item_of(fresh(), users["truong.ttud"], "report", task_no=2)
    assert again.returned_reason == "Thiếu số liệu giống cây trồng đã cung ứng"
    steps.submit_report(
        fresh(), users["truong.ttud"], again.work_item_id, "Đã bổ sung số liệu", now=clock.tick()
    )

    # KHTC's head is on leave: the deputy takes TTR's contribution in, sends it back once,
    # then, when TTR's head has sent it again, takes it in; all in the head's name.
    today = clock.now.astimezone(fresh().settings.tz).date()
    delegations.delegate(
        fresh(),
        users["truong.khtc"],
        users["pho.khtc"],
        today,
        today + timedelta(days=3),
        "Nghỉ phép",
        now=clock.tick(),
    )
    ack = _ttr_acknowledge(fresh(), users["pho.khtc"], clock.now)
    steps.acknowledge_contribution(
        fresh(),
        users["pho.khtc"],
        ack.work_item_id,
        accepted=False,
        comment="Đề nghị nêu rõ số cuộc kiểm tra",
        now=clock.tick(),
    )
    assert _assignments(fresh())[sent_back_key].state == "returned"
    contribute = item_of(fresh(), users["truong.ttr"], "contribute", task_no=3)
    steps.submit_contribution(
        fresh(),
        users["truong.ttr"],
        contribute.work_item_id,
        "Đã kiểm tra 12 cơ sở",
        now=clock.tick(),
    )
    ack = _ttr_acknowledge(fresh(), users["pho.khtc"], clock.now)
    steps.acknowledge_contribution(fresh(), users["pho.khtc"], ack.work_item_id, now=clock.tick())

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
        "report_submitted",
        "report_accepted",
    ]
    assert _kinds(db, final[sent_back_key].id) == [
        "assignment_handed_over",
        "work_started",
        "contribution_drafted",
        "contribution_signed",
        "contribution_returned",
        "contribution_submitted",
        "contribution_accepted",
    ]
    assert _kinds(db, final[drafted_key].id) == [
        "assignment_handed_over",
        "work_started",
        "report_drafted",
        "report_draft_returned",
        "report_drafted",
        "report_signed",
        "report_accepted",
    ]
    _check_the_history_of_the_practice(detail, final)

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
    # The deputy director is the leader in charge of KHTC and QLKH: their reports are his;
    # VP's leader in charge is the director, so the deputy director never sees them.
    deputy = {i.unit_code for i in items_for(fresh(), users["phogiamdoc"], "accept")}
    assert "VP" not in deputy
    assert {"KHTC", "QLKH"} <= deputy
    for item in items_for(fresh(), users["phogiamdoc"], "accept"):
        steps.accept_report(
            fresh(), users["phogiamdoc"], item.work_item_id, "Đồng ý", now=clock.tick()
        )
    for item in items_for(fresh(), users["giamdoc"], "accept"):  # the director: all the rest
        steps.accept_report(
            fresh(), users["giamdoc"], item.work_item_id, "Đồng ý", now=clock.tick()
        )


def _draft_send_back_and_sign_off(fresh, users, clock) -> None:
    """KHTC's officer drafts the report of task 3 with a file; the head sends it back once."""
    officer, head = users["cv.khtc"], users["truong.khtc"]
    report = item_of(fresh(), officer, "report", task_no=3)
    steps.submit_report(
        fresh(),
        officer,
        report.work_item_id,
        "Dự thảo báo cáo kinh phí",
        now=clock.tick(),
        uploads=[Upload("bien-ban.pdf", PDF)],
    )
    assert all(i.task_no != 3 for i in items_for(fresh(), users["giamdoc"], "accept"))
    sign = item_of(fresh(), head, "sign_off", task_no=3)
    assert items_for(fresh(), officer, "sign_off") == []  # the officer cannot sign it off
    steps.sign_off(
        fresh(), head, sign.work_item_id, False, comment="Bổ sung số liệu quý IV", now=clock.tick()
    )
    redo = item_of(fresh(), officer, "report", task_no=3)
    assert redo.returned_reason == "Bổ sung số liệu quý IV"
    kept = _files_of_assignment(fresh(), redo.assignment_id)
    steps.submit_report(
        fresh(),
        officer,
        redo.work_item_id,
        "Dự thảo có số liệu quý IV",
        now=clock.tick(),
        keep=kept,
    )
    sign = item_of(fresh(), head, "sign_off", task_no=3)
    steps.sign_off(
        fresh(), head, sign.work_item_id, True, text="Báo cáo kinh phí (đã ký)", now=clock.tick()
    )
    accept = [i for i in items_for(fresh(), users["phogiamdoc"], "accept") if i.task_no == 3]
    assert [i.unit_code for i in accept] == ["KHTC"]


def _contribution_drafted_and_signed(fresh, users, clock) -> None:
    """TTR's officer drafts TTR's contribution to task 3; TTR's head sends it on as written."""
    item = item_of(fresh(), users["cv.ttr"], "contribute", task_no=3)
    steps.submit_contribution(
        fresh(), users["cv.ttr"], item.work_item_id, "Ý kiến của Thanh tra", now=clock.tick()
    )
    sign = item_of(fresh(), users["truong.ttr"], "sign_off", task_no=3)
    steps.sign_off(fresh(), users["truong.ttr"], sign.work_item_id, True, now=clock.tick())


def _ttr_acknowledge(db: Database, user_id: int, now: datetime) -> inboxes.InboxItem:
    """TTR's contribution to task 3 in the inbox at the test's clock (delegations are dated)."""
    (found,) = [
        i
        for i in items_for(db, user_id, "acknowledge", now=now)
        if i.task_no == 3 and i.unit_name == "Thanh tra Sở"
    ]
    return found


def _files_of_assignment(db: Database, assignment_id: int | None) -> list[int]:
    from workflows.tables import Attachment, ReportDraft

    with db.reading() as session:
        drafts = select(ReportDraft.id).where(ReportDraft.assignment_id == assignment_id)
        return list(session.scalars(select(Attachment.id).where(Attachment.draft_id.in_(drafts))))


def _check_the_history_of_the_practice(detail, final) -> None:
    """The deputy acted in the head's name; the signed report carries the draft's file."""
    signed = [e for e in detail.events if e.kind == "report_signed"]
    assert [e.after["edited"] for e in signed] == [True]
    ack = [e for e in detail.events if e.kind.startswith("contribution_") and e.on_behalf]
    assert {(e.kind, e.actor, e.on_behalf) for e in ack} == {
        ("contribution_returned", "Phó Trưởng phòng", "Trưởng phòng (KHTC)"),
        ("contribution_accepted", "Phó Trưởng phòng", "Trưởng phòng (KHTC)"),
    }
    drafted = next(a for t in detail.tasks for a in t.assignments if a.id == final[(3, "KHTC")].id)
    assert [d.state for d in drafted.drafts] == ["sent_back", "signed"]
    (report,) = drafted.reports
    assert report.text == "Báo cáo kinh phí (đã ký)"
    assert report.drafted_by == "Chuyên viên (KHTC)"
    assert [f.filename for f in report.files] == ["bien-ban.pdf"]
    assert [f.filename for f in drafted.drafts[0].files] == ["bien-ban.pdf"]
