"""Suspend and resume pages: a confirmation with a required reason, the status on the page."""

from __future__ import annotations

from tests.helpers import snapshot
from tests.web.helpers import csrf_token


def test_suspend_then_resume_through_the_confirmation_pages(client_for, db, assigned_small):
    director = client_for("giamdoc")
    detail = f"/directives/{assigned_small}"
    assert f'href="{detail}/suspend"' in director.get(detail).get_data(as_text=True)
    page = director.get(f"{detail}/suspend").get_data(as_text=True)
    assert "Tạm dừng" in page
    assert 'name="reason"' in page

    before = snapshot(db)
    token = csrf_token(director, f"{detail}/suspend")
    refused = director.post(f"{detail}/suspend", data={"reason": "", "csrf_token": token})
    assert refused.status_code == 422
    assert snapshot(db) == before

    done = director.post(f"{detail}/suspend", data={"reason": "Chờ UBND", "csrf_token": token})
    assert done.status_code == 302
    page = director.get(detail).get_data(as_text=True)
    assert "Tạm dừng" in page
    assert "Chờ UBND" in page
    assert f'href="{detail}/resume"' in page
    assert f'href="{detail}/suspend"' not in page

    token = csrf_token(director, f"{detail}/resume")
    director.post(f"{detail}/resume", data={"reason": "Đã có ý kiến", "csrf_token": token})
    page = director.get(detail).get_data(as_text=True)
    assert "Đã có ý kiến" in page
    assert f'href="{detail}/suspend"' in page


def test_units_see_no_buttons_and_are_refused(client_for, assigned_small):
    head = client_for("truong.khtc")
    detail = f"/directives/{assigned_small}"
    assert "/suspend" not in head.get(detail).get_data(as_text=True)
    assert head.get(f"{detail}/suspend").status_code == 403
