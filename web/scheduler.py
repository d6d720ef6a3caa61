"""APScheduler wiring: which job runs when; every job is a short call into workflows/.

One wake-up (a date job) sits at the earliest `next_timer_at`; a one-second watch moves it when
an earlier timer appears (from this process or any other), and a slow sweep catches anything
missed. A lease row makes exactly one scheduler active among several processes or machines.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from workflows import (
    Database,
    MailJob,
    create_digests,
    deliver_mail,
    fire_due_timers,
    give_up_stale_sends,
    hold_lease,
    next_timer_at,
    release_lease,
)

log = logging.getLogger(__name__)
LEASE = "deadline-scheduler"
WAKE_UP = "wake_up"


class DeadlineScheduler:
    """Runs the deadline jobs while it holds the lease."""

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = 30,
        sweep_seconds: float = 30,
        mail: Callable[[MailJob], None] | None = None,
        holder: str | None = None,
        digest_hour: int | None = None,
        timezone: str = "Asia/Ho_Chi_Minh",
    ) -> None:
        self.db, self.mail = db, mail
        self.lease_seconds, self.sweep_seconds = lease_seconds, sweep_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self._wake_at: datetime | None = None
        self._lock = threading.Lock()
        self._firing = False
        self.active = False
        self.digest_hour, self.timezone = digest_hour, timezone

    def start(self) -> None:
        """Start the jobs; the first sweep runs at once to catch up after downtime."""
        now = datetime.now(UTC)
        add = self.scheduler.add_job
        add(
            self.watch,
            "interval",
            seconds=1,
            id="watch",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
        add(
            self.sweep,
            "interval",
            seconds=self.sweep_seconds,
            id="sweep",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
        if self.mail is not None:
            add(self.send_mail, "interval", seconds=5, id="mail", max_instances=1, coalesce=True)
        if self.digest_hour is not None:
            add(
                self.digest,
                "cron",
                hour=self.digest_hour,
                timezone=self.timezone,
                id="digest",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=6 * 3600,
            )
        self.scheduler.start()

    def stop(self) -> None:
        """Stop the jobs and hand the lease over at once."""
        self.scheduler.shutdown(wait=True)
        if self.active:
            release_lease(self.db, LEASE, self.holder)
            self.active = False

    def _hold(self) -> bool:
        try:
            self.active = hold_lease(self.db, LEASE, self.holder, self.lease_seconds)
        except Exception:  # a database hiccup: act as passive until the next tick
            log.exception("lease check failed")
            self.active = False
        return self.active

    def watch(self) -> None:
        """Renew the lease and keep the wake-up at the earliest waiting timer."""
        if not self._hold():
            return
        earliest = next_timer_at(self.db)
        if earliest is not None:
            self.wake_at(earliest)

    def wake_at(self, when: datetime) -> None:
        """Move the wake-up earlier (never later: the sweep and the watch catch up)."""
        with self._lock:
            if self._firing:  # the running fire looks for the next timer when it is done
                return
            if self._wake_at is not None and self._wake_at <= when:
                return
            self._wake_at = when
            run_at = max(when, datetime.now(UTC)) + timedelta(milliseconds=20)
            self.scheduler.add_job(
                self.fire,
                "date",
                run_date=run_at,
                id=WAKE_UP,
                replace_existing=True,
                misfire_grace_time=None,
            )

    def fire(self) -> None:
        """Fire every timer that is due, then set the wake-up for the next one."""
        with self._lock:
            self._wake_at, self._firing = None, True
        try:
            if self.active:
                fired = fire_due_timers(self.db)
                if fired:
                    log.info("fired %d timer(s)", fired)
        finally:
            with self._lock:
                self._firing = False
        earliest = next_timer_at(self.db) if self.active else None
        if earliest is not None:
            self.wake_at(earliest)

    def sweep(self) -> None:
        """The safety net: fire whatever is due, and settle mails stuck mid-send."""
        if not self._hold():
            return
        fire_due_timers(self.db)
        give_up_stale_sends(self.db, datetime.now(UTC) - timedelta(minutes=10))

    def digest(self) -> None:
        """Today's digest for everyone with overdue or nearly due steps (once a day)."""
        if self._hold():
            create_digests(self.db)

    def send_mail(self) -> None:
        """Mail the notifications that are due."""
        if self.active and self.mail is not None:
            deliver_mail(self.db, self.mail)
