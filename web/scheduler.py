"""APScheduler wiring only: each job is a short call into workflows/."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from workflows import deadlines
from workflows.db import Database

log = logging.getLogger(__name__)


def fire_due_timers_job(db: Database) -> None:
    """Fire the BPMN timers that fell due."""
    fired = deadlines.fire_due_timers(db)
    if fired:
        log.info("fired %d timer(s)", fired)


def start_scheduler(db: Database, poll_seconds: int) -> BackgroundScheduler:
    """Start the background scheduler; its first sweep runs at once to catch up after downtime."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        fire_due_timers_job,
        "interval",
        args=[db],
        seconds=poll_seconds,
        id="fire_due_timers",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
