"""The application shell: entry redirects, health, assets, security headers, sign-in."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.helpers import csrf_token


def test_visitors_start_at_sign_in_and_members_at_their_inbox(client, client_for) -> None:
    assert client.get("/").headers["Location"].endswith("/login")
    assert client_for("cv.khtc").get("/").headers["Location"].endswith("/inbox")
    assert client_for("giamdoc").get("/").headers["Location"].endswith("/dashboard")


def test_health_assets_and_security_headers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.json["status"] == "ok"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    css = client.get("/vendor/bootstrap.min.css")
    assert css.status_code == 200
    assert b"Bootstrap" in css.data[:200]
    css.close()
    assert client.get("/vendor/../../pyproject.toml").status_code == 404
    assert client.get("/vendor/bootstrap/package.json").status_code == 404


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient, passwords) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": "giamdoc", "password": passwords["giamdoc"], "csrf_token": token},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_password_is_refused_without_saying_which_part(client, passwords) -> None:
    token = csrf_token(client)
    for username in ("giamdoc", "nobody"):
        response = client.post(
            "/login", data={"username": username, "password": "sai-mat-khau", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)


def test_sign_in_returns_to_a_local_page_only(client, passwords) -> None:
    for target, expected in (
        ("/directives/", "/directives/"),
        ("https://evil.example/x", "/"),  # home: the inbox, the dashboard for leaders
        ("//evil.example", "/"),
    ):
        fresh = client.application.test_client()
        token = csrf_token(fresh)
        response = fresh.post(
            "/login",
            data={
                "username": "vanthu",
                "password": passwords["vanthu"],
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["Location"] == expected


def test_forms_without_a_csrf_token_are_refused(client_for, assigned_small, db, users) -> None:
    from tests.helpers import item_of

    item = item_of(db, users["cv.khtc"], "execute")
    client = client_for("cv.khtc")
    response = client.post(f"/work/{item.work_item_id}", data={"note": "không có token"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert item_of(db, users["cv.khtc"], "execute").work_item_id == item.work_item_id
    assert client.post("/logout").status_code == 400


def test_sign_out_ends_the_session(client_for) -> None:
    client = client_for("cv.khtc")
    token = csrf_token(client, "/inbox")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "/login?next=" in client.get("/inbox").headers["Location"]
