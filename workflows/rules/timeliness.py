"""Timeliness rules: always computed from due and completion times, never typed in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ON_TIME = "on_time"
LATE = "late"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
IN_TERM = "in_term"
NO_DEADLINE = "no_deadline"


def due_at_for(due_on: date | None, tz: ZoneInfo) -> datetime | None:
    """Return the instant a due date ends: 24:00 local time of that day (BLDS 2015 art. 147)."""
    if due_on is None:
        return None
    return datetime.combine(due_on + timedelta(days=1), time.min, tzinfo=tz)


def timeliness(
    due_at: datetime | None,
    completed_at: datetime | None,
    now: datetime,
    due_soon_days: int = 3,
) -> str:
    """Classify one assignment: on time, late, overdue, due soon, in term, or no deadline."""
    if due_at is None:
        return ON_TIME if completed_at is not None else NO_DEADLINE
    if completed_at is not None:
        return ON_TIME if completed_at <= due_at else LATE
    if now >= due_at:
        return OVERDUE
    if due_at - now <= timedelta(days=due_soon_days):
        return DUE_SOON
    return IN_TERM


def days_left(due_at: datetime | None, now: datetime, tz: ZoneInfo) -> int | None:
    """Return whole local days until the due date (negative when overdue), None without one."""
    if due_at is None:
        return None
    last_day = (due_at.astimezone(tz) - timedelta(microseconds=1)).date()
    return (last_day - now.astimezone(tz).date()).days
