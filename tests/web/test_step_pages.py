"""Step pages through the test client: success lands on the inbox, stale forms keep the text."""

from __future__ import annotations

import io
import re

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.helpers import item_of, snapshot
from tests.web.helpers import csrf_token
from workflows.read import detail as queries
from workflows.steps import unit_work as steps

PDF = b"%PDF-1.4\n%%EOF\n"


def _post(client, path: str, data: dict, **kwargs):
    token = csrf_token(client, path)
    if kwargs.pop("content_type", None) != "multipart/form-data":
        return client.post(path, data={**data, "csrf_token": token}, **kwargs)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    fields = MultiDict({**data, "csrf_token": token})
    files = fields.poplist("attachments")
    for stream, name in files:
        fields.add("attachments", FileStorage(stream, filename=name))
    boundary, body = encode_multipart(fields)
    return client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs
    )


def test_a_step_done_lands_on_the_inbox_with_a_confirmation(
    client_for, db, users, assigned_small
) -> None:
    client = client_for("cv.khtc")
    item = item_of(db, users["cv.khtc"], "execute", task_no=1)
    response = _post(client, f"/work/{item.work_item_id}", {"note": "đã phân công"})
    assert response.headers["Location"] == "/inbox"
    page = client.get("/inbox").get_data(as_text=True)
    assert "Đã bắt đầu thực hiện." in page


def test_a_stale_form_says_who_did_it_and_keeps_what_was_typed(
    client_for, db, users, assigned_small
) -> None:
    item = item_of(db, users["cv.khtc"], "execute", task_no=1)
    path = f"/work/{item.work_item_id}"
    first, second = client_for("truong.khtc"), client_for("cv.khtc")
    second_token = csrf_token(second, path)  # the second person opened the form too
    assert _post(first, path, {"note": "tôi làm"}).status_code == 302
    before = snapshot(db)
    typed = "Ghi chú dài mà tôi đã gõ <script>alert(1)</script>"
    response = second.post(path, data={"note": typed, "csrf_token": second_token})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Trưởng phòng (KHTC)" in html
    assert "Ghi chú dài mà tôi đã gõ &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert snapshot(db) == before


def test_invalid_input_is_shown_next_to_the_form_and_changes_nothing(
    client_for, db, users, assigned_small
) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    steps.submit_report(
        db, users["truong.khtc"], item_of(db, users["truong.khtc"], "report").work_item_id, "xong"
    )
    accept = item_of(db, users["giamdoc"], "accept", task_no=1)
    before = snapshot(db)
    response = _post(
        client_for("giamdoc"),
        f"/work/{accept.work_item_id}",
        {"decision": "return", "comment": "  "},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nêu lý do trả lại báo cáo" in html
    assert "reason" not in re.sub(r"<[^>]+>", "", html)
    assert snapshot(db) == before


def test_report_with_evidence_files_and_who_may_download_them(
    client_for, db, users, assigned_small, upload_dir
) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    report = item_of(db, users["truong.khtc"], "report")
    client = client_for("truong.khtc")
    files = {
        "text": "Kết quả",
        "confirm": "y",  # before the coordinating unit VP has contributed
        "attachments": [(io.BytesIO(PDF), "../../etc/Biên bản kiểm tra.PDF")],
    }
    response = _post(
        client, f"/work/{report.work_item_id}", files, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    detail = queries.directive_detail(db, users["giamdoc"], assigned_small)
    (attachment,) = detail.attachments
    assert attachment.filename == "Biên bản kiểm tra.pdf"
    assert list(upload_dir.iterdir())[0].name != attachment.filename
    download = client_for("cv.khtc").get(f"/files/{attachment.id}")
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    assert client_for("truong.qlkh").get(f"/files/{attachment.id}").status_code == 403


def test_a_disguised_or_forbidden_upload_is_refused_and_nothing_is_kept(
    client_for, db, users, assigned_small, upload_dir
) -> None:
    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id)
    report = item_of(db, users["truong.khtc"], "report")
    client = client_for("truong.khtc")
    before = snapshot(db)
    for name, content in (
        ("virus.exe", b"MZ..."),
        ("hoa-don.pdf", b"<html>not a pdf</html>"),
        ("rong.pdf", b""),
    ):
        data = {"text": "Kết quả", "confirm": "y", "attachments": [(io.BytesIO(content), name)]}
        response = _post(
            client, f"/work/{report.work_item_id}", data, content_type="multipart/form-data"
        )
        assert response.status_code == 422, name
        assert name in response.get_data(as_text=True)
    assert snapshot(db) == before
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_uploads_over_the_limit_are_refused(
    db_url, tmp_path, passwords, db, users, assigned_small
) -> None:
    from tests.web.helpers import sign_in
    from web.app import create_app

    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path / "small"),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "t",
            "DONDOC_RATE_LIMITS": "0",
            "DONDOC_MAX_UPLOAD_MB": "1",
        }
    )
    try:
        steps.start_work(
            db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id
        )
        path = f"/work/{item_of(db, users['truong.khtc'], 'report').work_item_id}"
        client = app.test_client()
        sign_in(client, "truong.khtc", passwords["truong.khtc"])
        big = PDF + b"0" * (2 * 1024 * 1024)
        one = _post(
            client,
            path,
            {"text": "x", "confirm": "y", "attachments": [(io.BytesIO(big), "lon.pdf")]},
            content_type="multipart/form-data",
        )
        assert one.status_code == 422
        assert "1 MB" in one.get_data(as_text=True)
        huge = PDF + b"0" * (12 * 1024 * 1024)
        too_much = _post(
            client,
            path,
            {"text": "x", "confirm": "y", "attachments": [(io.BytesIO(huge), "rat-lon.pdf")]},
            content_type="multipart/form-data",
        )
        assert too_much.status_code == 413
        assert "quá lớn" in too_much.get_data(as_text=True)
    finally:
        app.extensions["dondoc.db"].dispose()


def test_an_extension_request_from_the_step_page_to_the_leaders_decision(
    client_for, db, users, assigned_small, today
) -> None:
    from datetime import timedelta

    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    head = client_for("truong.khtc")
    page = head.get(f"/work/{execute.work_item_id}").get_data(as_text=True)
    assert "Gửi đề nghị" in page
    wanted = (today + timedelta(days=40)).isoformat()
    response = _post(
        head,
        f"/assignments/{execute.assignment_id}/extension",
        {
            "proposed_due_on": wanted,
            "reason": "Chờ số liệu",
            "back": f"/work/{execute.work_item_id}",
        },
    )
    assert response.status_code == 302
    page = head.get(f"/work/{execute.work_item_id}").get_data(as_text=True)
    assert "chờ duyệt" in page
    assert "Gửi đề nghị" not in page  # one pending request at a time
    leader = client_for("giamdoc")
    inbox = leader.get("/inbox").get_data(as_text=True)
    decide = re.search(r'href="(/extensions/\d+)"', inbox).group(1)
    refused = _post(leader, decide, {"decision": "refuse", "reason": ""})
    assert refused.status_code == 422
    granted = _post(leader, decide, {"decision": "grant", "due_on": wanted, "reason": ""})
    assert granted.status_code == 302
    detail = leader.get(f"/directives/{assigned_small}").get_data(as_text=True)
    assert "đồng ý gia hạn đến" in detail
    assert "gia hạn từ" in detail
