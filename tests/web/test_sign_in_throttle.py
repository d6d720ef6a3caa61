"""Sign-in guessing is slowed per account and per address, in the database (issue 9, item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import utcnow
from tests.web.helpers import csrf_token
from web.app import create_app
from workflows.access import signin
from workflows.db import Database
from workflows.tables import Notification, SignInFailure

WRONG = "wrong-password-123"


def _app(tmp_path: Path, db_url: str, **extra: str) -> Flask:
    return create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "test",
            **{f"DONDOC_{name}": value for name, value in extra.items()},
        }
    )


@pytest.fixture
def guarded(tmp_path: Path, db_url: str) -> Iterator[Flask]:
    """The app with sign-in throttling on, as in production."""
    app = _app(tmp_path, db_url)
    yield app
    app.extensions["dondoc.db"].dispose()


def _try(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1") -> int:
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ,
    )
    return response.status_code


def test_forty_guesses_from_four_addresses_are_held_per_account(
    guarded: Flask, passwords: dict[str, str], db: Database
) -> None:
    client = guarded.test_client()
    addresses = [f"203.0.113.{n}" for n in range(1, 5)]
    codes = [_try(client, "giamdoc", WRONG, addresses[n % 4]) for n in range(40)]

    assert codes[: signin.ACCOUNT_LIMIT] == [401] * signin.ACCOUNT_LIMIT
    assert set(codes[signin.ACCOUNT_LIMIT :]) == {429}
    # while held, even the right password is not checked, so guessing cannot go on
    assert _try(client, "giamdoc", passwords["giamdoc"], "198.51.100.7") == 429
    token = csrf_token(client)
    page = client.post(
        "/login", data={"username": "giamdoc", "password": WRONG, "csrf_token": token}
    ).get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút" in page
    with db.reading() as session:
        held = session.scalars(select(Notification).where(Notification.kind == "sign_in_held"))
        assert len(list(held)) == 1  # the owner is told once


def test_the_hold_names_when_to_retry(guarded: Flask) -> None:
    client = guarded.test_client()
    for _ in range(signin.ACCOUNT_LIMIT):
        _try(client, "vanthu", WRONG)
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "vanthu", "password": WRONG, "csrf_token": token}
    )
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= signin.WINDOW.total_seconds() + 1


def test_an_office_behind_one_address_is_not_locked_out_by_one_careless_colleague(
    guarded: Flask, passwords: dict[str, str]
) -> None:
    office = guarded.test_client()
    for _ in range(10):
        _try(office, "cv.khtc", WRONG, "192.0.2.10")
    for username in ("truong.khtc", "cv.vp", "giamdoc"):
        assert _try(guarded.test_client(), username, passwords[username], "192.0.2.10") == 302


def test_correct_sign_ins_do_not_count(guarded: Flask, passwords: dict[str, str]) -> None:
    codes = [
        _try(guarded.test_client(), "cv.khtc", passwords["cv.khtc"], "192.0.2.20")
        for _ in range(signin.ACCOUNT_LIMIT * 3)
    ]
    assert set(codes) == {302}


def test_a_success_clears_the_account_s_earlier_typos(
    guarded: Flask, passwords: dict[str, str]
) -> None:
    client = guarded.test_client()
    for _ in range(signin.ACCOUNT_LIMIT - 1):
        assert _try(client, "cv.vp", WRONG) == 401
    assert _try(guarded.test_client(), "cv.vp", passwords["cv.vp"]) == 302
    for _ in range(signin.ACCOUNT_LIMIT - 1):
        assert _try(client, "cv.vp", WRONG) == 401


def test_one_address_guessing_many_accounts_is_held(guarded: Flask) -> None:
    client = guarded.test_client()
    codes = [
        _try(client, f"nobody{n}", WRONG, "198.51.100.99") for n in range(signin.ADDRESS_LIMIT + 2)
    ]
    assert codes[: signin.ADDRESS_LIMIT] == [401] * signin.ADDRESS_LIMIT
    assert codes[signin.ADDRESS_LIMIT :] == [429, 429]


def test_every_server_process_sees_the_same_counts(
    tmp_path: Path, db_url: str, passwords: dict[str, str]
) -> None:
    """Two application instances on one database, as two worker processes would be."""
    first, second = _app(tmp_path, db_url), _app(tmp_path, db_url)
    try:
        for n in range(signin.ACCOUNT_LIMIT):
            app = first if n % 2 else second
            assert _try(app.test_client(), "truong.vp", WRONG) == 401
        assert _try(first.test_client(), "truong.vp", WRONG) == 429
        assert _try(second.test_client(), "truong.vp", passwords["truong.vp"]) == 429
    finally:
        first.extensions["dondoc.db"].dispose()
        second.extensions["dondoc.db"].dispose()


def test_forwarded_for_is_believed_only_from_a_configured_proxy(
    tmp_path: Path, db_url: str, db: Database
) -> None:
    header = {"X-Forwarded-For": "203.0.113.77"}
    for trusted, expected in (("0", "10.9.9.9"), ("1", "203.0.113.77")):
        app = _app(tmp_path, db_url, TRUSTED_PROXIES=trusted)
        client = app.test_client()
        token = csrf_token(client)
        client.post(
            "/login",
            data={"username": f"probe{trusted}", "password": WRONG, "csrf_token": token},
            headers=header,
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
        app.extensions["dondoc.db"].dispose()
        with db.reading() as session:
            row = session.scalar(
                select(SignInFailure).where(SignInFailure.username == f"probe{trusted}")
            )
            assert row is not None
            assert row.address == expected


def test_the_hold_lifts_after_the_window(db: Database, passwords: dict[str, str]) -> None:
    start = utcnow()
    wrong = signin.Attempt("cv.ttr", WRONG, "10.0.0.5")
    for n in range(signin.ACCOUNT_LIMIT):
        assert signin.sign_in(db, wrong, now=start + timedelta(seconds=n)) is None
    with pytest.raises(signin.SignInThrottled):
        signin.sign_in(db, signin.Attempt("cv.ttr", passwords["cv.ttr"], "10.0.0.5"), now=start)
    later = start + signin.WINDOW + timedelta(seconds=signin.ACCOUNT_LIMIT + 1)
    right = signin.Attempt("cv.ttr", passwords["cv.ttr"], "10.0.0.5")
    assert signin.sign_in(db, right, now=later) is not None
