"""What a person needs on the page: errors where they act, files served inline for previews,
the history telling deadline changes and hand-overs (issue 13)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import item_of
from tests.web.helpers import csrf_token
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.read import detail as queries
from workflows.steps import unit_work as steps

PDF = b"%PDF-1.4\n%%EOF\n"
DOCX = b"PK\x03\x04 docx"


def _post(client, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/inbox")})


def test_a_refused_extension_request_stays_on_the_step_page(
    db: Database, users, assigned_small, client_for
) -> None:
    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    head = client_for("truong.khtc")
    refused = _post(
        head,
        f"/assignments/{execute.assignment_id}/extension",
        {"proposed_due_on": "", "reason": "", "back": f"/work/{execute.work_item_id}"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Hạn đề nghị" in html  # the field's name, in Vietnamese (not proposed_due_on)
    assert "proposed_due_on:" not in html  # no raw field id in the problems box
    assert "Trường này là bắt buộc." in html  # WTForms' message, translated
    assert 'action="/assignments/' in html  # the step page itself, its request form open
    assert "Bắt đầu thực hiện" in html or "Thực hiện" in html


def test_a_decision_without_a_choice_says_so_on_the_page(
    db: Database, users, assigned_small, client_for
) -> None:
    steps.start_work(db, users["cv.ttr"], item_of(db, users["cv.ttr"], "execute", 2).work_item_id)
    report = item_of(db, users["truong.ttr"], "report", task_no=2)
    steps.submit_report(db, users["truong.ttr"], report.work_item_id, "xong")
    accept = item_of(db, users["giamdoc"], "accept", task_no=2)
    leader = client_for("giamdoc")
    answer = _post(leader, f"/work/{accept.work_item_id}", {"comment": ""})
    assert answer.status_code == 422
    assert 'role="alert">Trường này là bắt buộc.</div>' in answer.get_data(as_text=True)


def test_files_are_served_inline_only_when_they_can_be_previewed(
    db: Database, users, today: date, client_for
) -> None:
    directive_id = directives.create_directive(
        db,
        users["vanthu"],
        small_directive(today, "51/TB"),
        uploads=[Upload("bien-ban.pdf", PDF), Upload("du-toan.docx", DOCX)],
    )
    pdf, docx = queries.directive_detail(db, users["giamdoc"], directive_id).attachments
    clerk = client_for("vanthu")
    shown = clerk.get(f"/files/{pdf.id}/view")
    assert shown.status_code == 200
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert shown.mimetype == "application/pdf"
    shown.close()
    assert clerk.get(f"/files/{docx.id}/view").status_code == 404  # no preview: download it
    assert client_for("truong.qlkh").get(f"/files/{pdf.id}/view").status_code in (403, 404)


def test_the_history_tells_deadline_changes_hand_overs_and_instructions(
    db: Database, users, today: date, client_for
) -> None:
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today, "52/TB"))
    assign = item_of(db, users["giamdoc"], "assign")
    later = today + timedelta(days=30)
    tasks = (
        TaskInput(
            "Rà soát dự toán", ("KHTC",), ("VP",), later, instruction="Ưu tiên số liệu quý IV"
        ),
        TaskInput("Kiểm tra đo lường", ("TTR", "CCTDC"), (), today + timedelta(days=20)),
        TaskInput("Báo cáo thường xuyên", ("VP",), (), None),
    )
    directives.assign_directive(
        db, users["giamdoc"], assign.work_item_id, tasks, instruction="Khẩn trương triển khai"
    )
    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    steps.hand_over(db, users["truong.khtc"], execute.assignment_id or 0, users["cv.khtc"])
    page = client_for("cv.khtc").get(f"/work/{execute.work_item_id}").get_data(as_text=True)
    assert "Khẩn trương triển khai" in page
    assert "Ưu tiên số liệu quý IV" in page
    detail = client_for("giamdoc").get(f"/directives/{directive_id}").get_data(as_text=True)
    old = (today + timedelta(days=10)).strftime("%d/%m/%Y")
    assert f"Nhiệm vụ 1: {old} → {later.strftime('%d/%m/%Y')}" in detail
    assert "Đổi hạn xử lý khi giao nhiệm vụ" in detail
    assert "cho Chuyên viên (KHTC)" in detail
