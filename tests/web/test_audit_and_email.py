"""The audit log page and e-mail addresses, through the real admin pages and the command line."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from tests.web.helpers import csrf_token
from web.cli import main
from workflows import audit
from workflows.db import Database
from workflows.organisation import accounts, calendar_days
from workflows.organisation import units as admin
from workflows.tables import AuditEntry, User


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def _user(db: Database, username: str) -> User:
    with db.reading() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


def _entry_blocks(html: str) -> list[str]:
    return re.findall(r'<li class="list-group-item" data-audit-entry="\d+">(.*?)</li>', html, re.S)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_an_admin_sets_an_email_on_the_user_pages_normalised_or_refused(
    client_for, db: Database, users: dict[str, int]
) -> None:
    page = client_for("admin")
    created = _post(
        page,
        "/admin/users/new",
        {
            "username": "le.thi.b",
            "full_name": "Lê Thị B",
            "unit": "QLCN",
            "roles": ["unit_staff"],
            "password": "mat-khau-du-dai",
            "email": "  Le.Thi.B@SKHCN.LangSon.GOV.VN ",
        },
    )
    assert created.status_code == 302
    assert _user(db, "le.thi.b").email == "Le.Thi.B@skhcn.langson.gov.vn"
    path = f"/admin/users/{users['cv.khtc']}"
    form = page.get(path).get_data(as_text=True)
    assert 'name="email" type="email"' in form
    assert 'name="language"' in form
    base = {"full_name": "Chuyên viên (KHTC)", "unit": "KHTC", "roles": ["unit_staff"]}
    bad = _post(page, path, {**base, "active": "y", "email": "cv.khtc@", "language": "en"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Thư điện tử: cv.khtc@ không phải là địa chỉ thư điện tử hợp lệ" in html
    assert (_user(db, "cv.khtc").email, _user(db, "cv.khtc").language) == ("", "vi")
    accounts.set_language(db, users["cv.khtc"], "en")  # the officer's own choice
    good = _post(page, path, {**base, "active": "y", "email": "CV.KHTC@langson.gov.vn"})
    assert good.status_code == 302
    assert _user(db, "cv.khtc").email == "CV.KHTC@langson.gov.vn"
    assert _user(db, "cv.khtc").language == "en"  # not posted: kept, not reset to a default


def test_the_command_line_sets_emails_and_says_clearly_when_one_is_wrong(
    db_url: str, tmp_path: Path, db: Database
) -> None:
    env = {"DONDOC_INSTANCE_DIR": str(tmp_path), "DONDOC_DATABASE_URL": db_url}
    runner = CliRunner()
    args = ["user", "create", "nguyen.van.a", "--name", "Nguyễn Văn A", "--unit", "QLKH"]
    args += ["--role", "unit_staff", "--password", "mat-khau-dai-du"]
    wrong = runner.invoke(main, [*args, "--email", "a@@langson.gov.vn"], env=env)
    assert wrong.exit_code == 1
    assert "a@@langson.gov.vn is not a valid e-mail address" in wrong.output
    with db.reading() as session:
        assert session.scalar(select(User).where(User.username == "nguyen.van.a")) is None
    created = runner.invoke(main, [*args, "--email", "A.Nguyen@LangSon.gov.vn"], env=env)
    assert created.exit_code == 0, created.output
    assert _user(db, "nguyen.van.a").email == "A.Nguyen@langson.gov.vn"
    changed = runner.invoke(main, ["user", "set-email", "giamdoc", "GD@langson.gov.vn"], env=env)
    assert changed.exit_code == 0, changed.output
    assert "GD@langson.gov.vn" in changed.output
    refused = runner.invoke(main, ["user", "set-email", "giamdoc", "giam doc@x.vn"], env=env)
    assert refused.exit_code == 1
    assert "not a valid e-mail address" in refused.output
    assert _user(db, "giamdoc").email == "GD@langson.gov.vn"
    missing = runner.invoke(main, ["user", "set-email", "nobody", "a@b.vn"], env=env)
    assert missing.exit_code == 1
    with db.reading() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor_label, AuditEntry.after).order_by(
                AuditEntry.id
            )
        ).all()
    assert [(a, who) for a, who, _ in entries] == [
        ("user_created", "command line"),
        ("user_changed", "command line"),
    ]
    assert entries[1][2] == {"email": "GD@langson.gov.vn"}


def test_the_audit_page_shows_who_what_when_and_old_to_new_in_vietnamese(
    client_for, db: Database, users: dict[str, int]
) -> None:
    page = client_for("admin")
    empty = page.get("/admin/audit").get_data(as_text=True)
    assert "Chưa ghi nhận thay đổi quản trị nào." in empty
    assert 'href="/admin/audit"' in empty  # in the admin tabs
    calendar_days.set_calendar_day(
        db,
        users["admin"],
        date(2027, 1, 2),
        False,
        "Nghỉ bù",
        now=datetime(2026, 12, 1, 2, 5, tzinfo=UTC),
    )
    khtc = next(u for u in admin.list_units(db) if u.code == "KHTC")
    moved = _post(
        page, f"/admin/units/{khtc.id}", {"name": khtc.name, "parent": "VP", "active": "y"}
    )
    assert moved.status_code == 302
    path = f"/admin/users/{users['cv.khtc']}"
    changed = _post(
        page,
        path,
        {
            "full_name": "Nguyễn Văn C",
            "unit": "KHTC",
            "roles": ["unit_staff", "unit_head"],
            "language": "en",
        },
    )  # "active" not ticked: deactivated in the same change
    assert changed.status_code == 302
    html = page.get("/admin/audit").get_data(as_text=True)
    user_entry, unit_entry, day_entry = (_text(b) for b in _entry_blocks(html))
    assert "Khóa tài khoản" in user_entry
    assert "Người thực hiện: Quản trị hệ thống (admin)" in user_entry
    assert "Tài khoản: cv.khtc" in user_entry
    assert "Họ và tên Chuyên viên (KHTC) → Nguyễn Văn C" in user_entry
    assert "Vai trò Chuyên viên → Lãnh đạo đơn vị, Chuyên viên" in user_entry
    assert "Ngôn ngữ Tiếng Việt → English" in user_entry
    assert "có → không" in user_entry
    assert "Chuyển đơn vị sang đơn vị cấp trên khác" in unit_entry
    assert "SKHCN-LS → VP" in unit_entry
    assert "01/12/2026 09:05" in day_entry  # local time (UTC+7)
    assert "Khai báo ngày trong lịch làm việc" in day_entry
    assert "ngày nghỉ" in day_entry
    only_units = page.get("/admin/audit?action=unit_moved").get_data(as_text=True)
    assert len(_entry_blocks(only_units)) == 1
    assert "cv.khtc" not in _text("".join(_entry_blocks(only_units)))
    by_target = page.get("/admin/audit?target=cv.khtc").get_data(as_text=True)
    assert len(_entry_blocks(by_target)) == 1
    none = page.get("/admin/audit?target=nobody").get_data(as_text=True)
    assert "Không có thay đổi nào khớp với bộ lọc." in none
    assert page.get("/admin/audit?action=<script>").status_code == 200  # unknown: ignored


def test_the_audit_page_is_paged_newest_first(
    client_for, db: Database, users: dict[str, int]
) -> None:
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    for n in range(52):
        calendar_days.set_calendar_day(
            db,
            users["admin"],
            date(2027, 1, 1) + timedelta(days=n),
            False,
            now=start + timedelta(hours=n),
        )
    page = client_for("admin")
    first = page.get("/admin/audit").get_data(as_text=True)
    assert len(_entry_blocks(first)) == 50
    assert "2027-02-21" in _entry_blocks(first)[0]  # the newest
    assert "Trang 1/2" in first
    older = re.search(r'href="([^"]*page=2[^"]*)"', first)
    assert older is not None
    second = page.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    newer, oldest = _entry_blocks(second)
    assert ("2027-01-02" in newer, "2027-01-01" in oldest) == (True, True)
    assert audit.audit_entries(db, users["admin"], page=2).total == 52


def test_a_unit_gets_a_leader_in_charge_on_its_admin_page(client_for, db, users) -> None:
    """The leader in charge (lãnh đạo phụ trách) is chosen among the leaders, and audited."""
    from workflows import list_units
    from workflows.tables import AuditEntry

    admin = client_for("admin")
    unit = next(u for u in list_units(db) if u.code == "KHTC")
    page = admin.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    assert "Lãnh đạo phụ trách" in page
    token = csrf_token(admin, f"/admin/units/{unit.id}")
    form = {"csrf_token": token, "name": unit.name, "active": "y", "parent": unit.parent_code}
    refused = admin.post(f"/admin/units/{unit.id}", data={**form, "leader": str(users["cv.khtc"])})
    assert refused.status_code == 422
    assert "hãy chọn một lãnh đạo đang hoạt động" in refused.get_data(as_text=True)
    assert unit.leader_id == users["phogiamdoc"]  # the demo's leader in charge of KHTC
    saved = admin.post(f"/admin/units/{unit.id}", data={**form, "leader": str(users["giamdoc"])})
    assert saved.status_code == 302
    chosen = next(u for u in list_units(db) if u.code == "KHTC")
    assert chosen.leader_id == users["giamdoc"]
    assert "Lãnh đạo phụ trách" in admin.get("/admin/units").get_data(as_text=True)
    with db.reading() as session:
        entry = session.query(AuditEntry).filter_by(action="unit_leader_changed").one()
        assert entry.after == {"leader": "giamdoc"}
