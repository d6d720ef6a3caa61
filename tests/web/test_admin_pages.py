"""Administration pages: users and units, through the real forms."""

from __future__ import annotations

import re

from tests.web.helpers import csrf_token
from workflows.organisation import people as org


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_admin_creates_a_user_who_can_then_sign_in(client_for, db, users) -> None:
    admin = client_for("admin")
    response = _post(
        admin,
        "/admin/users/new",
        {
            "username": "le.thi.b",
            "full_name": "Lê Thị B",
            "title": "Chuyên viên",
            "unit": "QLCN",
            "roles": ["unit_staff"],
            "password": "mat-khau-du-dai",
        },
    )
    assert response.status_code == 302
    assert "le.thi.b" in admin.get("/admin/users").get_data(as_text=True)
    with db.reading() as session:
        assert org.authenticate(session, "le.thi.b", "mat-khau-du-dai") is not None


def test_bad_user_data_is_shown_in_vietnamese_and_nothing_is_created(client_for, db) -> None:
    admin = client_for("admin")
    response = _post(
        admin,
        "/admin/users/new",
        {
            "username": "X Y",
            "full_name": "Ai đó",
            "unit": "QLCN",
            "roles": ["unit_staff"],
            "password": "ngan",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ít nhất 10 ký tự" in html
    assert "chữ thường" in html
    assert "X Y" not in admin.get("/admin/users").get_data(as_text=True)


def test_an_admin_cannot_lock_themselves_out(client_for, users) -> None:
    admin = client_for("admin")
    response = _post(
        admin,
        f"/admin/users/{users['admin']}",
        {"full_name": "Quản trị", "unit": "VP", "roles": ["clerk"], "active": ""},
    )
    assert response.status_code == 422
    assert "quyền quản trị" in response.get_data(as_text=True)


def test_units_are_created_and_renamed_without_touching_past_assignments(
    client_for, db, users, assigned_small
) -> None:
    admin = client_for("admin")
    assert (
        _post(
            admin,
            "/admin/units/new",
            {
                "code": "TTCNS",
                "name": "Trung tâm Chuyển đổi số",
                "kind": "centre",
                "parent": "SKHCN-LS",
            },
        ).status_code
        == 302
    )
    units = admin.get("/admin/units").get_data(as_text=True)
    assert "Trung tâm Chuyển đổi số" in units
    from workflows.organisation import units as admin_use_cases
    from workflows.read import detail as queries

    khtc = next(u for u in admin_use_cases.list_units(db) if u.code == "KHTC")
    assert (
        _post(
            admin, f"/admin/units/{khtc.id}", {"name": "Phòng Tài chính", "active": "y"}
        ).status_code
        == 302
    )
    detail = queries.directive_detail(db, users["giamdoc"], assigned_small)
    names = {a.unit_name for t in detail.tasks for a in t.assignments if a.unit_code == "KHTC"}
    assert names == {"Phòng Kế hoạch - Tài chính"}


def test_an_alias_given_on_the_unit_page_is_kept_shown_and_read_in_directives(
    client_for, db
) -> None:
    from workflows.organisation import units as admin_use_cases

    text = (
        "KẾ HOẠCH\nRà soát dữ liệu dân cư\n"
        "1. Tổ Đề án 06 chủ trì, phối hợp với Văn phòng Sở rà soát dữ liệu dân cư, "
        "hoàn thành trước ngày 30/11/2030.\n"
        "2. Phòng KH-TC bố trí kinh phí cho việc rà soát dữ liệu dân cư.\n"
    )
    clerk = client_for("vanthu")

    def proposed() -> str:
        token = csrf_token(clerk, "/directives/new")
        form = {"csrf_token": token, "action": "propose", "source_text": text}
        return clerk.post("/directives/new", data=form).get_data(as_text=True)

    lead = 'name="tasks-0-lead_units" value="QLCN" id="[^"]+" autocomplete="off" checked'
    before = proposed()
    assert not re.search(lead, before)
    assert "Văn bản nêu các đơn vị chưa có trong danh mục: Tổ Đề án 06." in before
    assert "Văn bản nêu nhưng chưa có trong danh mục đơn vị: Tổ Đề án 06." in before  # its row
    admin = client_for("admin")
    qlcn = next(u for u in admin_use_cases.list_units(db) if u.code == "QLCN")
    saved = _post(
        admin,
        f"/admin/units/{qlcn.id}",
        {"name": qlcn.name, "active": "y", "aliases": "Tổ Đề án 06\nPhòng CN"},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    page = admin.get(f"/admin/units/{qlcn.id}").get_data(as_text=True)
    assert re.search(
        r"<textarea[^>]*name=\"aliases\"[^>]*>\s*Tổ Đề án 06\nPhòng CN</textarea>", page
    )
    assert ">Tên khác<" in page
    after = proposed()
    assert re.search(lead, after)
    assert "chưa có trong danh mục" not in after  # no longer an unknown unit
