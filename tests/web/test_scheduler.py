"""The deadline scheduler for real: APScheduler, BPMN timers, a loopback SMTP server, leases."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, update

from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from web.app import create_app
from web.mail import smtp_sender
from web.scheduler import LEASE, DeadlineScheduler
from workflows import directives, notifications
from workflows.db import Database
from workflows.entry import TaskInput
from workflows.operations import leases
from workflows.steps import unit_work as steps
from workflows.tables import Event, Notification, User


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects_to(self, address: str) -> list[str]:
        return [
            str(make_header(decode_header(m["Subject"])))
            for m in self.messages
            if m["To"] == address
        ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mail_app(db_url: str, tmp_path: Path, smtp) -> Iterator[Flask]:
    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "t",
            "DONDOC_SMTP_URL": f"smtp://127.0.0.1:{smtp[1]}",
        }
    )
    db: Database = app.extensions["dondoc.db"]
    db.command(lambda s: s.execute(update(User).values(email=User.username + "@skhcn.test")))
    yield app
    db.dispose()


def _wait(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"not within {seconds}s")


def _assign_due_in(db: Database, users: dict[str, int], seconds: float) -> datetime:
    due_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    today = due_at.astimezone().date()
    data = replace(
        small_directive(today),
        tasks=(TaskInput("Báo cáo nhanh", ("KHTC",), (), due_at.date(), due_at=due_at),),
    )
    directives.create_directive(db, users["vanthu"], data)
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    return due_at


def _notes(db: Database, kind: str) -> list[tuple[int, datetime]]:
    with db.reading() as session:
        return list(
            session.execute(
                select(Notification.user_id, Notification.created_at).where(
                    Notification.kind == kind
                )
            ).all()
        )


def test_a_timer_fires_on_time_and_each_notice_is_mailed_once(mail_app, smtp, users) -> None:
    inbox, port = smtp
    db: Database = mail_app.extensions["dondoc.db"]
    sender = smtp_sender(
        mail_app, f"smtp://127.0.0.1:{port}", "dondoc@skhcn.test", "http://dondoc.test"
    )
    scheduler = DeadlineScheduler(db, lease_seconds=5, sweep_seconds=60, mail=sender)
    scheduler.start()
    try:
        due_at = _assign_due_in(db, users, 4)
        # The reminder (3 working days before) was due at once: it fired at assignment.
        assert [u for u, _ in _notes(db, "reminder")] == [users["truong.khtc"]]
        overdue = _wait(lambda: _notes(db, "overdue"), 12)
        with db.reading() as session:
            fired_at = session.scalar(select(Event.at).where(Event.kind == "timer_overdue"))
        lag = (fired_at - due_at).total_seconds()
        assert 0 <= lag < 2, f"the overdue timer fired {lag:.2f}s after its due time"
        assert {u for u, _ in overdue} == {
            users["truong.khtc"],
            users["giamdoc"],
            users["phogiamdoc"],
        }
        _wait(lambda: len(inbox.messages) >= 5, 15)  # assigned, reminder, 3 overdue
        steps.start_work(
            db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute").work_item_id
        )
        time.sleep(6)  # the report step re-arms the same, already fired timers
    finally:
        scheduler.stop()
    khtc = inbox.subjects_to("truong.khtc@skhcn.test")
    assert sum("Nhắc việc" in s for s in khtc) == 1, khtc
    assert sum("Quá hạn" in s for s in khtc) == 1, khtc
    assert sum("Quá hạn" in s for s in inbox.subjects_to("giamdoc@skhcn.test")) == 1
    assert len(_notes(db, "reminder")) == 1
    assert len(_notes(db, "overdue")) == 3
    body = next(m for m in inbox.messages if m["To"] == "truong.khtc@skhcn.test")
    parts = {part.get_content_type() for part in body.walk()}
    assert {"text/plain", "text/html"} <= parts


def test_a_mail_server_that_is_down_keeps_the_notice_queued(mail_app, users) -> None:
    db: Database = mail_app.extensions["dondoc.db"]
    _assign_due_in(db, users, 3600)
    closed = smtp_sender(mail_app, f"smtp://127.0.0.1:{_free_port()}", "d@x", "http://x")
    now = datetime.now(UTC)
    sent, failed = notifications.deliver_mail(db, closed, now)
    assert (sent, failed) == (0, 3)  # the head of KHTC: assigned + reminder; the clerk: assigned
    with db.reading() as session:
        rows = session.scalars(select(Notification).where(Notification.mail_state != "none")).all()
        assert {r.mail_state for r in rows} == {"pending"}
        assert all(r.mail_attempts == 1 and "Connection" in r.mail_error for r in rows)
        assert all(r.mail_next_at > now for r in rows)
    assert notifications.deliver_mail(db, closed, now) == (0, 0)  # backing off
    assert notifications.deliver_mail(db, closed, now + timedelta(minutes=1)) == (0, 3)


def test_only_one_scheduler_is_active_and_another_takes_over(db: Database) -> None:
    first = DeadlineScheduler(db, lease_seconds=2, holder="first")
    second = DeadlineScheduler(db, lease_seconds=2, holder="second")
    first.watch()
    second.watch()
    assert (first.active, second.active) == (True, False)
    # The first dies without a word: it stops renewing. The lease runs out, the second takes it.
    started = time.monotonic()
    _wait(lambda: (second.watch(), second.active)[1], 5)
    assert time.monotonic() - started < 2.6
    assert leases.lease_holder(db, LEASE)[0] == "second"
    first.watch()
    assert first.active is False


def test_an_extension_moves_the_reminder_and_the_escalation(mail_app, smtp, users) -> None:
    from workflows import extensions
    from workflows.read import detail as queries
    from workflows.tables import Directive

    db: Database = mail_app.extensions["dondoc.db"]
    scheduler = DeadlineScheduler(db, lease_seconds=5, sweep_seconds=60)
    scheduler.start()
    try:
        due_at = _assign_due_in(db, users, 3)
        with db.reading() as session:
            directive_id, instance = session.execute(
                select(Directive.id, Directive.process_instance_id)
            ).one()
        khtc = queries.directive_detail(db, users["giamdoc"], directive_id).tasks[0].assignments[0]
        new_day = due_at.astimezone(db.settings.tz).date() + timedelta(days=20)
        request_id = extensions.request_extension(
            db, users["truong.khtc"], khtc.id, "Chờ số liệu", new_day
        )
        extensions.decide_extension(db, users["giamdoc"], request_id, True)
        time.sleep(4)  # past the old deadline: nothing may fire now
        assert _notes(db, "overdue") == []
        with db.reading() as session:
            timers = {
                t.properties["notify"]: t.due_at
                for t in db.processes.waiting_timers(session, instance)
                if t.due_at.year < 9999
            }
        assert timers["overdue"] > due_at + timedelta(days=19)
        assert timers["reminder"] > due_at + timedelta(days=10)
        assert len(_notes(db, "reminder")) == 1  # the first reminder, before the extension
    finally:
        scheduler.stop()
