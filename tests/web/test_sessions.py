"""Sessions end for real: sign-out, sign out everywhere, a password reset (issue 9, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import utcnow
from tests.web.helpers import csrf_token, sign_in
from web.app import create_app
from workflows.access import sessions, tokens
from workflows.db import Database
from workflows.errors import PermissionDenied
from workflows.organisation import accounts
from workflows.tables import UserSession


def _copy_cookies(source: FlaskClient, target: FlaskClient) -> None:
    """Give `target` every cookie `source` holds, as an attacker who copied them would."""
    for cookie in source._cookies.values():  # noqa: SLF001 - the test client keeps them here
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/inbox").status_code == 200


def test_a_cookie_copied_before_sign_out_opens_nothing_after(
    app: Flask, client_for: Callable[[str], FlaskClient]
) -> None:
    victim = client_for("cv.khtc")
    thief = app.test_client()
    _copy_cookies(victim, thief)
    assert _signed_in(thief)  # the copy works while the session lives

    token = csrf_token(victim, "/inbox")
    assert victim.post("/logout", data={"csrf_token": token}).status_code == 302

    response = thief.get("/inbox")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_signing_out_one_browser_keeps_the_others(
    app: Flask, client_for: Callable[[str], FlaskClient]
) -> None:
    laptop, phone = client_for("cv.khtc"), client_for("cv.khtc")
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/inbox")})
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_every_session_and_token(
    app: Flask, db: Database, client_for: Callable[[str], FlaskClient]
) -> None:
    laptop, phone = client_for("truong.khtc"), client_for("truong.khtc")
    token = tokens.create_token(db, "truong.khtc")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200

    response = laptop.post("/logout/everywhere", data={"csrf_token": csrf_token(laptop, "/inbox")})

    assert response.status_code == 302
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert api.get("/api/v1/me", headers=bearer).status_code == 401
    assert _signed_in(client_for("truong.khtc"))  # signing in again works


def test_a_password_reset_ends_every_session_and_token(
    app: Flask, db: Database, client_for: Callable[[str], FlaskClient]
) -> None:
    browser = client_for("cv.qlkh")
    token = tokens.create_token(db, "cv.qlkh")

    new_password = accounts.reset_password(db, "cv.qlkh")

    assert not _signed_in(browser)
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    fresh = app.test_client()
    sign_in(fresh, "cv.qlkh", new_password)
    assert _signed_in(fresh)


def test_an_admin_signs_a_user_out_everywhere(
    db: Database, users: dict[str, int], client_for: Callable[[str], FlaskClient]
) -> None:
    browser = client_for("cv.ttr")
    ended, revoked = sessions.sign_out_everywhere(db, users["admin"], users["cv.ttr"])
    assert (ended, revoked) == (1, 0)
    assert not _signed_in(browser)


def test_only_an_admin_may_sign_someone_else_out(db: Database, users: dict[str, int]) -> None:
    with pytest.raises(PermissionDenied):
        sessions.sign_out_everywhere(db, users["cv.khtc"], users["giamdoc"])


def test_sessions_expire_and_expired_rows_are_cleared(db: Database, users: dict[str, int]) -> None:
    then = utcnow() - timedelta(hours=sessions.SESSION_HOURS + 1)
    old = sessions.start_session(db, users["cv.khtc"], now=then)
    assert sessions.session_user(db, old) is None
    sessions.start_session(db, users["cv.khtc"])
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_forged_session_id_opens_nothing(
    app: Flask, db: Database, users: dict[str, int], tmp_path: Path, db_url: str
) -> None:
    """A session cookie signed with the right key but naming no live session is refused."""
    forged = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "test",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    client = forged.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(users["giamdoc"])
        cookie["_fresh"] = True
        cookie["sid"] = "guessed-secret"
    assert not _signed_in(client)
    forged.extensions["dondoc.db"].dispose()


def test_an_admin_signs_a_user_out_everywhere_from_the_user_page(
    app: Flask, db: Database, users: dict[str, int], client_for: Callable[[str], FlaskClient]
) -> None:
    browser = client_for("truong.vp")
    token = tokens.create_token(db, "truong.vp")
    admin = client_for("admin")
    page = admin.get(f"/admin/users/{users['truong.vp']}").get_data(as_text=True)
    assert "Đăng xuất người này trên mọi thiết bị" in page
    response = admin.post(
        f"/admin/users/{users['truong.vp']}/sign-out",
        data={"csrf_token": csrf_token(admin, "/inbox")},
        follow_redirects=True,
    )
    assert "1 phiên đăng nhập đã kết thúc, 1 mã API đã bị thu hồi" in response.get_data(
        as_text=True
    )
    assert not _signed_in(browser)
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert _signed_in(admin)
