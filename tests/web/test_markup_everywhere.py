"""Markup typed into any field comes back as text, never as markup: on every page and in every mail.

Every user-written field is filled, through the real pages (and the JSON API for one directive),
with payloads an attacker would try: a meta refresh (the reported attack: a unit head's
extension reason redirected the director), an image with an onerror handler, a quote that
closes an attribute, and a closing textarea followed by a script. Every page that shows those
fields is then read by each role that sees it, and every kind of mail is composed in both
languages. No page and no HTML mail may contain a payload as markup; each page must contain the
escaped text of the fields it shows, so the test cannot pass by not showing them. The plain-text
part of a mail carries the text as typed (not escaped twice).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.helpers import item_of
from tests.web.helpers import csrf_token
from tests.workflows.form_diagrams import with_legal_review
from tests.workflows.test_corrections import as_is, with_task
from web.i18n import NOTICE_LABELS
from web.mail import compose
from workflows import digest
from workflows.access import tokens
from workflows.attachments import clean_filename
from workflows.db import Database
from workflows.entry.corrections import correct_directive
from workflows.notifications import MailJob, excerpt
from workflows.organisation import units as admin
from workflows.tables import Notification, User

META = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
IMG = "<img src=x onerror=alert(1)>"
BOLD = '"><b>bold</b>'
SCRIPT = "</textarea><script>alert(1)</script>"
RAW = ("<meta http-equiv", "<img src=x", "<b>bold</b>", "<script>alert")
PDF = b"%PDF-1.4\n%%EOF\n"


def marked(tag: str, *payloads: str) -> str:
    """A field value: a readable tag, then the payloads (all four unless the field is short)."""
    return " ".join((tag, *(payloads or (META, IMG, BOLD, SCRIPT))))


V = {
    "unit_khtc": marked("Phòng KH-TC"),
    "unit_vp": marked("Văn phòng"),
    "name_head": marked("Trưởng phòng"),
    "title_head": marked("TP", IMG, BOLD, SCRIPT),
    "name_officer": marked("Chuyên viên"),
    "name_director": marked("Giám đốc"),
    "title_director": marked("GĐ", META),
    "name_admin": marked("Quản trị"),
    "calendar_note": marked("Nghỉ bù"),
    "form_title": marked("Thẩm định"),
    "field_title": marked("Ý kiến"),
    "field_help": marked("Ghi rõ"),
    "option": marked("Đạt", BOLD, IMG),
    "step_name": marked("Bước thẩm định"),
    "version_comment": marked("Thêm bước"),
    "number": marked("12/KH", BOLD, IMG),
    "issuer": marked("Sở KH&CN"),
    "title": marked("Kế hoạch"),
    "body": marked("Nội dung"),
    "task1": marked("Rà soát"),
    "task2": marked("Kiểm tra"),
    "nudge": marked("Đề nghị báo cáo"),
    "note": marked("Ghi chú"),
    "ext_reason": marked("Chờ số liệu"),
    "ext_refusal": marked("Không đủ lý do"),
    "ext_reason2": marked("Chờ số liệu lần hai"),
    "ext_grant": marked("Đồng ý gia hạn"),
    "ext_reason3": marked("Xin thêm lần ba"),
    "report": marked("Kết quả"),
    "contribution": marked("Ý kiến phối hợp"),
    "send_back": marked("Bổ sung số liệu"),
    "opinion": marked("Hợp pháp"),
    "return": marked("Trả lại"),
    "suspend": marked("Tạm dừng"),
    "resume": marked("Tiếp tục"),
    "api_number": marked("9/CV", BOLD, IMG),
    "api_issuer": marked("UBND tỉnh"),
    "api_title": marked("Qua API"),
    "api_body": marked("Văn bản API"),
    "api_task": marked("Việc qua API"),
    "cancel": marked("Thu hồi"),
    "correct_reason": marked("Lý do rút đơn vị"),
    "address": marked("10.0.0.1", IMG),  # a client address, as a misconfigured proxy passes it
}
SHOWN_AS = {  # fields shown transformed: file names cleaned, task texts cut to an excerpt
    "task1_excerpt": excerpt(V["task1"]),
    "task2_excerpt": excerpt(V["task2"]),
}
FILE_NAMES = {"directive_file": f"{IMG}.pdf", "report_file": f"bien ban {IMG}.pdf"}


@dataclass
class World:
    """What the scenario made, and the pages it captured on the way (path -> html)."""

    directive_id: int = 0
    api_directive_id: int = 0
    version_id: int = 0
    captured: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def _token(client: FlaskClient) -> str:
    return csrf_token(client, "/inbox")


def _post(client: FlaskClient, path: str, data: dict[str, Any], files: Any = None) -> Any:
    fields = MultiDict({**data, "csrf_token": _token(client)})
    for name, (content, filename) in (files or {}).items():
        fields.add(name, FileStorage(io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(fields)
    response = client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    page = response.get_data(as_text=True)
    problems = re.findall(r"<li>([^<]*)</li>|invalid-feedback[^>]*>([^<]*)<", page)
    assert response.status_code in (302, 303), (path, response.status_code, problems)
    return response


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def assert_safe(html: str, where: str, shown: tuple[str, ...] = ()) -> None:
    """No payload as markup; the escaped text of every field in `shown` is there."""
    for marker in RAW:
        found = html.find(marker)
        assert found < 0, (
            f"{where}: unescaped {marker!r} in …{html[max(found - 200, 0) : found + 80]}…"
        )
    for name in shown:
        text = clean_filename(FILE_NAMES[name]) if name in FILE_NAMES else SHOWN_AS.get(name)
        text = V[name] if text is None else text
        assert str(escape(text)) in html, f"{where}: {name} is not shown (escaped)"


def _user_id(db: Database, username: str) -> int:
    with db.reading() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def _set_up_organisation(db: Database, admin_client: FlaskClient, today: date) -> None:
    """Units, people, a calendar day, a JSON Schema form and a diagram step, by the admin."""
    units = {u.code: u for u in admin.list_units(db)}
    for code, name in (("KHTC", V["unit_khtc"]), ("VP", V["unit_vp"])):
        _post(admin_client, f"/admin/units/{units[code].id}", {"name": name, "active": "y"})
    people = (
        ("truong.khtc", V["name_head"], V["title_head"], "KHTC", ["unit_head"]),
        ("cv.khtc", V["name_officer"], "Chuyên viên", "KHTC", ["unit_staff"]),
        ("giamdoc", V["name_director"], V["title_director"], "BGD", ["supervisor"]),
        ("admin", V["name_admin"], "Quản trị", "VP", ["admin"]),
    )
    for username, name, title, unit, roles in people:
        _post(
            admin_client,
            f"/admin/users/{_user_id(db, username)}",
            {"full_name": name, "title": title, "unit": unit, "roles": roles, "active": "y"},
        )
    _post(
        admin_client,
        "/admin/calendar",
        {
            "day": (today + timedelta(days=400)).isoformat(),
            "kind": "off",
            "note": V["calendar_note"],
        },
    )
    schema = {
        "type": "object",
        "properties": {
            "opinion": {
                "type": "string",
                "title": V["field_title"],
                "description": V["field_help"],
            },
            "level": {"type": "string", "title": "Mức độ", "enum": [V["option"], "Không đạt"]},
        },
        "required": ["opinion"],
    }
    _post(
        admin_client,
        "/admin/forms/new",
        {
            "key": "tham_dinh",
            "title": V["form_title"],
            "schema": json.dumps(schema, ensure_ascii=False),
        },
    )


def _save_and_publish_diagram(admin_client: FlaskClient) -> int:
    xml = with_legal_review(form="tham_dinh").replace(
        'name="Thẩm định pháp lý / Legal review"',
        f'name="{escape(V["step_name"])}"',  # XML-escaped in the file, markup once parsed
    )
    token = csrf_token(admin_client, "/admin/models")
    saved = admin_client.post(
        "/admin/models/versions",
        json={"xml": xml, "comment": V["version_comment"]},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 201, saved.get_data(as_text=True)
    version_id = int(saved.get_json()["version"]["id"])
    _post(admin_client, f"/admin/models/versions/{version_id}/publish", {})
    return version_id


def _enter_directive(clerk: FlaskClient, today: date) -> int:
    task = {"reporting": "once", "lead_units": "KHTC"}
    response = _post(
        clerk,
        "/directives/new",
        {
            "number": V["number"],
            "kind": "ke_hoach",
            "issuer": V["issuer"],
            "issued_on": today.isoformat(),
            "title": V["title"],
            "body": V["body"],
            **{f"tasks-0-{k}": v for k, v in task.items()},
            "tasks-0-content": V["task1"],
            "tasks-0-coordinating_units": "VP",
            "tasks-0-due_on": (today + timedelta(days=10)).isoformat(),
            **{f"tasks-1-{k}": v for k, v in task.items()},
            "tasks-1-content": V["task2"],
            "tasks-1-due_on": (today + timedelta(days=1)).isoformat(),  # reminded at once
        },
        files={"attachments": (PDF, FILE_NAMES["directive_file"])},
    )
    found = re.search(r"/directives/(\d+)$", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def _assign(db: Database, users: dict[str, int], leader: FlaskClient, world: World, today: date):
    item = item_of(db, users["giamdoc"], "assign").work_item_id
    world.captured["giamdoc /work/assign"] = (
        _get(leader, f"/work/{item}"),
        ("number", "title", "task1", "task2", "unit_khtc", "unit_vp"),
    )
    _post(
        leader,
        f"/work/{item}",
        {
            "tasks-0-content": V["task1"],
            "tasks-0-lead_units": "KHTC",
            "tasks-0-coordinating_units": "VP",
            "tasks-0-due_on": (today + timedelta(days=10)).isoformat(),
            "tasks-0-reporting": "once",
            "tasks-1-content": V["task2"],
            "tasks-1-lead_units": "KHTC",
            "tasks-1-due_on": (today + timedelta(days=1)).isoformat(),
            "tasks-1-reporting": "once",
        },
    )


def _suspend_and_resume(leader: FlaskClient, world: World) -> None:
    d = world.directive_id
    world.captured["giamdoc /suspend"] = (_get(leader, f"/directives/{d}/suspend"), ("number",))
    _post(leader, f"/directives/{d}/suspend", {"reason": V["suspend"]})
    _post(leader, f"/directives/{d}/resume", {"reason": V["resume"]})


def _extensions(db, users, head: FlaskClient, leader: FlaskClient, world: World, today: date):
    """Ask, refuse; ask, grant; ask again and leave it pending (its page is read later)."""
    execute = item_of(db, users["truong.khtc"], "execute", task_no=1)
    path = f"/assignments/{execute.assignment_id}/extension"
    for days, reason, decision, comment in (
        (30, V["ext_reason"], "refuse", V["ext_refusal"]),
        (30, V["ext_reason2"], "grant", V["ext_grant"]),
        (40, V["ext_reason3"], None, None),
    ):
        proposed = (today + timedelta(days=days)).isoformat()
        _post(head, path, {"proposed_due_on": proposed, "reason": reason, "back": "/inbox"})
        decide = re.search(r'href="(/extensions/\d+)"', _get(leader, "/inbox"))
        assert decide is not None
        if decision is None:
            world.captured["giamdoc /extensions"] = (
                _get(leader, decide.group(1)),
                ("number", "unit_khtc", "ext_reason3", "name_head"),
            )
            continue
        data = {"decision": decision, "reason": comment, "due_on": proposed}
        _post(leader, decide.group(1), data)


def _oversight_notices(db: Database, leader: FlaskClient, world: World) -> None:
    """A nudge with a marked message, and the notice that the directive completed."""
    from workflows import oversight_notices
    from workflows.tables import Assignment, Directive

    with db.reading() as session:
        open_one = session.scalar(
            select(Assignment.id).where(
                Assignment.directive_id == world.directive_id,
                Assignment.state.not_in(("accepted", "draft")),
            )
        )
    _post(leader, f"/assignments/{open_one}/nudge", {"message": V["nudge"], "back": "/"})

    def completed(session: Any) -> None:
        directive = session.get(Directive, world.directive_id)
        oversight_notices.directive_completed(session, db, directive, directive.created_at)

    db.command(completed)


def _work_task_one(db, users, clients: dict[str, FlaskClient], world: World) -> None:
    """Start, report with a file, contribute, send back, review (form), return the report."""
    head, officer, leader = clients["truong.khtc"], clients["cv.khtc"], clients["giamdoc"]
    _post(
        officer,
        f"/work/{item_of(db, users['cv.khtc'], 'execute', 1).work_item_id}",
        {"note": V["note"]},
    )
    report = item_of(db, users["truong.khtc"], "report", 1).work_item_id
    _post(
        head,
        f"/work/{report}",
        {"text": V["report"], "confirm": "y"},
        {"attachments": (PDF, FILE_NAMES["report_file"])},
    )
    coord_execute = item_of(db, users["truong.vp"], "execute", 1).work_item_id
    _post(clients["truong.vp"], f"/work/{coord_execute}", {"note": V["note"]})
    contribute = item_of(db, users["truong.vp"], "contribute", 1).work_item_id
    _post(clients["truong.vp"], f"/work/{contribute}", {"text": V["contribution"]})
    acknowledge = item_of(db, users["truong.khtc"], "acknowledge", 1).work_item_id
    world.captured["truong.khtc /work/acknowledge"] = (
        _get(head, f"/work/{acknowledge}"),
        ("number", "title", "task1", "contribution", "unit_vp"),
    )
    _post(head, f"/work/{acknowledge}", {"decision": "return", "comment": V["send_back"]})
    review = item_of(db, users["giamdoc"], "tham_dinh", 1).work_item_id
    world.captured["giamdoc /work/tham_dinh"] = (
        _get(leader, f"/work/{review}"),
        ("number", "title", "task1", "report", "step_name", "field_title", "field_help", "option"),
    )
    _post(leader, f"/work/{review}", {"opinion": V["opinion"], "level": V["option"]})
    accept = item_of(db, users["giamdoc"], "accept", 1).work_item_id
    world.captured["giamdoc /work/accept"] = (
        _get(leader, f"/work/{accept}"),
        ("number", "title", "task1", "report", "name_head"),
    )
    _post(leader, f"/work/{accept}", {"decision": "return", "comment": V["return"]})


def _hand_over_task_two(db, users, head: FlaskClient, world: World) -> None:
    execute = item_of(db, users["truong.khtc"], "execute", task_no=2)
    world.captured["truong.khtc /work/execute (hand over)"] = (
        _get(head, f"/work/{execute.work_item_id}"),
        ("number", "title", "task2", "unit_khtc", "name_officer", "name_head"),
    )
    data = {"assignee": str(users["cv.khtc"]), "back": "/inbox"}
    _post(head, f"/assignments/{execute.assignment_id}/hand-over", data)
    # The officer drafts task 2's report; the head sends the draft back (both are mailed).
    from workflows.steps import unit_work as steps

    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    report = item_of(db, users["cv.khtc"], "report", task_no=2).work_item_id
    steps.submit_report(db, users["cv.khtc"], report, V["report"])
    sign = item_of(db, users["truong.khtc"], "sign_off", task_no=2).work_item_id
    steps.sign_off(db, users["truong.khtc"], sign, False, comment=V["return"])


def _directive_by_api(app: Flask, db: Database, today: date) -> int:
    token = tokens.create_token(db, "vanthu", "markup test")
    response = app.test_client().post(
        "/api/v1/directives",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "number": V["api_number"],
            "kind": "cong_van",
            "issuer": V["api_issuer"],
            "issued_on": today.isoformat(),
            "title": V["api_title"],
            "body": V["api_body"],
            "tasks": [{"content": V["api_task"], "lead_units": ["KHTC"]}],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def _correct_task_two(db: Database, users: dict[str, int], world: World, today: date) -> None:
    """A unit added to task 2 and withdrawn with a reason; its deadline moved: both mailed."""
    fixed = with_task(as_is(db, world.directive_id), 1, coordinating_units=("QLKH",))
    correct_directive(db, users["vanthu"], world.directive_id, fixed)
    moved = with_task(
        as_is(db, world.directive_id, reason=V["correct_reason"]),
        1,
        coordinating_units=(),
        due_on=today + timedelta(days=2),
    )
    correct_directive(db, users["vanthu"], world.directive_id, moved)


def _capture_later_rounds(db, users, clients: dict[str, FlaskClient], world: World) -> None:
    """The pages of a returned report and a contribution sent back show the earlier rounds."""
    again = item_of(db, users["truong.khtc"], "report", task_no=1).work_item_id
    world.captured["truong.khtc /work/report (returned)"] = (
        _get(clients["truong.khtc"], f"/work/{again}"),
        ("number", "task1", "report", "return", "name_director", "ext_refusal", "ext_grant"),
    )
    redo = item_of(db, users["truong.vp"], "contribute", task_no=1).work_item_id
    world.captured["truong.vp /work/contribute (sent back)"] = (
        _get(clients["truong.vp"], f"/work/{redo}"),
        ("number", "task1", "unit_vp", "contribution", "send_back", "name_head"),
    )


def _fail_to_sign_in(app: Flask, username: str) -> None:
    """Wrong passwords until the account's sign-in is held and its owner is told."""
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = V["address"]
    for _ in range(5):
        token = csrf_token(stranger, "/login")
        data = {"username": username, "password": "sai-mat-khau", "csrf_token": token}
        assert stranger.post("/login", data=data).status_code in (401, 429)


