"""Counting periods: month, quarter, half-year, year or a custom range, and the one before.

A period covers whole local days, `start` to `end` inclusive. Its figures are what stood at
its "as of" instant: the end of its last day (24:00 local), or now when that is still ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KINDS = ("month", "quarter", "half", "year", "custom")
MONTHS_IN = {"month": 1, "quarter": 3, "half": 6, "year": 12}
LONGEST_CUSTOM = timedelta(days=3661)  # ten years and a little


@dataclass(frozen=True)
class Period:
    """A counting period of whole local days."""

    kind: str
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same kind just before this one (a custom range: as long)."""
        if self.kind in MONTHS_IN:
            return period_of(self.kind, self.start - timedelta(days=1))
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period("custom", end - length, end)

    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        found, month = [], self.start.replace(day=1)
        while month <= self.end:
            found.append(month)
            month = _add_months(month, 1)
        return found


def _add_months(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: date) -> Period:
    """The month, quarter, half-year or year that holds `day`."""
    size = MONTHS_IN.get(kind)
    if size is None:
        raise ValueError(f"unknown period kind {kind!r}")
    first_month = (day.month - 1) // size * size + 1
    start = date(day.year, first_month, 1)
    return Period(kind, start, _add_months(start, size) - timedelta(days=1))


def custom(start: date, end: date) -> Period:
    """A custom range; ValueError when it ends before it starts or spans over ten years."""
    if end < start:
        raise ValueError("the period ends before it starts")
    if end - start > LONGEST_CUSTOM:
        raise ValueError("the period is longer than ten years")
    return Period("custom", start, end)


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 local time at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=tz)


def bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a due time falls between to be due in the period: (start, end].

    A due date's deadline is 24:00 of that day, so a deadline at 00:00 of the first day
    belongs to the day before, and one at 24:00 of the last day is in.
    """
    return midnight(period.start, tz), midnight(period.end + timedelta(days=1), tz)


def as_of_instant(day: date | None, period: Period, now: datetime, tz: ZoneInfo) -> datetime:
    """The instant figures are counted at: the end of `day` (the period's last by default),
    or `now` when that is still ahead."""
    end_of_day = midnight((day or period.end) + timedelta(days=1), tz)
    return min(end_of_day, now)
