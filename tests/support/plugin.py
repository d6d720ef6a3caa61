"""Pytest fixtures for a throwaway PostgreSQL server and a headless Chromium."""

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.support.browser import CHROMIUM_ARGS, find_chromium
from tests.support.postgres import PostgresServer, find_pg_bin, start_postgres

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REQUIRE_PG = "DONDOC_REQUIRE_PG"
REQUIRE_E2E = "DONDOC_REQUIRE_E2E"


def _skip_or_fail(env_var: str, reason: str) -> NoReturn:
    """Skip the test, or fail it when env_var is set to 1."""
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{reason} ({env_var}=1 makes this a failure)", pytrace=False)
    pytest.skip(f"{reason} (set {env_var}=1 to fail instead)")


def _database_name(node_name: str) -> str:
    """Return a unique database name that hints at the test it belongs to."""
    slug = re.sub(r"[^a-z0-9]+", "_", node_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start one throwaway PostgreSQL server for the whole session."""
    if find_pg_bin() is None:
        _skip_or_fail(REQUIRE_PG, "PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
    server = start_postgres(Path(tempfile.gettempdir()))
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """Give a SQLAlchemy URL to a fresh, empty database, dropped after the test."""
    name = _database_name(request.node.name)
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Return the system Chromium's path, skipping when it is not installed."""
    path = find_chromium()
    if path is None:
        _skip_or_fail(REQUIRE_E2E, "Chromium is not installed (/usr/bin/chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator["Browser"]:
    """Launch the system Chromium headless through Playwright for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail(REQUIRE_E2E, "the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=list(CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: "Browser") -> Iterator["Page"]:
    """Give a fresh page in its own Vietnamese-locale browser context."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    fresh_page = context.new_page()
    yield fresh_page
    context.close()
