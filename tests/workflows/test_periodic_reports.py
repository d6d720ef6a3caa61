"""Periodic reporting: each NĐ 09/2019 period opens a report step with its own deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.helpers import item_of, items_for
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.errors import InvalidInput
from workflows.read import detail as queries
from workflows.rules.calendar import WorkCalendar, reporting_windows
from workflows.steps import unit_work as steps


def _monthly(today: date, months: int) -> TaskInput:
    return TaskInput(
        "Báo cáo tình hình hằng tháng",
        ("QLCN",),
        (),
        None,
        "monthly",
        reporting_until=today + timedelta(days=31 * months),
    )


def test_each_period_opens_its_own_report_step_until_the_last(
    db: Database, users, today: date
) -> None:
    task = _monthly(today, 3)
    windows = reporting_windows("monthly", today, task.reporting_until, WorkCalendar())
    assert len(windows) >= 3
    data = replace(small_directive(today), tasks=(task,))
    directive_id = directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(db, users["cv.qlcn"], item_of(db, users["cv.qlcn"], "execute").work_item_id)
    seen = []
    for period in range(len(windows)):
        report = item_of(db, users["truong.qlcn"], "report")
        seen.append(report.due_at.astimezone(db.settings.tz).date())
        steps.submit_report(db, users["truong.qlcn"], report.work_item_id, f"Kỳ {period + 1}")
        steps.accept_report(
            db, users["giamdoc"], item_of(db, users["giamdoc"], "accept").work_item_id
        )
    assert seen == [w.due_on + timedelta(days=1) for w in windows]  # due: end of that day
    assert items_for(db, users["truong.qlcn"]) == []
    detail = queries.directive_detail(db, users["giamdoc"], directive_id)
    (qlcn,) = detail.tasks[0].assignments
    assert qlcn.state == "accepted"
    assert [r.text for r in qlcn.reports] == [f"Kỳ {i + 1}" for i in range(len(windows))]
    assert detail.status == "completed"


def test_a_returned_period_report_is_redone_for_the_same_period(
    db: Database, users, today: date
) -> None:
    data = replace(small_directive(today), tasks=(_monthly(today, 2),))
    directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(db, users["cv.qlcn"], item_of(db, users["cv.qlcn"], "execute").work_item_id)
    first = item_of(db, users["truong.qlcn"], "report")
    steps.submit_report(db, users["truong.qlcn"], first.work_item_id, "thiếu")
    steps.return_report(
        db,
        users["giamdoc"],
        item_of(db, users["giamdoc"], "accept").work_item_id,
        "Bổ sung số liệu",
    )
    assert items_for(db, users["cv.qlcn"], "execute") == []  # the redo starts at the report
    again = item_of(db, users["truong.qlcn"], "report")
    assert again.due_at == first.due_at


@pytest.mark.parametrize("until_days", [None, -1])
def test_periodic_reporting_needs_a_future_end_date(
    db: Database, users, today: date, until_days: int | None
) -> None:
    until = None if until_days is None else today + timedelta(days=until_days)
    task = TaskInput("x", ("QLCN",), (), None, "quarterly", reporting_until=until)
    with pytest.raises(InvalidInput) as caught:
        directives.create_directive(
            db, users["vanthu"], replace(small_directive(today), tasks=(task,))
        )
    assert "end date" in caught.value.fields["tasks[1]"]


def test_a_task_can_set_its_own_cut_off_and_lag(db: Database, users, today: date) -> None:
    task = replace(_monthly(today, 2), report_cutoff_day=20, report_lag_days=3)
    windows = reporting_windows(
        "monthly", today, task.reporting_until, WorkCalendar(), cutoff_day=20, days_after_cutoff=3
    )
    data = replace(small_directive(today), tasks=(task,))
    directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    execute = item_of(db, users["cv.qlcn"], "execute")
    assert execute.due_at.astimezone(db.settings.tz).date() == windows[0].due_on + timedelta(days=1)
    assert all(w.cutoff.day == 20 for w in windows)
    with pytest.raises(InvalidInput):
        directives.create_directive(
            db,
            users["vanthu"],
            replace(small_directive(today, "2/X"), tasks=(replace(task, report_cutoff_day=31),)),
        )
