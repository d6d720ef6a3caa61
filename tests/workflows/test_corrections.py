"""Correcting a directive after entry: every change in the history, the process follows it."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.helpers import item_of, items_for, snapshot
from tests.workflows.conftest import small_directive
from workflows import directives, tallies
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.entry.corrections import Correction, TaskCorrection, correct_directive
from workflows.errors import InvalidInput
from workflows.read.detail import directive_detail
from workflows.read.listing import DirectiveFilter, list_directives
from workflows.steps import unit_work as steps
from workflows.tables import Assignment, Directive, DueItem, Event, Task


def as_is(db: Database, directive_id: int, **header: object) -> Correction:
    """The directive as it stands, to change a part of."""
    with db.reading() as session:
        d = session.get(Directive, directive_id)
        assert d is not None
        tasks = []
        for task in session.scalars(
            select(Task)
            .where(Task.directive_id == d.id, Task.withdrawn_at.is_(None))
            .order_by(Task.number)
        ):
            units = session.execute(
                select(Assignment.unit_code, Assignment.role).where(
                    Assignment.task_id == task.id, Assignment.state != "cancelled"
                )
            ).all()
            tasks.append(
                TaskCorrection(
                    task.id,
                    TaskInput(
                        task.content,
                        tuple(c for c, r in units if r == "lead"),
                        tuple(c for c, r in units if r == "coordinating"),
                        task.due_on,
                        task.reporting,
                        task.due_at,
                        task.reporting_until,
                        due_text=task.due_text,
                    ),
                )
            )
        values = {
            "number": d.number,
            "kind": d.kind,
            "issuer": d.issuer,
            "issued_on": d.issued_on,
            "title": d.title,
            "body": d.body,
            "tasks": tuple(tasks),
        }
    values.update(header)
    return Correction(**values)  # type: ignore[arg-type]


def with_task(correction: Correction, index: int, **changes: object) -> Correction:
    tasks = list(correction.tasks)
    old = tasks[index]
    task = TaskInput(**{**old.task.__dict__, **changes})  # type: ignore[arg-type]
    tasks[index] = TaskCorrection(old.task_id, task)
    return Correction(**{**correction.__dict__, "tasks": tuple(tasks)})


def events(db: Database, directive_id: int, kind: str) -> list[SimpleNamespace]:
    with db.reading() as session:
        return [
            SimpleNamespace(actor_id=e.actor_id, before=e.before, after=e.after, detail=e.detail)
            for e in session.scalars(
                select(Event).where(Event.directive_id == directive_id, Event.kind == kind)
            )
        ]


def assignment(db: Database, directive_id: int, unit: str, task_no: int) -> Assignment:
    with db.reading() as session:
        session.expire_on_commit = False
        found = session.scalar(
            select(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .where(
                Assignment.directive_id == directive_id,
                Assignment.unit_code == unit,
                Task.number == task_no,
            )
            .order_by(Assignment.id.desc())
        )
        assert found is not None
        session.expunge(found)
        return found


def test_the_header_is_corrected_with_old_and_new_values(db, users, assigned_small) -> None:
    fixed = as_is(db, assigned_small, number="12/TB-SKHCN ", title="Kết luận giao ban tháng 12")
    fixed = Correction(**{**fixed.__dict__, "body": "Nội dung đầy đủ."})
    assert correct_directive(db, users["vanthu"], assigned_small, fixed) == 2
    (event,) = events(db, assigned_small, "directive_corrected")
    assert event.actor_id == users["vanthu"]
    assert event.before == {"title": "Kết luận giao ban tháng 11", "body": ""}
    assert event.after == {"title": "Kết luận giao ban tháng 12", "body": "Nội dung đầy đủ."}
    with pytest.raises(InvalidInput) as nothing:
        correct_directive(db, users["vanthu"], assigned_small, fixed)
    assert "form" in nothing.value.fields


def test_a_number_already_entered_is_refused(db, users, today, assigned_small) -> None:
    other = directives.create_directive(
        db, users["vanthu"], small_directive(today, number="13/TB-SKHCN")
    )
    with pytest.raises(InvalidInput) as taken:
        correct_directive(db, users["vanthu"], other, as_is(db, other, number="12/TB-SKHCN"))
    assert "number" in taken.value.fields


def test_a_moved_deadline_rearms_the_timers_of_open_units(db, users, today, assigned_small):
    later = today + timedelta(days=40)
    fixed = with_task(as_is(db, assigned_small), 0, due_on=later, due_text="trước ngày X")
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    khtc, vp = assignment(db, assigned_small, "KHTC", 1), assignment(db, assigned_small, "VP", 1)
    assert khtc.due_at is not None
    assert khtc.due_at.astimezone(db.settings.tz).date() == later + timedelta(days=1)
    assert vp.due_at == khtc.due_at
    with db.reading() as session:
        directive = session.get(Directive, assigned_small)
        assert directive is not None
        timers = db.processes.waiting_timers(session, directive.process_instance_id or 0)
    overdue = {t.ref: t.due_at for t in timers if t.properties.get("notify") == "overdue"}
    assert overdue[str(khtc.id)] == khtc.due_at
    assert overdue[str(vp.id)] == khtc.due_at
    (event,) = events(db, assigned_small, "deadline_corrected")
    assert event.before["due_on"] == (today + timedelta(days=10)).isoformat()
    assert event.after == {"task": 1, "due_on": later.isoformat(), "due_text": "trước ngày X"}


def test_an_added_unit_gets_its_work_and_holds_the_end(db, users, today, assigned_small):
    fixed = with_task(as_is(db, assigned_small), 1, coordinating_units=("QLKH",))
    correct_directive(db, users["giamdoc"], assigned_small, fixed)
    added = assignment(db, assigned_small, "QLKH", 2)
    assert added.state == "assigned"
    assert added.lead_unit_code == "TTR"
    item = item_of(db, users["truong.qlkh"], "execute", task_no=2)
    (event,) = events(db, assigned_small, "unit_added")
    assert event.after == {"task": 2, "unit": "QLKH", "role": "coordinating"}
    _finish_all_but(db, users, skip="truong.qlkh")
    assert _status(db, assigned_small) == "in_progress"  # QLKH has not contributed yet
    steps.start_work(db, users["truong.qlkh"], item.work_item_id)
    contribute = item_of(db, users["truong.qlkh"], "contribute", task_no=2)
    steps.submit_contribution(db, users["truong.qlkh"], contribute.work_item_id, "ý kiến")
    acknowledge = item_of(db, users["truong.ttr"], "acknowledge", task_no=2)
    steps.acknowledge_contribution(db, users["truong.ttr"], acknowledge.work_item_id)
    assert _status(db, assigned_small) == "completed"


def test_a_removed_unit_leaves_the_inbox_with_its_reason(db, users, assigned_small) -> None:
    fixed = with_task(as_is(db, assigned_small), 0, coordinating_units=())
    with pytest.raises(InvalidInput) as no_reason:
        correct_directive(db, users["vanthu"], assigned_small, fixed)
    assert "reason" in no_reason.value.fields
    fixed = Correction(**{**fixed.__dict__, "reason": "Văn phòng không liên quan"})
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    vp = assignment(db, assigned_small, "VP", 1)
    assert vp.state == "cancelled"
    assert [i.task_no for i in items_for(db, users["truong.vp"])] == [3]  # task 1 has gone
    (event,) = events(db, assigned_small, "unit_removed")
    assert (event.before, event.detail) == (
        {"task": 1, "unit": "VP", "role": "coordinating"},
        "Văn phòng không liên quan",
    )
    detail = directive_detail(db, users["giamdoc"], assigned_small)
    shown = {a.unit_code: a.timeliness for a in detail.tasks[0].assignments}
    assert shown == {"KHTC": "in_term", "VP": "cancelled"}


def test_a_unit_that_completed_its_part_cannot_be_removed(db, users, assigned_small) -> None:
    execute = item_of(db, users["truong.vp"], "execute", task_no=3)
    steps.start_work(db, users["truong.vp"], execute.work_item_id)
    report = item_of(db, users["truong.vp"], "report", task_no=3)
    steps.submit_report(db, users["truong.vp"], report.work_item_id, "xong")
    accept = item_of(db, users["giamdoc"], "accept", task_no=3)
    steps.accept_report(db, users["giamdoc"], accept.work_item_id)
    fixed = with_task(as_is(db, assigned_small, reason="nhầm"), 2, lead_units=("KHTC",))
    before = snapshot(db)
    with pytest.raises(InvalidInput):
        correct_directive(db, users["vanthu"], assigned_small, fixed)
    assert snapshot(db) == before


def test_tasks_are_added_and_removed_while_running(db, users, today, assigned_small) -> None:
    fixed = as_is(db, assigned_small, reason="Gộp nhiệm vụ")
    new = TaskCorrection(None, TaskInput("Tổng hợp báo cáo", ("QLCN",), due_text="thường xuyên"))
    fixed = Correction(**{**fixed.__dict__, "tasks": (*fixed.tasks[:1], fixed.tasks[2], new)})
    correct_directive(db, users["phogiamdoc"], assigned_small, fixed)
    with db.reading() as session:
        removed = session.scalar(select(Task).where(Task.number == 2))
        added = session.scalar(select(Task).where(Task.number == 4))
        assert removed is not None
        assert removed.withdrawn_at is not None
        assert added is not None
        assert (added.content, added.due_on) == ("Tổng hợp báo cáo", None)
    assert assignment(db, assigned_small, "TTR", 2).state == "cancelled"
    assert assignment(db, assigned_small, "CCTDC", 2).state == "cancelled"
    assert item_of(db, users["truong.qlcn"], "execute", task_no=4)
    assert [e.after for e in events(db, assigned_small, "task_added")] == [
        {"number": 4, "content": "Tổng hợp báo cáo"}
    ]
    assert len(events(db, assigned_small, "task_removed")) == 1


def test_withdrawing_the_last_open_unit_completes_the_directive(db, users, assigned_small):
    _finish_all_but(db, users, skip_task=3)
    fixed = with_task(as_is(db, assigned_small, reason="không còn cần"), 2, lead_units=("KHTC",))
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    assert _status(db, assigned_small) == "in_progress"  # KHTC now has task 3 to do
    khtc = item_of(db, users["truong.khtc"], "execute", task_no=3)
    fixed = as_is(db, assigned_small, reason="bỏ")
    fixed = Correction(**{**fixed.__dict__, "tasks": fixed.tasks[:2]})
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    assert _status(db, assigned_small) == "completed"
    assert khtc.work_item_id not in {i.work_item_id for i in items_for(db, users["truong.khtc"])}


def test_before_assignment_only_rows_change(db, users, today) -> None:
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    fixed = as_is(db, directive_id, reason="sửa")
    fixed = with_task(fixed, 0, lead_units=("QLKH",), coordinating_units=("KHTC", "VP"))
    fixed = Correction(**{**fixed.__dict__, "tasks": fixed.tasks[:2]})
    correct_directive(db, users["vanthu"], directive_id, fixed)
    with db.reading() as session:
        units = session.execute(
            select(Task.number, Assignment.unit_code, Assignment.role, Assignment.state)
            .join(Task, Task.id == Assignment.task_id)
            .where(Assignment.directive_id == directive_id)
            .order_by(Task.number, Assignment.unit_code)
        ).all()
    assert units == [
        (1, "KHTC", "coordinating", "draft"),
        (1, "QLKH", "lead", "draft"),
        (1, "VP", "coordinating", "draft"),
        (2, "CCTDC", "lead", "draft"),
        (2, "TTR", "lead", "draft"),
    ]
    assign = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    assert item_of(db, users["truong.qlkh"], "execute", task_no=1)


def test_a_phrase_alone_sets_the_deadline_and_a_bad_one_is_refused(db, users, assigned_small):
    fixed = with_task(as_is(db, assigned_small), 2, due_on=None, due_text="trong quý IV")
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    with db.reading() as session:
        task = session.scalar(select(Task).where(Task.number == 3))
        assert task is not None
        assert task.due_text == "trong quý IV"
        assert task.due_on is not None
        assert (task.due_on.month, task.due_on.day) == (12, 31)
    wrong = with_task(as_is(db, assigned_small), 2, due_on=None, due_text="khi nào xong")
    with pytest.raises(InvalidInput) as refused:
        correct_directive(db, users["vanthu"], assigned_small, wrong)
    assert "tasks[3]" in refused.value.fields


def test_units_may_not_correct(db, users, assigned_small) -> None:
    from workflows.errors import RoleRequired

    with pytest.raises(RoleRequired):
        correct_directive(db, users["truong.khtc"], assigned_small, as_is(db, assigned_small))


def _status(db: Database, directive_id: int) -> str:
    with db.reading() as session:
        directive = session.get(Directive, directive_id)
        assert directive is not None
        return directive.status


def _finish_all_but(
    db: Database, users: dict[str, int], skip: str = "", skip_task: int = 0
) -> None:
    """Do every open step of the small directive except one unit head's, or one task's."""
    heads = ("truong.khtc", "truong.vp", "truong.ttr", "truong.cctdc")
    for _ in range(30):
        done = False
        for head in heads:
            for item in items_for(db, users[head]):
                if head != skip and item.task_no != skip_task:
                    _do(db, users[head], item)
                    done = True
        for item in items_for(db, users["giamdoc"], "accept"):
            if item.unit_code != skip.split(".")[-1].upper() and item.task_no != skip_task:
                steps.accept_report(db, users["giamdoc"], item.work_item_id)
                done = True
        if not done:
            return


def _do(db: Database, user_id: int, item: object) -> None:
    step, work_item = item.step, item.work_item_id  # type: ignore[attr-defined]
    if step == "execute":
        steps.start_work(db, user_id, work_item)
    elif step == "report":
        steps.submit_report(db, user_id, work_item, "xong")
    elif step == "contribute":
        steps.submit_contribution(db, user_id, work_item, "ý kiến")
    elif step == "acknowledge":
        steps.acknowledge_contribution(db, user_id, work_item)


def test_counting_and_search_follow_every_correction(db, users, today, assigned_small) -> None:
    """Oversight counts what a correction leaves: the moved deadline, the added unit, the
    withdrawn one (no longer counted from its withdrawal); search finds the new words."""
    later = today + timedelta(days=40)
    fixed = with_task(as_is(db, assigned_small, reason="điều chỉnh"), 0, due_on=later)
    fixed = with_task(fixed, 1, content="Kiểm tra đo lường xăng dầu", coordinating_units=("QLKH",))
    fixed = with_task(fixed, 2, lead_units=("KHTC",))  # VP withdrawn from task 3
    correct_directive(db, users["vanthu"], assigned_small, fixed)
    vp, khtc = assignment(db, assigned_small, "VP", 3), assignment(db, assigned_small, "KHTC", 1)
    qlkh = assignment(db, assigned_small, "QLKH", 2)
    with db.reading() as session:
        assert tallies.disagreements(session) == []
        items = {
            i.assignment_id: (i.due_at, i.cancelled_at) for i in session.scalars(select(DueItem))
        }
    assert items[khtc.id][0] == khtc.due_at
    assert khtc.due_at is not None
    assert khtc.due_at.astimezone(db.settings.tz).date() == later + timedelta(days=1)
    assert qlkh.id in items
    assert items[vp.id][1] == vp.cancelled_at
    assert vp.cancelled_at is not None
    found = list_directives(db, users["giamdoc"], DirectiveFilter(query="đo lường xăng"))
    assert [row.id for row in found.rows] == [assigned_small]