def _build_world(app, db, users, client_for, today) -> World:
    world = World()
    clients = {name: client_for(name) for name in ("admin", "vanthu", "giamdoc", "truong.khtc")}
    clients |= {name: client_for(name) for name in ("cv.khtc", "truong.vp")}
    _set_up_organisation(db, clients["admin"], today)
    world.version_id = _save_and_publish_diagram(clients["admin"])
    world.directive_id = _enter_directive(clients["vanthu"], today)
    _assign(db, users, clients["giamdoc"], world, today)
    _suspend_and_resume(clients["giamdoc"], world)
    _extensions(db, users, clients["truong.khtc"], clients["giamdoc"], world, today)
    _hand_over_task_two(db, users, clients["truong.khtc"], world)
    _work_task_one(db, users, clients, world)
    _correct_task_two(db, users, world, today)
    world.api_directive_id = _directive_by_api(app, db, today)
    leader, api_id = clients["giamdoc"], world.api_directive_id
    world.captured["giamdoc /cancel"] = (
        _get(leader, f"/directives/{api_id}/cancel"),
        ("api_number",),
    )
    world.captured["giamdoc /inbox (API directive to assign)"] = (
        _get(leader, "/inbox"),
        ("api_number", "api_title", "number"),  # the pending extension names the directive
    )
    _post(leader, f"/directives/{api_id}/cancel", {"reason": V["cancel"]})
    _capture_later_rounds(db, users, clients, world)
    _oversight_notices(db, clients["giamdoc"], world)
    _fail_to_sign_in(app, "cv.khtc")
    digest.create_digests(db)  # the scheduler's part (the reminder of task 2 fired at assignment)
    return world


