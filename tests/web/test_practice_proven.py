"""The practice as it works, each part proven: inbox rows name the unit and the time waited,
any officer drafts when the unit allows it, a diagram without the sign-off sends an officer's
report straight to the leader, an officer's periodic report goes through the sign-off."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from engine import WorkItem, utcnow
from tests.helpers import item_of, items_for
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.organisation import units
from workflows.read import detail as queries
from workflows.steps import unit_work as steps
from workflows.tables import Unit

BEFORE_SIGN_OFF = (
    Path(__file__).resolve().parents[1] / "fixtures" / "diagrams" / "directive-before-sign-off.bpmn"
)


def _assigned(db: Database, users: dict[str, int], today: date, **changes: object) -> int:
    directive_id = directives.create_directive(
        db, users["vanthu"], replace(small_directive(today), **changes)
    )
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    return directive_id


def _report(db: Database, head: int, task_no: int) -> None:
    execute = item_of(db, head, "execute", task_no=task_no)
    steps.start_work(db, head, execute.work_item_id)
    report = item_of(db, head, "report", task_no=task_no)
    steps.submit_report(db, head, report.work_item_id, "Đã xong")


def _waiting_since(db: Database, work_item_id: str, since: datetime) -> None:
    """Time passes: the step has been ready since then."""

    def run(session) -> None:
        item = session.get(WorkItem, work_item_id)
        item.created_at = since

    db.command(run)


def test_inbox_rows_name_the_unit_and_how_long_they_waited(
    db: Database, users, today: date, client_for
) -> None:
    _assigned(db, users, today)
    _report(db, users["truong.ttr"], 2)
    _report(db, users["truong.cctdc"], 2)
    for item in items_for(db, users["giamdoc"], "accept"):
        hours = 73 if item.unit_code == "TTR" else 5
        _waiting_since(db, item.work_item_id, utcnow() - timedelta(hours=hours, minutes=5))
    inbox = client_for("giamdoc").get("/inbox?step=accept").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", inbox, re.S)
    accept_rows = [r for r in rows if "Duyệt báo cáo" in r]
    assert len(accept_rows) == 2
    by_unit = {
        unit: next(r for r in accept_rows if unit in r)
        for unit in ("Thanh tra Sở", "Chi cục Tiêu chuẩn Đo lường Chất lượng")
    }
    assert "đã chờ 3 ngày" in by_unit["Thanh tra Sở"]
    assert "đã chờ 5 giờ" in by_unit["Chi cục Tiêu chuẩn Đo lường Chất lượng"]
    assert not any('data-label="Đơn vị">—' in r for r in accept_rows)


def test_any_officer_drafts_when_the_unit_allows_it(db: Database, users, today: date) -> None:
    _assigned(db, users, today)
    officer, head = users["cv.khtc"], users["truong.khtc"]
    steps.start_work(db, head, item_of(db, head, "execute", task_no=1).work_item_id)
    assert items_for(db, officer, "report") == []  # nobody was handed the work: the head writes
    with db.reading() as session:
        khtc = session.scalars(select(Unit).where(Unit.code == "KHTC")).one()
        khtc_id, name = khtc.id, khtc.name
    units.update_unit(db, users["admin"], khtc_id, name=name, active=True, any_officer_drafts=True)
    report = item_of(db, officer, "report", task_no=1)
    steps.submit_report(db, officer, report.work_item_id, "Dự thảo của chuyên viên")
    sign = item_of(db, head, "sign_off", task_no=1)  # the officer's draft: the head signs it off
    steps.sign_off(db, head, sign.work_item_id, True)
    assert item_of(db, users["phogiamdoc"], "accept", task_no=1).unit_code == "KHTC"


def test_without_the_sign_off_step_an_officers_report_goes_straight_to_the_leader(
    db: Database, users, today: date
) -> None:
    xml = BEFORE_SIGN_OFF.read_bytes()
    db.command(lambda s: db.processes.save_model(s, "directive", xml, author="admin", publish=True))
    directive_id = _assigned(db, users, today)
    officer, head = users["cv.khtc"], users["truong.khtc"]
    execute = item_of(db, head, "execute", task_no=1)
    steps.hand_over(db, head, execute.assignment_id or 0, officer)
    steps.start_work(db, officer, execute.work_item_id)
    report = item_of(db, officer, "report", task_no=1)
    steps.submit_report(db, officer, report.work_item_id, "Báo cáo của chuyên viên")
    assert items_for(db, head, "sign_off") == []
    accept = item_of(db, users["phogiamdoc"], "accept", task_no=1)
    assert accept.unit_code == "KHTC"
    detail = queries.directive_detail(db, users["giamdoc"], directive_id)
    khtc = next(a for a in detail.tasks[0].assignments if a.unit_code == "KHTC")
    assert khtc.state == "reported"
    assert [r.text for r in khtc.reports] == ["Báo cáo của chuyên viên"]


def test_an_officers_periodic_report_goes_through_the_sign_off_each_period(
    db: Database, users, today: date
) -> None:
    monthly = TaskInput(
        "Báo cáo tình hình hằng tháng",
        ("QLCN",),
        (),
        None,
        "monthly",
        reporting_until=today + timedelta(days=62),
    )
    directive_id = _assigned(db, users, today, tasks=(monthly,))
    officer, head, leader = users["cv.qlcn"], users["truong.qlcn"], users["giamdoc"]
    execute = item_of(db, head, "execute")
    steps.hand_over(db, head, execute.assignment_id or 0, officer)
    steps.start_work(db, officer, execute.work_item_id)
    for period in (1, 2):
        report = item_of(db, officer, "report")
        steps.submit_report(db, officer, report.work_item_id, f"Dự thảo kỳ {period}")
        assert items_for(db, leader, "accept") == []  # not before the head signs it off
        sign = item_of(db, head, "sign_off")
        steps.sign_off(db, head, sign.work_item_id, True, text=f"Báo cáo kỳ {period}")
        steps.accept_report(db, leader, item_of(db, leader, "accept").work_item_id)
    detail = queries.directive_detail(db, leader, directive_id)
    (qlcn,) = detail.tasks[0].assignments
    assert [r.text for r in qlcn.reports][:2] == ["Báo cáo kỳ 1", "Báo cáo kỳ 2"]
