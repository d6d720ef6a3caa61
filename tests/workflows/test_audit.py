"""The audit log of administrative changes: one entry per change, in the change's transaction,
with who, when, the old and new values, and never a password hash or a token."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.workflows.form_diagrams import with_legal_review
from workflows import audit
from workflows.access import sessions, tokens
from workflows.db import Database
from workflows.diagrams import forms
from workflows.diagrams import versions as process_models
from workflows.errors import InvalidInput, RoleRequired
from workflows.organisation import accounts, calendar_days
from workflows.organisation import units as admin
from workflows.tables import AuditEntry, User

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _entries(db: Database) -> list[AuditEntry]:
    with db.reading() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()  # keep the loaded values past the read's rollback
        return entries


def _raw_log(db: Database) -> str:
    """Everything the audit table holds, as text (to look for secrets in it)."""
    return json.dumps(
        [
            [e.actor_label, e.action, e.target_kind, e.target_key, e.before, e.after]
            for e in _entries(db)
        ],
        ensure_ascii=False,
    )


def _new_user(db: Database, admin_id: int | None, now: datetime = T0) -> int:
    return accounts.add_user(
        db,
        admin_id,
        "le.thi.b",
        "Lê Thị B",
        "QLCN",
        ["unit_staff"],
        "mat-khau-du-dai",
        "Chuyên viên",
        email=" Le.Thi.B@SKHCN.LangSon.GOV.VN ",
        now=now,
    )


def test_a_user_created_then_changed_by_an_admin_is_logged_with_old_and_new_values(
    db: Database, users: dict[str, int]
) -> None:
    user_id = _new_user(db, users["admin"])
    accounts.update_user(
        db,
        users["admin"],
        user_id,
        full_name="Lê Thị B",
        title="Phó trưởng phòng",
        unit_code="QLKH",
        roles=["unit_head", "unit_staff"],
        active=True,
        email="b.le@langson.gov.vn",
        language="en",
        now=T0 + timedelta(hours=1),
    )
    created, changed = _entries(db)
    assert (created.action, created.target_kind, created.target_key) == (
        "user_created",
        "user",
        "le.thi.b",
    )
    assert (created.actor_id, created.actor_label, created.at) == (users["admin"], "admin", T0)
    assert created.before is None
    assert created.after == {
        "full_name": "Lê Thị B",
        "job_title": "Chuyên viên",
        "unit": "QLCN",
        "roles": ["unit_staff"],
        "email": "Le.Thi.B@skhcn.langson.gov.vn",
        "language": "vi",
        "active": True,
    }
    assert changed.action == "user_changed"
    assert changed.at == T0 + timedelta(hours=1)
    assert changed.before == {
        "job_title": "Chuyên viên",
        "unit": "QLCN",
        "roles": ["unit_staff"],
        "email": "Le.Thi.B@skhcn.langson.gov.vn",
        "language": "vi",
    }
    assert changed.after == {
        "job_title": "Phó trưởng phòng",
        "unit": "QLKH",
        "roles": ["unit_head", "unit_staff"],
        "email": "b.le@langson.gov.vn",
        "language": "en",
    }
    assert "$argon2" not in _raw_log(db)
    assert "mat-khau-du-dai" not in _raw_log(db)


def test_deactivation_and_a_password_reset_are_logged_without_the_password(
    db: Database, users: dict[str, int]
) -> None:
    user_id = _new_user(db, None)
    accounts.update_user(
        db,
        users["admin"],
        user_id,
        full_name="Lê Thị B",
        title="Chuyên viên",
        unit_code="QLCN",
        roles=["unit_staff"],
        active=False,
    )
    password = accounts.reset_password(db, "le.thi.b", now=T0)
    created, deactivated, reset = _entries(db)
    assert (created.actor_id, created.actor_label) == (None, "command line")
    assert (deactivated.action, deactivated.before, deactivated.after) == (
        "user_deactivated",
        {"active": True},
        {"active": False},
    )
    assert (reset.action, reset.actor_label, reset.target_key) == (
        "password_reset",
        "command line",
        "le.thi.b",
    )
    assert reset.after is not None
    assert reset.after["password"] == "changed"
    with db.reading() as session:
        hashed = session.scalar(select(User.password_hash).where(User.id == user_id))
    assert hashed is not None
    assert hashed not in _raw_log(db)
    assert password not in _raw_log(db)


def test_record_never_keeps_a_secret_even_when_handed_one(db: Database) -> None:
    def run(session) -> None:
        audit.record(
            session,
            actor=None,
            action="user_changed",
            target_kind="user",
            target_key="x",
            before={"password_hash": "$argon2id$abc", "token": "dd_secret"},
            after={"password": "hunter2-hunter2", "note": date(2026, 12, 1)},
            at=T0,
        )

    db.command(run)
    (entry,) = _entries(db)
    assert entry.before == {"password_hash": "changed", "token": "changed"}
    assert entry.after == {"password": "changed", "note": "2026-12-01"}


def test_a_refused_change_and_a_change_of_nothing_leave_no_entry(
    db: Database, users: dict[str, int]
) -> None:
    user_id = _new_user(db, users["admin"])
    unchanged = {
        "full_name": "Lê Thị B",
        "title": "Chuyên viên",
        "unit_code": "QLCN",
        "roles": ["unit_staff"],
        "active": True,
    }
    with pytest.raises(InvalidInput) as refused:
        accounts.update_user(
            db, users["admin"], user_id, **{**unchanged, "title": "Trưởng phòng"}, email="b@"
        )
    assert "email" in refused.value.fields
    accounts.update_user(db, users["admin"], user_id, **unchanged)  # saved as it was
    assert [e.action for e in _entries(db)] == ["user_created"]
    with db.reading() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert (user.title, user.email) == ("Chuyên viên", "Le.Thi.B@skhcn.langson.gov.vn")


def test_units_created_renamed_moved_and_deactivated(db: Database, users: dict[str, int]) -> None:
    me = users["admin"]
    unit_id = admin.add_unit(db, me, "TTCNS", "Trung tâm Chuyển đổi số", "centre", "SKHCN-LS")
    admin.update_unit(db, me, unit_id, name="Trung tâm Số", active=True)
    admin.update_unit(db, me, unit_id, name="Trung tâm Số", active=True, parent_code="VP")
    admin.update_unit(db, me, unit_id, name="Trung tâm Số", active=False)
    vp = next(u for u in admin.list_units(db) if u.code == "VP")
    with pytest.raises(InvalidInput, match="under itself"):
        admin.update_unit(db, me, vp.id, name=vp.name, active=True, parent_code="VP")
    root = next(u for u in admin.list_units(db) if u.parent_code is None)
    with pytest.raises(InvalidInput, match="top unit"):
        admin.update_unit(db, me, root.id, name=root.name, active=True, parent_code="VP")
    rows = [(e.action, e.target_key, e.before, e.after) for e in _entries(db)]
    assert rows == [
        (
            "unit_created",
            "TTCNS",
            None,
            {
                "code": "TTCNS",
                "name": "Trung tâm Chuyển đổi số",
                "kind": "centre",
                "parent": "SKHCN-LS",
            },
        ),
        ("unit_renamed", "TTCNS", {"name": "Trung tâm Chuyển đổi số"}, {"name": "Trung tâm Số"}),
        ("unit_moved", "TTCNS", {"parent": "SKHCN-LS"}, {"parent": "VP"}),
        ("unit_deactivated", "TTCNS", {"active": True}, {"active": False}),
    ]
    assert next(u for u in admin.list_units(db) if u.code == "TTCNS").parent_code == "VP"


def test_a_unit_cannot_move_under_one_of_its_own_units(db: Database, users: dict[str, int]):
    me = users["admin"]
    admin.add_unit(db, me, "TO1", "Tổ 1", "division", "VP")
    vp = next(u for u in admin.list_units(db) if u.code == "VP")
    with pytest.raises(InvalidInput, match="under itself"):
        admin.update_unit(db, me, vp.id, name=vp.name, active=True, parent_code="TO1")
    assert [e.action for e in _entries(db)] == ["unit_created"]


def test_calendar_days_forms_versions_and_tokens_are_logged(
    db: Database, users: dict[str, int]
) -> None:
    me, day = users["admin"], date(2027, 1, 2)
    calendar_days.set_calendar_day(db, me, day, False, "Nghỉ bù", now=T0)
    calendar_days.set_calendar_day(db, me, day, False, "Nghỉ bù")  # the same again: nothing new
    calendar_days.set_calendar_day(db, me, day, None)
    schema = '{"type": "object", "properties": {"y_kien": {"type": "string"}}}'
    forms.save_form(db, me, "gop_y", "Góp ý", schema, new=True)
    forms.save_form(db, me, "gop_y", "Góp ý của phòng", schema)
    forms.delete_form(db, me, "gop_y")
    saved = process_models.save_version(db, me, with_legal_review().encode(), "Thêm thẩm định")
    process_models.publish_version(db, me, saved.id)
    token = tokens.create_token(db, "giamdoc", "báo cáo tuần")
    tokens.revoke_tokens(db, "giamdoc")
    rows = [(e.action, e.target_kind, e.target_key, e.before, e.after) for e in _entries(db)]
    assert rows[:6] == [
        (
            "calendar_day_declared",
            "calendar_day",
            "2027-01-02",
            None,
            {"working": False, "note": "Nghỉ bù"},
        ),  # noqa: E501
        (
            "calendar_day_removed",
            "calendar_day",
            "2027-01-02",
            {"working": False, "note": "Nghỉ bù"},
            None,
        ),  # noqa: E501
        ("form_saved", "form", "gop_y", None, {"title": "Góp ý", "schema": schema}),
        ("form_saved", "form", "gop_y", {"title": "Góp ý"}, {"title": "Góp ý của phòng"}),
        ("form_deleted", "form", "gop_y", {"title": "Góp ý của phòng", "schema": schema}, None),
        (
            "model_saved",
            "process",
            f"directive v{saved.number}",
            None,
            {"version": saved.number, "sha256": saved.sha256, "comment": "Thêm thẩm định"},
        ),
    ]
    assert rows[6:] == [
        (
            "model_published",
            "process",
            f"directive v{saved.number}",
            {"published": 1},
            {"published": saved.number},
        ),  # noqa: E501
        ("token_created", "user", "giamdoc", None, {"name": "báo cáo tuần"}),
        ("tokens_revoked", "user", "giamdoc", {"live_tokens": 1}, {"live_tokens": 0}),
    ]
    assert token not in _raw_log(db)


def test_signing_out_everywhere_is_logged(db: Database, users: dict[str, int]) -> None:
    sessions.start_session(db, users["cv.khtc"])
    sessions.sign_out_everywhere(db, users["admin"], users["cv.khtc"], now=T0)
    (entry,) = _entries(db)
    assert (entry.action, entry.actor_label, entry.target_key, entry.at) == (
        "sessions_ended",
        "admin",
        "cv.khtc",
        T0,
    )
    assert entry.after == {"sessions": 1, "tokens": 0}


def test_only_admins_read_the_log_newest_first_by_page_and_filter(
    db: Database, users: dict[str, int]
) -> None:
    me = users["admin"]
    for n in range(3):
        calendar_days.set_calendar_day(
            db, me, date(2027, 1, 4 + n), False, now=T0 + timedelta(days=n)
        )
    _new_user(db, me, now=T0 + timedelta(days=5))
    with pytest.raises(RoleRequired):
        audit.audit_entries(db, users["giamdoc"])
    first = audit.audit_entries(db, me, page=1, per_page=2)
    second = audit.audit_entries(db, me, page=2, per_page=2)
    assert (first.total, first.pages) == (4, 2)
    assert [r.target_key for r in first.rows + second.rows] == [
        "le.thi.b",
        "2027-01-06",
        "2027-01-05",
        "2027-01-04",
    ]
    days = audit.audit_entries(db, me, action="calendar_day_declared")
    assert [r.target_key for r in days.rows] == ["2027-01-06", "2027-01-05", "2027-01-04"]
    by_target = audit.audit_entries(db, me, target="LE.THI")
    assert [(r.action, r.actor_name) for r in by_target.rows] == [
        ("user_created", "Quản trị hệ thống")
    ]
    assert by_target.rows[0].changes[0] == audit.Change("full_name", None, "Lê Thị B")
    assert audit.audit_entries(db, me, target="%").total == 0  # a wildcard is only a character
