"""Coordination before reporting: who has not contributed, the confirmation, a withdrawn unit."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import item_of
from tests.web.helpers import csrf_token
from tests.workflows.test_corrections import as_is, with_task
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.entry.corrections import Correction, correct_directive
from workflows.read.work_item import work_item_page
from workflows.steps import unit_work as steps

CONFIRM = "đánh dấu ô xác nhận để báo cáo trước khi có đủ ý kiến phối hợp"


def _post(client, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/inbox")})


def _two_coordinating(db: Database, users, today: date) -> int:
    """One task led by KHTC, with VP and TTR coordinating; assigned by the director."""
    data = DirectiveInput(
        number="61/TB-SKHCN",
        kind="thong_bao_ket_luan",
        issuer="Sở Khoa học và Công nghệ tỉnh Lạng Sơn",
        issued_on=today,
        title="Kết luận họp giao ban",
        tasks=(
            TaskInput("Rà soát dự toán", ("KHTC",), ("VP", "TTR"), today + timedelta(days=10)),
            TaskInput("Báo cáo tiến độ", ("QLKH",), (), today + timedelta(days=10)),
        ),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    return directive_id


def _contribute(db: Database, users, unit: str) -> None:
    head = users[f"truong.{unit.lower()}"]
    steps.start_work(db, head, item_of(db, head, "execute", task_no=1).work_item_id)
    contribute = item_of(db, head, "contribute", task_no=1)
    steps.submit_contribution(db, head, contribute.work_item_id, f"Ý kiến của {unit}")


def test_reporting_before_a_contribution_asks_for_a_confirmation(
    db: Database, users, today: date, client_for
) -> None:
    _two_coordinating(db, users, today)
    head = users["truong.khtc"]
    steps.start_work(db, head, item_of(db, head, "execute", task_no=1).work_item_id)
    report = item_of(db, head, "report", task_no=1)
    client = client_for("truong.khtc")
    page = client.get(f"/work/{report.work_item_id}").get_data(as_text=True)
    assert "data-missing-contributions" in page
    assert "Văn phòng Sở" in page
    assert "Thanh tra Sở" in page
    refused = _post(client, f"/work/{report.work_item_id}", {"text": "Đã rà soát"})
    assert refused.status_code == 422
    assert CONFIRM in refused.get_data(as_text=True)
    assert item_of(db, head, "report", task_no=1).work_item_id == report.work_item_id
    confirmed = _post(
        client, f"/work/{report.work_item_id}", {"text": "Đã rà soát", "confirm": "y"}
    )
    assert confirmed.status_code == 302
    assert item_of(db, users["giamdoc"], "accept", task_no=1).unit_code == "KHTC"


def test_a_withdrawn_coordinating_unit_is_not_waited_for(
    db: Database, users, today: date, client_for
) -> None:
    directive_id = _two_coordinating(db, users, today)
    fixed = with_task(as_is(db, directive_id), 0, coordinating_units=("TTR",))
    correct_directive(
        db,
        users["vanthu"],
        directive_id,
        Correction(**{**fixed.__dict__, "reason": "Không liên quan"}),
    )
    head, officer = users["truong.khtc"], users["cv.khtc"]
    execute = item_of(db, head, "execute", task_no=1)
    steps.hand_over(db, head, execute.assignment_id or 0, officer)
    steps.start_work(db, officer, execute.work_item_id)
    report = item_of(db, officer, "report", task_no=1)
    assert work_item_page(db, officer, report.work_item_id).missing == ("Thanh tra Sở",)
    _contribute(db, users, "TTR")
    assert work_item_page(db, officer, report.work_item_id).missing == ()
    drafted = _post(client_for("cv.khtc"), f"/work/{report.work_item_id}", {"text": "Dự thảo"})
    assert drafted.status_code == 302  # no confirmation asked: nobody is left to contribute
    sign = item_of(db, head, "sign_off", task_no=1)
    assert work_item_page(db, head, sign.work_item_id).missing == ()
    assert "Văn phòng Sở" not in client_for("truong.khtc").get(
        f"/work/{sign.work_item_id}"
    ).get_data(as_text=True)
    steps.sign_off(db, head, sign.work_item_id, True)
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    assert work_item_page(db, users["giamdoc"], accept.work_item_id).missing == ()
    shown = client_for("giamdoc").get(f"/work/{accept.work_item_id}").get_data(as_text=True)
    assert "Ý kiến của TTR" in shown
    assert "Văn phòng Sở" not in shown
