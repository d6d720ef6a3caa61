"""Shared fixtures: a migrated, seeded SQLite file per test (copied from a session template)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflows.db import Database
from workflows.diagrams import forms
from workflows.settings import Settings
from workflows.setup import demo, schema
from workflows.tables import User

pytest_plugins = ["tests.support.plugin"]

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def seed(url: str) -> dict[str, str]:
    """Migrate a database, install the bundled process, its forms and the demo department, as
    `dondoc init --demo` does; return the logins."""
    db = Database(url)
    try:
        schema.upgrade_schema(db)
        demo.install_process_model(db)
        forms.install_bundled_forms(db)
        return {login.username: login.password for login in demo.install_demo(db)}
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A seeded SQLite file made once per session, with the demo passwords."""
    path = tmp_path_factory.mktemp("template") / "dondoc.db"
    passwords = seed(f"sqlite:///{path}")
    return path, passwords


@pytest.fixture
def db_url(tmp_path: Path, seeded_template: tuple[Path, dict[str, str]]) -> str:
    """A URL to this test's own copy of the seeded SQLite file."""
    path = tmp_path / "dondoc.db"
    shutil.copyfile(seeded_template[0], path)
    return f"sqlite:///{path}"


@pytest.fixture
def passwords(seeded_template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """The demo users' passwords."""
    return seeded_template[1]


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    """Where this test's attachments are stored (the app is pointed at the same folder)."""
    return tmp_path / "uploads"


@pytest.fixture
def db(db_url: str, upload_dir: Path) -> Iterator[Database]:
    """The application database of this test."""
    database = Database(db_url, Settings(upload_dir=upload_dir))
    yield database
    database.dispose()


@pytest.fixture
def users(db: Database) -> dict[str, int]:
    """Demo user ids by username."""
    with db.reading() as session:
        return {user.username: user.id for user in session.scalars(select(User))}


@pytest.fixture
def today() -> date:
    """Today in the department's time zone."""
    return datetime.now(LOCAL_TZ).date()


@pytest.fixture
def uncached_settings() -> Settings:
    """Settings with the workflow cache off, so every step deserializes from the database."""
    return Settings(workflow_cache_size=0)
