"""Mails and the notifications page name the task: two notices about two tasks of one directive
read differently, in the subject and in the body; the idempotency keys stay as they were."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.helpers import item_of
from tests.web.helpers import sign_in
from web.app import create_app
from web.mail import compose
from workflows import directives, notifications
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.organisation import accounts
from workflows.tables import Notification

LONG = (
    "Kiểm tra việc chấp hành quy định về đo lường đối với các cơ sở kinh doanh xăng dầu "
    "trên địa bàn tỉnh, báo cáo kết quả"
)


@pytest.fixture
def mail_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with mail switched on (nothing is sent: the test composes the mails itself)."""
    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "t",
            "DONDOC_RATE_LIMITS": "0",
            "DONDOC_SMTP_URL": "smtp://127.0.0.1:9",
        }
    )
    yield app
    app.extensions["dondoc.db"].dispose()


def _two_tasks_for_one_unit(db: Database, users: dict[str, int], today: date) -> None:
    data = DirectiveInput(
        number="15/KH-SKHCN",
        kind="ke_hoach",
        issuer="Sở Khoa học và Công nghệ",
        issued_on=today,
        title="Kế hoạch kiểm tra năm 2027",
        tasks=(
            TaskInput("Rà soát dự toán\n  năm 2027", ("TTR",), (), today + timedelta(days=10)),
            TaskInput(LONG, ("TTR",), (), today + timedelta(days=20)),
        ),
    )
    directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )


def test_two_notices_about_two_tasks_of_one_directive_read_differently(
    mail_app: Flask, users: dict[str, int], passwords: dict[str, str], today: date
) -> None:
    db: Database = mail_app.extensions["dondoc.db"]
    accounts.set_email(db, None, "truong.ttr", "truong.ttr@langson.gov.vn")
    _two_tasks_for_one_unit(db, users, today)
    jobs = sorted(
        (j for j in notifications.due_mails(db) if j.to == "truong.ttr@langson.gov.vn"),
        key=lambda j: j.params["task_number"],
    )
    assert [j.kind for j in jobs] == ["assigned", "assigned"]
    first, second = (compose(mail_app, j, "dondoc@langson.gov.vn", "http://dd") for j in jobs)
    assert first["Subject"] == "Nhiệm vụ mới: 15/KH-SKHCN · nhiệm vụ 1: Rà soát dự toán năm 2027"
    excerpt = "Kiểm tra việc chấp hành quy định về đo lường đối với các…"
    assert second["Subject"] == f"Nhiệm vụ mới: 15/KH-SKHCN · nhiệm vụ 2: {excerpt}"
    for message, number, text in ((first, 1, "Rà soát dự toán năm 2027"), (second, 2, excerpt)):
        line = f"Nhiệm vụ {number} của văn bản 15/KH-SKHCN: {text}"
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert line in plain
        assert f"<p>{line}</p>" in html
    with db.reading() as session:
        rows = session.execute(
            select(Notification.key, Notification.assignment_id, Notification.user_id).where(
                Notification.kind == "assigned"  # the clerk is told of the assignment apart
            )
        ).all()
    assert rows
    assert all(key == f"assigned:{assignment}:{user}" for key, assignment, user in rows)
    client = mail_app.test_client()
    sign_in(client, "truong.ttr", passwords["truong.ttr"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "Nhiệm vụ 1 của văn bản 15/KH-SKHCN: Rà soát dự toán năm 2027" in page
    assert f"Nhiệm vụ 2 của văn bản 15/KH-SKHCN: {excerpt}" in page


def test_a_notice_stored_before_tasks_were_named_still_renders(
    mail_app: Flask, users: dict[str, int], today: date
) -> None:
    db: Database = mail_app.extensions["dondoc.db"]
    accounts.set_email(db, None, "truong.ttr", "truong.ttr@langson.gov.vn")
    _two_tasks_for_one_unit(db, users, today)

    def forget_tasks(session) -> None:
        for row in session.scalars(select(Notification)):
            row.params = {
                k: v for k, v in row.params.items() if k not in ("task_number", "task_excerpt")
            }

    db.command(forget_tasks)
    job = notifications.due_mails(db)[0]
    message = compose(mail_app, job, "dondoc@langson.gov.vn", "http://dd")
    assert message["Subject"] == "Nhiệm vụ mới: 15/KH-SKHCN"
    assert "Nhiệm vụ 1" not in message.get_body(("plain",)).get_content()


def test_a_line_break_in_user_text_does_not_break_the_subject(
    mail_app: Flask, users: dict[str, int], today: date
) -> None:
    db: Database = mail_app.extensions["dondoc.db"]
    accounts.set_email(db, None, "truong.ttr", "truong.ttr@langson.gov.vn")
    _two_tasks_for_one_unit(db, users, today)
    job = notifications.due_mails(db)[0]
    broken = type(job)(**{**job.__dict__, "params": {**job.params, "number": "15/KH\r\nBcc: x@y"}})
    message = compose(mail_app, broken, "dondoc@langson.gov.vn", "http://dd")
    assert message["Subject"].startswith("Nhiệm vụ mới: 15/KH Bcc: x@y")
    assert "\n" not in message["Subject"]
