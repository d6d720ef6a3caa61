"""Working days in Vietnam: deadlines under the civil code and NĐ 09/2019 reporting windows.

A day is a working day unless it is a Saturday or Sunday, a public holiday (the `holidays`
package's Vietnamese calendar, Tết included, with the swaps it knows of) or a day
off an administrator added. An administrator's lists win over the package: a listed working
day is worked even on a weekend or holiday, a listed day off is not, whatever the package says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

__all__ = ["ReportingKind", "ReportingWindow", "WorkCalendar", "reporting_windows"]

ReportingKind = Literal["monthly", "quarterly", "half_yearly", "yearly"]

ONE_DAY = timedelta(days=1)
SATURDAY = 5
# NĐ 09/2019 art. 12: every period closes in a month that is a multiple of its length.
REPORTING_MONTHS: dict[ReportingKind, int] = {
    "monthly": 1,
    "quarterly": 3,
    "half_yearly": 6,
    "yearly": 12,
}


@dataclass(frozen=True, slots=True)
class _PublicYear:
    """One year of the package's calendar: holidays, and weekend days swapped into work."""

    days_off: frozenset[date]
    weekend_workdays: frozenset[date]


@cache
def _public_year(year: int) -> _PublicYear:
    """Return Vietnam's public days off and swapped working weekend days for one year."""
    country = holidays.country_holidays("VN", years=year)
    return _PublicYear(frozenset(country), frozenset(country.weekend_workdays))


def _is_weekend(day: date) -> bool:
    """Tell whether day is a Saturday or a Sunday."""
    return day.weekday() >= SATURDAY


def _is_public_working_day(day: date) -> bool:
    """Tell whether the public calendar alone makes day a working day."""
    public = _public_year(day.year)
    if _is_weekend(day):
        return day in public.weekend_workdays
    return day not in public.days_off


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Vietnam's working days plus the days an administrator added off or made working."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Refuse a day listed both as a day off and as a working day."""
        clash = self.days_off & self.working_days
        if clash:
            listed = ", ".join(day.isoformat() for day in sorted(clash))
            raise ValueError(f"listed both as a day off and as a working day: {listed}")

    def is_working_day(self, day: date) -> bool:
        """Tell whether day is a working day."""
        if day in self.days_off:
            return False
        if day in self.working_days:
            return True
        return _is_public_working_day(day)

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after day."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def previous_working_day(self, day: date) -> date:
        """Return the last working day strictly before day."""
        day -= ONE_DAY
        while not self.is_working_day(day):
            day -= ONE_DAY
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """Return the n-th working day after day (before it when n < 0); day itself for 0."""
        step = self.next_working_day if n > 0 else self.previous_working_day
        for _ in range(abs(n)):
            day = step(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days in (start, end]; negative, mirrored, when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def deadline_day(self, due_on: date) -> date:
        """Return the day a due date ends: itself, or the next working day if it is a day off."""
        return due_on if self.is_working_day(due_on) else self.next_working_day(due_on)

    def period_end(self, event_day: date, days: int) -> date:
        """Return the last day of a period of days counted from the day after event_day."""
        if days < 1:
            raise ValueError(f"a period counted in days needs at least one day, not {days}")
        return self.deadline_day(event_day + timedelta(days=days))

    def end_of_day(self, day: date, tz: ZoneInfo) -> datetime:
        """Return 24:00 of day in tz (00:00 of the next day) as a UTC instant."""
        return datetime.combine(day + ONE_DAY, time.min, tzinfo=tz).astimezone(UTC)

    def reminder_day(self, due_on: date, working_days_before: int = 3) -> date:
        """Return the working day that lies working_days_before working days before a due date."""
        if working_days_before < 0:
            raise ValueError(f"a reminder comes before the due date, not {working_days_before}")
        return self.add_working_days(self.deadline_day(due_on), -working_days_before)


@dataclass(frozen=True, slots=True)
class ReportingWindow:
    """One reporting period: data from period_start to cutoff, report due on due_on."""

    period_start: date
    cutoff: date
    due_on: date


def reporting_windows(
    kind: ReportingKind,
    first: date,
    until: date,
    calendar: WorkCalendar,
    *,
    cutoff_day: int = 14,
    days_after_cutoff: int = 1,
) -> list[ReportingWindow]:
    """List the NĐ 09/2019 art. 12 windows of a kind whose cutoff falls in [first, until]."""
    _check_window_rules(cutoff_day, days_after_cutoff)
    step = REPORTING_MONTHS[kind]
    return [
        _window(cutoff, step, calendar, days_after_cutoff)
        for cutoff in _cutoffs(first, until, step, cutoff_day)
    ]


def _check_window_rules(cutoff_day: int, days_after_cutoff: int) -> None:
    """Refuse a cutoff day missing from some month, or a report due before its data exist."""
    if not 1 <= cutoff_day <= 28:
        raise ValueError(f"the cutoff day must exist in every month (1-28), not {cutoff_day}")
    if days_after_cutoff < 1:
        raise ValueError(
            f"a report is due at least 1 working day after its cutoff, not {days_after_cutoff}"
        )


def _cutoffs(first: date, until: date, step: int, cutoff_day: int) -> list[date]:
    """List the cutoff days in [first, until] of months that close a period of step months."""
    months = range(first.year * 12 + first.month - 1, until.year * 12 + until.month)
    candidates = (_month_day(index, cutoff_day) for index in months if (index % 12 + 1) % step == 0)
    return [cutoff for cutoff in candidates if first <= cutoff <= until]


def _month_day(month_index: int, day: int) -> date:
    """Return the given day of the month numbered year * 12 + month - 1."""
    year, month = divmod(month_index, 12)
    return date(year, month + 1, day)


def _window(
    cutoff: date, step: int, calendar: WorkCalendar, days_after_cutoff: int
) -> ReportingWindow:
    """Build the window that closes on cutoff and began the day after the previous cutoff."""
    month_index = cutoff.year * 12 + cutoff.month - 1
    previous_cutoff = _month_day(month_index - step, cutoff.day)
    due_on = calendar.add_working_days(cutoff, days_after_cutoff)
    return ReportingWindow(previous_cutoff + ONE_DAY, cutoff, due_on)
