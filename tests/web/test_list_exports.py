"""List exports speak the reader's language and say when they were cut; the statistics API's
range errors are domain messages with a Vietnamese text in the catalogue."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.web.test_oversight_pages import late  # noqa: F401 - the fixture
from web.pages import oversight, oversight_args
from workflows import directives, set_language
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput

Client = Callable[[str], FlaskClient]


def _csv(client: FlaskClient, path: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(path).data.decode("utf-8-sig"))))


@pytest.mark.usefixtures("late")
def test_headings_and_states_in_the_readers_language(client_for: Client, db: Database, users):
    vi = _csv(client_for("giamdoc"), "/tasks.csv?period=year&category=open_overdue")
    assert vi[0][:3] == ["Số, ký hiệu", "Ngày ban hành", "Cơ quan ban hành"]
    assert vi[1][10] == "Quá hạn, chưa hoàn thành"
    set_language(db, users["phogiamdoc"], "en")
    english = client_for("phogiamdoc")
    en = _csv(english, "/tasks.csv?period=year&category=open_overdue")
    assert en[0][:5] == ["Number and code", "Issue date", "Issuing body", "Task no.", "Task text"]
    assert en[1][10] == "Overdue, not completed"
    sheet = load_workbook(io.BytesIO(english.get("/directives/export.xlsx").data)).active
    assert sheet.title == "Directives"
    assert [c.value for c in sheet[1]][:5] == [
        "Number and code",
        "Issue date",
        "Issuing body",
        "Subject",
        "Status",
    ]
    assert sheet["E2"].value == "In progress"


def test_an_export_cut_at_its_limit_says_so(
    late: int,  # noqa: F811 - the fixture
    client_for: Client,
    db: Database,
    users,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task = (TaskInput("Rà soát", ("VP",), (), None),)
    data = DirectiveInput("78/KH-UBND", "ke_hoach", "UBND tỉnh", date.today(), "Kế hoạch", task)
    directives.create_directive(db, users["vanthu"], data)
    monkeypatch.setattr(oversight, "MAX_EXPORT_ROWS", 1)  # 50,000 in use: too many to build
    monkeypatch.setattr(oversight_args, "MAX_DIRECTIVE_ROWS", 1)
    boss = client_for("giamdoc")
    note = "Chỉ có 1 dòng đầu trong tổng số 2 dòng; hãy thu hẹp bộ lọc để lấy phần còn lại."
    rows = _csv(boss, "/tasks.csv?period=year")
    assert len(rows) == 1 + 1 + 1  # heading, the one row, the note
    assert rows[-1] == [note]
    sheet = load_workbook(io.BytesIO(boss.get("/tasks.xlsx?period=year").data)).active
    assert sheet.max_row == 3
    assert sheet["A3"].value == note
    assert sheet["A3"].font.bold
    listed = load_workbook(io.BytesIO(boss.get("/directives/export.xlsx").data)).active
    assert listed.max_row == 3
    assert listed["A3"].value == note
    assert f"Excel, CSV: {note}" in boss.get("/tasks?period=year").get_data(as_text=True)
    assert f"Excel, CSV: {note}" in boss.get("/directives/").get_data(as_text=True)
    monkeypatch.setattr(oversight, "MAX_EXPORT_ROWS", 2)
    assert _csv(boss, "/tasks.csv?period=year")[-1] != [note]  # not cut: nothing said
    assert "Excel, CSV:" not in boss.get("/tasks?period=year").get_data(as_text=True)


@pytest.mark.usefixtures("late")
def test_a_backwards_range_is_a_domain_message_with_its_translation(client_for: Client):
    backwards = client_for("giamdoc").get("/api/v1/statistics?from=2025-05-01&to=2025-01-01")
    assert backwards.status_code == 422
    error = backwards.get_json()["error"]
    assert error["details"]["fields"] == {"to": ["the period ends before it starts"]}
    with Path("web/translations/vi/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(po)
    assert catalogue["the period ends before it starts"].string  # said in Vietnamese on pages
