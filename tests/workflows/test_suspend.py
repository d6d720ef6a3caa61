"""Suspending and resuming a directive: no step, no timer while held; everything back after."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.tables import ProcessInstance
from tests.helpers import item_of, items_for, snapshot
from tests.workflows.conftest import small_directive
from workflows import directives, timers
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.errors import DirectiveNotActive, InvalidInput, RoleRequired
from workflows.read import detail as queries
from workflows.steps import unit_work as steps
from workflows.tables import Directive


def _status(db: Database, directive_id: int) -> tuple[str, str]:
    with db.reading() as session:
        directive = session.get(Directive, directive_id)
        assert directive is not None
        assert directive.process_instance_id is not None
        instance = session.get(ProcessInstance, directive.process_instance_id)
        assert instance is not None
        return directive.status, instance.status


def test_a_suspended_directive_takes_no_step_until_it_resumes(
    db: Database, users, assigned_small: int
) -> None:
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    directives.suspend_directive(db, users["giamdoc"], assigned_small, "Chờ ý kiến UBND tỉnh")
    assert _status(db, assigned_small) == ("suspended", "suspended")
    assert items_for(db, users["cv.khtc"]) == []  # its steps leave the inbox
    before = snapshot(db)
    with pytest.raises(DirectiveNotActive) as refused:
        steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    assert "suspended" in str(refused.value)
    assert snapshot(db) == before

    directives.resume_directive(db, users["giamdoc"], assigned_small, "Đã có ý kiến")
    assert _status(db, assigned_small) == ("in_progress", "running")
    assert item_of(db, users["cv.khtc"], "execute", task_no=1).work_item_id == execute.work_item_id
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    history = queries.history_of(db, users["giamdoc"], assigned_small)
    held = [(e.kind, e.detail) for e in history if e.kind.startswith("directive_")]
    assert ("directive_suspended", "Chờ ý kiến UBND tỉnh") in held
    assert ("directive_resumed", "Đã có ý kiến") in held


def test_a_directive_awaiting_assignment_resumes_awaiting_assignment(
    db: Database, users, today: date
) -> None:
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.suspend_directive(db, users["admin"], directive_id, "Văn bản cần đính chính")
    assert items_for(db, users["giamdoc"], "assign") == []
    directives.resume_directive(db, users["admin"], directive_id, "Đã đính chính")
    assert _status(db, directive_id) == ("assigning", "running")
    assert len(items_for(db, users["giamdoc"], "assign")) == 1


def test_timers_wait_while_suspended_and_fire_after_resuming(
    db: Database, users, today: date
) -> None:
    due = datetime.now(UTC) + timedelta(seconds=1)
    data = replace(
        small_directive(today, "7/HOLD"),
        tasks=(TaskInput("Gấp", ("QLKH",), (), due.date(), due_at=due),),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    directives.suspend_directive(db, users["giamdoc"], directive_id, "Tạm dừng")
    time.sleep(1.2)
    assert timers.fire_due_timers(db) == 0
    kinds = {e.kind for e in queries.history_of(db, users["giamdoc"], directive_id)}
    assert "timer_overdue" not in kinds
    directives.resume_directive(db, users["giamdoc"], directive_id, "Tiếp tục")
    assert timers.fire_due_timers(db) >= 1
    kinds = {e.kind for e in queries.history_of(db, users["giamdoc"], directive_id)}
    assert "timer_overdue" in kinds


def test_a_suspended_directive_can_be_cancelled(db: Database, users, assigned_small: int) -> None:
    directives.suspend_directive(db, users["giamdoc"], assigned_small, "Tạm dừng")
    directives.cancel_directive(db, users["giamdoc"], assigned_small, "Thu hồi văn bản")
    assert _status(db, assigned_small) == ("cancelled", "cancelled")
    with pytest.raises(DirectiveNotActive):
        directives.resume_directive(db, users["giamdoc"], assigned_small, "Tiếp tục")


def test_refusals_change_nothing(db: Database, users, assigned_small: int) -> None:
    before = snapshot(db)
    with pytest.raises(RoleRequired):
        directives.suspend_directive(db, users["truong.khtc"], assigned_small, "Lý do")
    with pytest.raises(InvalidInput):
        directives.suspend_directive(db, users["giamdoc"], assigned_small, "   ")
    with pytest.raises(InvalidInput):
        directives.suspend_directive(db, users["giamdoc"], assigned_small, "x" * 2_001)
    with pytest.raises(DirectiveNotActive):
        directives.resume_directive(db, users["giamdoc"], assigned_small, "Chưa tạm dừng")
    assert snapshot(db) == before
    directives.suspend_directive(db, users["giamdoc"], assigned_small, "Lần một")
    with pytest.raises(DirectiveNotActive):
        directives.suspend_directive(db, users["giamdoc"], assigned_small, "Lần hai")
    with db.reading() as session:
        kinds = session.scalars(
            select(Directive.status).where(Directive.id == assigned_small)
        ).all()
    assert kinds == ["suspended"]
