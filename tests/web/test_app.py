"""The minimal web app: the landing page, the health check, security headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        environ={"DONDOC_INSTANCE_DIR": str(tmp_path), "DONDOC_DATABASE_URL": db_url}
    )
    yield application
    application.extensions["dondoc.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_landing_page_shows_counts_in_vietnamese_and_english(client, assigned_small) -> None:
    response = client.get("/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Văn bản đang thực hiện" in text
    assert "Directives in progress" in text
    assert "phiên bản 1" in text
    assert 'lang="vi"' in text


def test_landing_page_reveals_no_directive_content(client, assigned_small) -> None:
    text = client.get("/").get_data(as_text=True)
    assert "Rà soát dự toán" not in text
    assert "Kết luận giao ban" not in text


def test_health_and_security_headers(client) -> None:
    response = client.get("/healthz")
    assert response.json == {"status": "ok"}
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_pages_are_404(client) -> None:
    assert client.get("/nope").status_code == 404