DETAIL = (
    "number",
    "title",
    "issuer",
    "body",
    "task1",
    "task2",
    "unit_khtc",
    "unit_vp",
    "report",
    "contribution",
    "send_back",
    "return",
    "opinion",
    "field_title",
    "ext_reason",
    "ext_reason2",
    "ext_reason3",
    "ext_refusal",
    "ext_grant",
    "suspend",
    "resume",
    "note",
    "name_head",
    "name_director",
    "option",
    "directive_file",
    "report_file",
    "correct_reason",
)


def _pages(world: World, users: dict[str, int]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Per person, the pages to read and the fields each must show."""
    d, api, v = world.directive_id, world.api_directive_id, world.version_id
    head_inbox = ("number", "title", "task1", "task2", "name_officer")
    return {
        "vanthu": [
            ("/directives/", ("number", "title", "issuer", "api_number", "api_title")),
            (f"/directives/{d}", DETAIL),
            (
                f"/directives/{api}",
                ("api_number", "api_title", "api_issuer", "api_body", "api_task", "cancel"),
            ),
        ],
        "giamdoc": [
            (
                "/directives/",
                ("number", "title", "issuer", "api_number", "api_title", "api_issuer"),
            ),
            (f"/directives/{d}", DETAIL),
            (
                "/notifications",
                ("number", "ext_reason", "ext_reason3", "unit_khtc", "task1_excerpt"),
            ),
        ],
        "truong.khtc": [
            ("/inbox", head_inbox),
            (f"/directives/{d}", DETAIL),
            (
                "/notifications",
                ("number", "title", "return", "ext_refusal", "task1_excerpt", "task2_excerpt"),
            ),
        ],
        "cv.khtc": [
            ("/inbox", ("number", "title", "task2", "name_officer")),  # task 1: the head redoes
            ("/notifications", ("address",)),
        ],
        "truong.vp": [("/inbox", ("number", "title", "task1")), (f"/directives/{d}", DETAIL)],
        "admin": [
            (
                "/admin/users",
                ("name_head", "title_head", "name_officer", "name_director", "name_admin"),
            ),
            (f"/admin/users/{users['truong.khtc']}", ("name_head", "title_head", "unit_khtc")),
            ("/admin/units", ("unit_khtc", "unit_vp")),
            ("/admin/units/2", ()),
            ("/admin/forms", ("form_title", "name_admin")),
            ("/admin/forms/tham_dinh", ("form_title", "field_title", "field_help", "option")),
            ("/admin/forms/tham_dinh/delete", ("form_title",)),
            ("/admin/calendar", ("calendar_note",)),
            (
                "/admin/audit",
                (
                    "unit_khtc",
                    "unit_vp",
                    "name_head",
                    "title_head",
                    "name_director",
                    "calendar_note",
                ),
            ),
            ("/admin/audit?page=1&target=tham_dinh", ("form_title",)),
            ("/admin/models", ("version_comment", "name_admin", "step_name")),
            (f"/admin/models/versions/{v}", ("version_comment", "step_name")),
            (f"/admin/models/versions/{v}/publish", ("step_name",)),
            (f"/admin/models/versions/{v}/migrate", ()),
            ("/admin/models/edit", ()),
            (f"/directives/{d}", DETAIL),
        ],
    }


def _mails(app: Flask, db: Database) -> list[tuple[str, Any]]:
    """Every stored notification composed as a mail, in Vietnamese and in English."""
    with db.reading() as session:
        stored = [
            (n.id, u.full_name, n.kind, n.directive_id, dict(n.params))
            for n, u in session.execute(select(Notification, User).join(User)).all()
        ]
    # The overdue escalation fires on the wall clock, which a page cannot move: it is composed
    # from the real reminder of task 2, whose parameters it shares (tests/web/test_scheduler.py
    # fires the real one).
    reminder = next(row for row in stored if row[2] == "reminder")
    stored.append((0, reminder[1], "overdue", reminder[3], reminder[4]))
    messages = []
    for notice_id, full_name, kind, directive_id, params in stored:
        for language in ("vi", "en"):
            job = MailJob(
                notice_id, "x@langson.gov.vn", full_name, language, kind, directive_id, params
            )
            messages.append(
                (kind, compose(app, job, "dondoc@langson.gov.vn", "https://dd.example"))
            )
    return messages


def test_markup_in_every_user_field_is_shown_as_text_on_every_page_and_mail(
    app: Flask, db: Database, users: dict[str, int], client_for, today: date
) -> None:
    world = _build_world(app, db, users, client_for, today)
    for where, (html, shown) in world.captured.items():
        assert_safe(html, where, shown)
    for username, pages in _pages(world, users).items():
        client = client_for(username)
        for path, shown in pages:
            assert_safe(_get(client, path), f"{username} {path}", shown)
    messages = _mails(app, db)
    assert {kind for kind, _ in messages} >= set(NOTICE_LABELS), "a kind of mail was not made"
    for kind, message in messages:
        html = message.get_body(("html",)).get_content()
        plain = message.get_body(("plain",)).get_content()
        assert_safe(html, f"{kind} mail (HTML)")
        assert "&lt;" not in plain, f"{kind} mail (text) escaped twice"
        assert "&#34;" not in plain, f"{kind} mail (text) escaped twice"
        assert "\n" not in message["Subject"]
    returned = [m for kind, m in messages if kind == "returned"]
    assert any(str(escape(V["return"])) in m.get_body(("html",)).get_content() for m in returned)
    assert any(V["return"] in m.get_body(("plain",)).get_content() for m in returned)
    asked = [m for kind, m in messages if kind == "extension_requested"]
    assert any(str(escape(V["ext_reason"])) in m.get_body(("html",)).get_content() for m in asked)
