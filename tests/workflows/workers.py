"""Functions run in separate processes by the concurrency and crash tests."""

from __future__ import annotations

import os
import signal
import time

from workflows.db import Database
from workflows.steps import unit_work as steps


def start_work_at(url: str, user_id: int, work_item_id: str, start_at: float) -> str:
    """Wait until a shared instant, then start work on one item; report the outcome."""
    db = Database(url)
    try:
        while time.time() < start_at:
            time.sleep(0.001)
        steps.start_work(db, user_id, work_item_id, f"pid {os.getpid()}")
        return "ok"
    except Exception as exc:  # the parent asserts on the text
        return f"{type(exc).__name__}: {exc}"
    finally:
        db.dispose()


def start_then_die(url: str, user_id: int, work_item_id: str) -> None:
    """Commit one step, then die at once with SIGKILL: no cleanup, no orderly close."""
    db = Database(url)
    steps.start_work(db, user_id, work_item_id, "trước khi mất điện")
    os.kill(os.getpid(), signal.SIGKILL)
