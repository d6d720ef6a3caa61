"""Web tests: an app on this test's seeded database, and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import sign_in
from tests.workflows.conftest import assigned_small, assigned_tet  # noqa: F401 - fixtures
from web.app import create_app


@pytest.fixture
def app(db_url: str, tmp_path: Path, upload_dir: Path) -> Iterator[Flask]:
    application = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "test",
            "DONDOC_RATE_LIMITS": "0",
            "DONDOC_UPLOAD_DIR": str(upload_dir),
        }
    )
    yield application
    application.extensions["dondoc.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client_for(app: Flask, passwords: dict[str, str]) -> Callable[[str], FlaskClient]:
    """A signed-in client per username."""

    def make(username: str) -> FlaskClient:
        signed = app.test_client()
        sign_in(signed, username, passwords[username])
        return signed

    return make
