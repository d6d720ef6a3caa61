"""`make run` on a fresh instance folder: demo data, printed logins, a page served to Chromium."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "e2e"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True
    ).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if marker in seen[-1]:
            return "".join(seen)
    pytest.fail(f"no {marker!r} within {timeout}s; output:\n{''.join(seen)}")


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {timeout}s")


@pytest.mark.e2e
def test_make_run_serves_the_demo_on_loopback(page, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "DONDOC_INSTANCE_DIR": str(tmp_path / "instance")}
    env.pop("MAKEFLAGS", None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = _read_until(process, "serving on", timeout=180)
        assert f"http://127.0.0.1:{port}/" in output
        for username in ("giamdoc", "vanthu", "admin", "truong.khtc", "cv.ttud"):
            assert f"  {username} " in output
        assert (tmp_path / "instance" / "dondoc.db").is_file()
        _wait_for_port(port, timeout=30)

        password = re.search(r"^  giamdoc +(\S+) ", output, re.M).group(1)
        page.goto(f"http://127.0.0.1:{port}/")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "make-run-login.png"), full_page=True)
        page.fill("#username", "giamdoc")
        page.fill("#password", password)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r".*/dashboard$"))  # a leader's home page
        page.goto(f"http://127.0.0.1:{port}/inbox")
        page.screenshot(path=str(OUTPUT / "make-run-inbox.png"), full_page=True)
        row = page.locator("table.inbox tbody tr")
        assert row.count() == 1  # the demo directive, waiting to be assigned
        assert "01/KH-SKHCN" in row.inner_text()
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(OUTPUT / "make-run-inbox-phone.png"), full_page=True)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()
