"""The oversight pages through the test client: dashboard, lists, exports, nudges, notifications."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from lxml import html
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import items_for
from tests.web.helpers import csrf_token
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.steps import unit_work
from workflows.tables import Assignment, Event, Notification

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def late(db: Database, users: dict[str, int], today: date) -> int:
    """A directive entered 30 days ago: QLKH's task is 10 days overdue, TTUD's due in 5 days."""
    then = datetime.combine(today - timedelta(days=30), time(9), tzinfo=TZ)
    data = DirectiveInput(
        "77/KH-UBND",
        "ke_hoach",
        "UBND tỉnh Lạng Sơn",
        then.date(),
        "Kế hoạch =cmd|' /C calc'!A0",
        (
            TaskInput("Tổng hợp đề tài", ("QLKH",), (), today - timedelta(days=10)),
            TaskInput('=HYPERLINK("http://x")', ("TTUD",), (), today + timedelta(days=5)),
        ),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data, now=then)
    item = next(i for i in items_for(db, users["giamdoc"], "assign"))
    directives.assign_directive(db, users["giamdoc"], item.work_item_id, now=then)
    return directive_id


def _assignment(db: Database, unit: str) -> int:
    with db.reading() as session:
        return int(session.scalar(select(Assignment.id).where(Assignment.unit_code == unit)))


def test_leaders_land_on_the_dashboard_with_the_overdue_list(
    late: int, client_for: Callable[[str], FlaskClient]
) -> None:
    boss = client_for("giamdoc")
    page = boss.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Tổng quan" in page
    assert "Đang quá hạn" in page
    assert "Tổng hợp đề tài" in page
    assert "quá hạn 10 ngày" in page
    assert "Đôn đốc QLKH" in page
    assert 'id="dashboard-data"' in page
    assert "<script>" not in page
    assert "Đến hạn trong 7 ngày tới" in page
    assert client_for("cv.qlkh").get("/").headers["Location"].endswith("/inbox")


def test_a_nudge_reaches_the_unit_and_its_history(
    late: int, db: Database, users: dict[str, int], client_for: Callable[[str], FlaskClient]
) -> None:
    qlkh = _assignment(db, "QLKH")
    boss = client_for("giamdoc")
    path = f"/assignments/{qlkh}/nudge?back=/dashboard"
    token = csrf_token(boss, path)
    empty = boss.post(path, data={"message": "  ", "csrf_token": token, "back": "/dashboard"})
    assert empty.status_code == 422
    sent = boss.post(
        path, data={"message": "Đề nghị báo cáo ngay", "csrf_token": token, "back": "/dashboard"}
    )
    assert sent.status_code == 302
    assert sent.headers["Location"] == "/dashboard"
    with db.reading() as session:
        detail = session.scalar(select(Event.detail).where(Event.kind == "assignment_nudged"))
        notes = session.execute(
            select(Notification.id, Notification.user_id).where(Notification.kind == "nudged")
        ).all()
    assert detail == "Đề nghị báo cáo ngay"
    assert {user for _, user in notes} == {users["truong.qlkh"]}
    head = client_for("truong.qlkh")
    listing = head.get("/notifications").get_data(as_text=True)
    assert "Giám đốc Sở đôn đốc Phòng Quản lý Khoa học" in listing
    assert "Đề nghị báo cáo ngay" in listing
    opened = head.get(f"/notifications/{notes[0][0]}")
    assert opened.headers["Location"].startswith("/work/")  # the step to do now
    with db.reading() as session:
        assert session.get(Notification, notes[0][0]).read_at is not None
    tasks = boss.get("/tasks?category=open_overdue&level=item&period=year").get_data(as_text=True)
    assert "đã đôn đốc 1 lần" in tasks
    history = boss.get(f"/directives/{late}").get_data(as_text=True)
    assert "Đôn đốc" in history
    assert client_for("truong.qlkh").get(path).status_code == 403


def test_leaders_hear_of_reports_and_the_clerk_of_assignment(
    late: int, db: Database, users: dict[str, int], client_for: Callable[[str], FlaskClient]
) -> None:
    head = users["truong.ttud"]
    execute = next(i for i in items_for(db, head, "execute"))
    unit_work.start_work(db, head, execute.work_item_id)
    report = next(i for i in items_for(db, head, "report"))
    unit_work.submit_report(db, head, report.work_item_id, "Đã xong")
    with db.reading() as session:
        kinds = {(n.kind, n.user_id) for n in session.scalars(select(Notification))}
    assert ("report_submitted", users["giamdoc"]) in kinds
    assert ("report_submitted", users["phogiamdoc"]) in kinds
    assert ("directive_assigned", users["vanthu"]) in kinds
    boss = client_for("giamdoc")
    with db.reading() as session:
        mine = session.scalar(
            select(Notification.id).where(
                Notification.kind == "report_submitted", Notification.user_id == users["giamdoc"]
            )
        )
    target = boss.get(f"/notifications/{mine}").headers["Location"]
    assert target.startswith("/work/")
    assert "Duyệt báo cáo" in boss.get(target).get_data(as_text=True)
    assert client_for("giamdoc").get(f"/notifications/{mine + 10_000}").status_code == 404


def test_leaders_and_the_clerk_hear_a_directive_is_completed(
    late: int, db: Database, users: dict[str, int], client_for: Callable[[str], FlaskClient]
) -> None:
    boss = users["giamdoc"]
    for unit in ("qlkh", "ttud"):
        head = users[f"truong.{unit}"]
        execute = next(i for i in items_for(db, head, "execute"))
        unit_work.start_work(db, head, execute.work_item_id)
        report = next(i for i in items_for(db, head, "report"))
        unit_work.submit_report(db, head, report.work_item_id, "Đã xong")
    accepts = items_for(db, boss, "accept")
    assert len(accepts) == 2
    unit_work.accept_report(db, boss, accepts[0].work_item_id, "Đạt")

    def told() -> dict[int, int]:
        with db.reading() as session:
            kind = Notification.kind == "directive_completed"
            found = session.execute(select(Notification.user_id, Notification.id).where(kind))
            return {user: notice for user, notice in found}

    assert told() == {}  # one task still open: nobody is told yet
    unit_work.accept_report(db, boss, accepts[1].work_item_id, "Đạt")
    notices = told()
    assert set(notices) == {boss, users["phogiamdoc"], users["vanthu"]}  # leaders and the clerk
    clerk = client_for("vanthu")
    assert "Văn bản hoàn thành" in clerk.get("/notifications").get_data(as_text=True)
    opened = clerk.get(f"/notifications/{notices[users['vanthu']]}")
    assert opened.headers["Location"] == f"/directives/{late}"
    with db.reading() as session:
        assert session.get(Notification, notices[users["vanthu"]]).read_at is not None


def test_every_figure_of_the_dashboard_links_to_the_list_behind_it(
    late: int, today: date, client_for: Callable[[str], FlaskClient]
) -> None:
    boss = client_for("giamdoc")
    span = {
        "period": "custom",
        "from": (today - timedelta(days=60)).isoformat(),
        "to": (today + timedelta(days=30)).isoformat(),
    }
    page = html.fromstring(boss.get("/dashboard", query_string=span).get_data(as_text=True))
    cells = page.xpath("//main//table//td[not(@colspan)]")
    assert len(cells) > 12 * 6  # the trend's twelve months at least
    assert [html.tostring(c) for c in cells if not c.xpath(".//a")] == []
    rates = page.xpath("//main//div[contains(@class, 'card-body')]//a")
    assert len(rates) == 5 * 2 + 2 * 2  # each column now and before; each rate now and before
    badges = page.xpath("//main//h2/a[contains(@class, 'badge')]")
    assert [b.text_content() for b in badges] == ["1", "1"]  # overdue now, due within a week

    def listed(link: html.HtmlElement) -> str:
        found = html.fromstring(boss.get(link.get("href")).get_data(as_text=True))
        return found.xpath("//main//h1/span[contains(@class, 'badge')]")[0].text_content()

    counts = [a for a in page.xpath("//main//td//a | //main//h2/a") if a.text_content().isdigit()]
    assert sum(int(a.text_content()) for a in counts) > 4
    for link in counts:  # each figure is the length of the list it leads to
        assert listed(link) == link.text_content(), link.get("href")


def test_lists_export_to_excel_and_csv_without_formulas(
    late: int, client_for: Callable[[str], FlaskClient]
) -> None:
    boss = client_for("giamdoc")
    xlsx = boss.get("/tasks.xlsx?period=year")
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book.active
    assert sheet["A1"].value == "Số, ký hiệu"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2
    texts = {row[4] for row in rows}
    assert '=HYPERLINK("http://x")' in texts  # kept as text
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    text = boss.get("/tasks.csv?period=year").data.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][0] == "Số, ký hiệu"
    assert any(row[4] == '\'=HYPERLINK("http://x")' for row in parsed[1:])
    directives_csv = boss.get("/directives/export.csv").data.decode("utf-8-sig")
    assert "77/KH-UBND" in directives_csv
    assert "'=cmd" not in directives_csv
    listed = load_workbook(io.BytesIO(boss.get("/directives/export.xlsx?q=77").data)).active
    assert listed["A2"].value == "77/KH-UBND"
    assert listed["B2"].number_format == "dd/mm/yyyy"


def test_reports_and_the_api(late: int, client_for: Callable[[str], FlaskClient]) -> None:
    boss = client_for("giamdoc")
    page = boss.get("/reports").get_data(as_text=True)
    assert "Báo cáo tình hình thực hiện nhiệm vụ" in page
    assert "Tải Excel" in page
    printed = boss.get("/reports/print?period=year").get_data(as_text=True)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in printed
    assert "Tổng hợp đề tài" in printed
    docx = boss.get("/reports/tasks.docx?period=year")
    assert docx.headers["Content-Disposition"].endswith('.docx"')
    today = datetime.now(UTC).astimezone(TZ).date()
    year = f"from={today.year}-01-01&to={today.year}-12-31"
    if (today - timedelta(days=30)).year != today.year:  # the data set straddles new year
        year = f"from={today.year - 1}-01-01&to={today.year}-12-31"
    answer = boss.get(f"/api/v1/statistics?by=unit&{year}").get_json()
    assert answer["total"]["open_overdue"] == 1
    assert answer["total"]["completion_rate"] == 0.0
    assert {row["key"] for row in answer["rows"]} == {"QLKH", "TTUD"}
    assert set(answer["rows"][0]) == {
        "key",
        "name",
        "completed_on_time",
        "completed_late",
        "open_in_term",
        "open_overdue",
        "no_deadline",
        "completion_rate",
        "on_time_rate",
    }
    bad = boss.get("/api/v1/statistics?by=nobody")
    assert bad.status_code == 400
    assert "error" in bad.get_json()
    backwards = boss.get("/api/v1/statistics?from=2025-05-01&to=2025-01-01")
    assert backwards.status_code == 422
    spec = boss.get("/api/openapi.json").get_json()
    assert "/api/v1/statistics" in spec["paths"]
    assert "/api/v1/reports/tasks.xlsx" in spec["paths"]
    xlsx = boss.get(f"/api/v1/reports/tasks.xlsx?{year}")
    assert load_workbook(io.BytesIO(xlsx.data))["Tổng hợp"]["A2"].value.startswith("BÁO CÁO")


def test_kept_answers_never_outlive_a_change(
    late: int, db: Database, users: dict[str, int], today: date
) -> None:
    from workflows import StatsQuery, period_of, statistics

    query = StatsQuery(period_of("year", today), basis="issued")
    if (today - timedelta(days=30)).year != today.year:
        query = StatsQuery(period_of("year", today - timedelta(days=30)), basis="issued")
    at = datetime.now(UTC) + timedelta(hours=1)  # after the steps below, within the same day
    before = statistics(db, users["giamdoc"], query, now=at)
    assert statistics(db, users["giamdoc"], query, now=at) is before  # kept
    head = users["truong.ttud"]
    unit_work.start_work(db, head, next(i for i in items_for(db, head, "execute")).work_item_id)
    report = next(i for i in items_for(db, head, "report")).work_item_id
    unit_work.submit_report(db, head, report, "Đã xong")
    accept = next(i for i in items_for(db, users["giamdoc"], "accept")).work_item_id
    unit_work.accept_report(db, users["giamdoc"], accept)
    after = statistics(db, users["giamdoc"], query, now=at)
    assert (before.total.completed_on_time, after.total.completed_on_time) == (0, 1)
