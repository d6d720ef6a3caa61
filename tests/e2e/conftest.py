"""A live server on loopback, serving the app on this test's seeded database."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from web.app import create_app

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveServer:
    """Where the app listens and where this test's screenshots go."""

    url: str
    shots: Path


@pytest.fixture
def live_server(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    app = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path / "instance"),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "e2e",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shots = REPO / "test-output" / "e2e" / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", shots)
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        app.extensions["dondoc.db"].dispose()
