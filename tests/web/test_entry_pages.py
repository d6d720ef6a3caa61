"""The entry page: a proposal from a pasted text, files kept across errors, drafts, templates,
corrections; and bad documents answered with a clear message, nothing saved, the server up."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.web.helpers import csrf_token
from workflows.db import Database
from workflows.tables import Attachment, Directive, DirectiveDraft, Event, Task

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TET = (FIXTURES / "00-tet-2020-lang-son.txt").read_text(encoding="utf-8")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directives(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Directive)) or 0


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def checked_units(html: str, row: int, kind: str = "lead_units") -> list[str]:
    pattern = rf'name="tasks-{row}-{kind}" value="(\w+)" id="[^"]+" autocomplete="off" checked'
    return re.findall(pattern, html)


def header(today: date, **fields: str) -> dict[str, str]:
    values = {
        "number": "15/KH-SKHCN",
        "kind": "ke_hoach",
        "issuer": "Sở Khoa học và Công nghệ tỉnh Lạng Sơn",
        "issued_on": today.isoformat(),
        "title": "Kế hoạch kiểm tra",
        "tasks-0-content": "Kiểm tra đo lường",
        "tasks-0-lead_units": "CCTDC",
        "tasks-0-reporting": "once",
    }
    values.update(fields)
    return values


def test_pasting_the_tet_text_proposes_its_ten_tasks(client_for, db: Database) -> None:
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    response = clerk.post(
        "/directives/new", data={"csrf_token": token, "action": "propose", "source_text": TET}
    )
    html = page_of(response)
    assert response.status_code == 200
    assert html.count("data-task-row>") == 10
    assert checked_units(html, 2) == ["KHTC"]
    assert set(checked_units(html, 2, "coordinating_units")) == {
        "VP",
        "TTR",
        "QLKH",
        "QLCN",
        "CCTDC",
        "TTUD",
    }
    assert set(checked_units(html, 4)) == {"TTR", "CCTDC"}
    assert "Trích từ văn bản" in html  # the source sentence beside each task
    assert directives(db) == 0  # nothing saved by a proposal


def test_a_bad_time_is_refused_in_the_readers_language(client_for, today) -> None:
    clerk = client_for("vanthu")
    data = {
        **header(today),
        "tasks-0-due_time": "25:99",
        "csrf_token": csrf_token(clerk, "/directives/new"),
    }
    response = clerk.post("/directives/new", data=data)
    html = page_of(response)
    assert response.status_code == 422
    assert '<div class="invalid-feedback">Giá trị giờ không hợp lệ.</div>' in html  # translated
    assert "Not a valid time value." not in html


def test_files_are_kept_across_a_validation_error(client_for, db: Database, today) -> None:
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    data = {**header(today, title=""), "csrf_token": token}
    data["attachments"] = [(io.BytesIO(PDF), "bien-ban.pdf"), (io.BytesIO(PDF), "phu-luc.pdf")]
    response = clerk.post("/directives/new", data=data, content_type="multipart/form-data")
    html = page_of(response)
    assert response.status_code == 422
    assert "bien-ban.pdf" in html
    assert "phu-luc.pdf" in html
    draft_token = re.search(r'name="draft_token" type="hidden" value="(\w+)"', html)
    assert draft_token is not None
    keys = re.findall(r'name="drop_file" value="(\w+)"', html)
    assert len(keys) == 2
    again = {
        **header(today),
        "csrf_token": token,
        "draft_token": draft_token.group(1),
        "drop_file": keys[1],  # the clerk unticks the second file
    }
    response = clerk.post("/directives/new", data=again)
    assert response.status_code == 302, page_of(response)[:2000]
    with db.reading() as session:
        names = list(session.scalars(select(Attachment.filename)))
    assert names == ["bien-ban.pdf"]


def test_a_draft_is_listed_reopened_and_finished(client_for, db: Database, today) -> None:
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    data = {**header(today, number="", title="Kế hoạch còn dở"), "csrf_token": token}
    data["tasks-0-due_text"] = "trước ngày 25/12"
    data.update(action="draft")
    response = clerk.post("/directives/new", data=data)
    assert response.status_code == 302
    drafts = page_of(clerk.get("/directives/drafts"))
    assert "Kế hoạch còn dở" in drafts
    (draft_id,) = re.findall(r"/directives/new\?draft=(\d+)", drafts)
    reopened = page_of(clerk.get(f"/directives/new?draft={draft_id}"))
    assert 'value="trước ngày 25/12"' in reopened
    assert checked_units(reopened, 0) == ["CCTDC"]
    assert directives(db) == 0  # a draft runs no process
    assert "Kế hoạch còn dở" not in page_of(client_for("giamdoc").get("/directives/drafts"))
    finish = {**data, "number": "16/KH-SKHCN", "action": "save", "draft_id": draft_id}
    response = clerk.post("/directives/new", data=finish)
    assert response.status_code == 302
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(DirectiveDraft)) == 0
        directive = session.scalar(select(Directive))
        assert directive is not None
        assert directive.number == "16/KH-SKHCN"


def test_a_correction_through_the_page_is_in_the_history(client_for, db: Database, today):
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    assert (
        clerk.post("/directives/new", data={**header(today), "csrf_token": token}).status_code
        == 302
    )
    with db.reading() as session:
        directive_id = session.scalar(select(Directive.id))
    page = page_of(clerk.get(f"/directives/{directive_id}/correct"))
    task_id = re.search(r'name="tasks-0-task_id" type="hidden" value="(\d+)"', page)
    assert task_id is not None
    later = today + timedelta(days=30)
    fixed = {
        **header(today, title="Kế hoạch kiểm tra (sửa)"),
        "csrf_token": token,
        "tasks-0-task_id": task_id.group(1),
        "tasks-0-due_on": later.isoformat(),
        "tasks-0-coordinating_units": "TTR",
    }
    response = clerk.post(f"/directives/{directive_id}/correct", data=fixed)
    assert response.status_code == 302, page_of(response)[:3000]
    detail = page_of(clerk.get(f"/directives/{directive_id}"))
    assert "Sửa thông tin văn bản" in detail
    assert "Kế hoạch kiểm tra (sửa)" in detail
    assert "Thêm đơn vị vào nhiệm vụ" in detail
    assert "Sửa thời hạn" in detail
    assert later.strftime("%d/%m/%Y") in detail
    with db.reading() as session:
        kinds = set(session.scalars(select(Event.kind)))
    assert {"directive_corrected", "deadline_corrected", "unit_added"} <= kinds


def test_the_time_field_sets_a_precise_deadline_and_a_bad_time_is_said_in_vietnamese(
    client_for, db: Database, today
) -> None:
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    due = today + timedelta(days=10)
    data = {**header(today), "csrf_token": token, "tasks-0-due_on": due.isoformat()}
    refused = clerk.post("/directives/new", data={**data, "tasks-0-due_time": "25:61"})
    assert refused.status_code == 422
    html = page_of(refused)
    assert "Giá trị giờ không hợp lệ." in html
    assert "Not a valid" not in html
    assert 'class="form-control is-invalid" id="tasks-0-due_time"' in html
    assert directives(db) == 0
    saved = clerk.post("/directives/new", data={**data, "tasks-0-due_time": "14:30"})
    assert saved.status_code == 302, page_of(saved)[:3000]
    with db.reading() as session:
        due_on, due_at = session.execute(select(Task.due_on, Task.due_at)).one()
    assert due_on == due
    assert due_at is not None
    local = due_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (local.date(), local.hour, local.minute) == (due, 14, 30)
    with db.reading() as session:
        directive_id = session.scalar(select(Directive.id))
    correcting = page_of(clerk.get(f"/directives/{directive_id}/correct"))
    assert 'name="tasks-0-due_time" type="time" value="14:30"' in correcting
    assert f"Hạn xử lý: {due:%d/%m/%Y} 14:30" in page_of(clerk.get(f"/directives/{directive_id}"))


def history_lines(detail: str, label: str) -> list[str]:
    """The history entries headed `label`, as text without tags."""
    found = []
    for start in [m.start() for m in re.finditer(re.escape(label), detail)]:
        item = detail[start : detail.find("</li>", start)]
        found.append(" ".join(re.sub(r"<[^>]+>", " ", item).split()))
    return found


def test_a_number_and_a_task_text_correction_show_old_and_new(client_for, db: Database, today):
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    entered = {**header(today), "csrf_token": token}
    assert clerk.post("/directives/new", data=entered).status_code == 302
    with db.reading() as session:
        directive_id = session.scalar(select(Directive.id))
    page = page_of(clerk.get(f"/directives/{directive_id}/correct"))
    task_id = re.search(r'name="tasks-0-task_id" type="hidden" value="(\d+)"', page)
    assert task_id is not None
    fixed = {
        **header(today, number="16/KH-SKHCN"),
        "csrf_token": token,
        "tasks-0-task_id": task_id.group(1),
        "tasks-0-content": "Kiểm tra đo lường xăng dầu tại các cửa hàng",
    }
    response = clerk.post(f"/directives/{directive_id}/correct", data=fixed)
    assert response.status_code == 302, page_of(response)[:3000]
    detail = page_of(clerk.get(f"/directives/{directive_id}"))
    (number_line,) = history_lines(detail, "Sửa thông tin văn bản")
    assert "15/KH-SKHCN" in number_line, number_line
    assert "16/KH-SKHCN" in number_line
    assert number_line.index("15/KH-SKHCN") < number_line.index("16/KH-SKHCN")
    (task_line,) = history_lines(detail, "Sửa nội dung nhiệm vụ")
    assert "Kiểm tra đo lường" in task_line, task_line
    assert "Kiểm tra đo lường xăng dầu tại các cửa hàng" in task_line
    with db.reading() as session:
        changes = {e.kind: (e.before or {}, e.after or {}) for e in session.scalars(select(Event))}
    assert changes["directive_corrected"][0]["number"] == "15/KH-SKHCN"
    assert changes["task_corrected"][1]["content"].endswith("tại các cửa hàng")


def test_a_template_starts_a_directive_with_moved_dates(client_for, db: Database, today):
    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    data = {**header(today, title=f"Kế hoạch Tết {today.year}"), "csrf_token": token}
    data["tasks-0-due_text"] = "trước Tết Nguyên đán"
    assert clerk.post("/directives/new", data=data).status_code == 302
    with db.reading() as session:
        directive_id = session.scalar(select(Directive.id))
    response = clerk.post(
        f"/directives/{directive_id}/template", data={"csrf_token": token, "name": "Kế hoạch Tết"}
    )
    assert response.status_code == 302
    listing = page_of(clerk.get("/directives/templates"))
    (template_id,) = re.findall(r'name="template" value="(\d+)"', listing)
    next_year = today.replace(year=today.year + 1) if today.month != 2 else today + timedelta(365)
    start = page_of(
        clerk.get(f"/directives/new?template={template_id}&issued_on={next_year.isoformat()}")
    )
    assert f"Kế hoạch Tết {next_year.year}" in start
    assert 'value="trước Tết Nguyên đán"' in start
    due = re.search(r'name="tasks-0-due_on" type="date" value="([\d-]+)"', start)
    assert due is not None
    assert date.fromisoformat(due.group(1)) > next_year


def test_the_spreadsheet_template_round_trips(client_for, db: Database) -> None:
    clerk = client_for("vanthu")
    response = clerk.get("/directives/import-template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Nhiệm vụ"]
    sheet.append([1, "Rà soát dự toán kinh phí", "Phòng KH-TC", "VP Sở", "25/12/2030"])
    sheet.append([2, "Kiểm tra cân tại chợ", "Chi cục TĐC", "", "thường xuyên"])
    filled = io.BytesIO()
    book.save(filled)
    token = csrf_token(clerk, "/directives/new")
    data = {"csrf_token": token, "action": "propose"}
    data["source_file"] = (io.BytesIO(filled.getvalue()), "nhiem-vu.xlsx")
    html = page_of(clerk.post("/directives/new", data=data, content_type="multipart/form-data"))
    assert checked_units(html, 0) == ["KHTC"]
    assert checked_units(html, 0, "coordinating_units") == ["VP"]
    assert 'name="tasks-0-due_on" type="date" value="2030-12-25"' in html
    assert checked_units(html, 1) == ["CCTDC"]


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 500_000_000)
    return out.getvalue()


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _many_tasks() -> bytes:
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Thực hiện nhiệm vụ năm 2024")
    for number in range(1, 2001):
        document.add_paragraph(f"{number}. Phòng KH-TC rà soát nội dung số {number} của kế hoạch.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ENGLISH = (
    "1. The Finance Division shall review the budget estimates before 25 October.\n"
    "2. The Office shall prepare the annual conference and report to the Director.\n"
) * 5
BAD = [
    ("trong.txt", b"", "là tệp rỗng"),
    ("qua-lon.pdf", b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024), "tối đa 10 MB"),
    ("scan.pdf", None, "không có lớp văn bản"),
    ("bom.docx", None, "giải nén lớn hơn"),
    ("english.txt", ENGLISH.encode(), "không giống tiếng Việt"),
    ("2000.docx", None, "tối đa 200"),
]


@pytest.mark.parametrize(("name", "data", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_documents_get_a_clear_message_and_save_nothing(
    app: Flask, client_for, db: Database, name: str, data: bytes | None, says: str
) -> None:
    made = {"scan.pdf": _blank_pdf, "bom.docx": _zip_bomb, "2000.docx": _many_tasks}
    content = data if data is not None else made[name]()
    clerk: FlaskClient = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    fields = MultiDict({"csrf_token": token, "action": "propose"})
    fields.add("source_file", FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(fields)  # bytes: no spooled file left to the collector
    response = clerk.post(
        "/directives/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 422
    assert says in page_of(response)
    assert directives(db) == 0
    assert app.test_client().get("/healthz").status_code == 200
    assert clerk.get("/directives/new").status_code == 200  # the server still serves
