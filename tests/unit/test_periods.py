"""Counting periods against dates worked out by hand: half-years, the period before, 24:00."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflows.rules.periods import Period, as_of_instant, bounds, custom, period_of

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("half", date(2025, 6, 30), date(2025, 1, 1), date(2025, 6, 30)),
        ("half", date(2025, 7, 1), date(2025, 7, 1), date(2025, 12, 31)),
        ("quarter", date(2024, 2, 29), date(2024, 1, 1), date(2024, 3, 31)),
        ("month", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
        ("year", date(2025, 12, 31), date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_the_period_holding_a_day(kind: str, day: date, start: date, end: date) -> None:
    assert period_of(kind, day) == Period(kind, start, end)


def test_the_period_before() -> None:
    assert period_of("half", date(2025, 3, 1)).previous() == Period(
        "half", date(2024, 7, 1), date(2024, 12, 31)
    )
    assert period_of("quarter", date(2025, 1, 5)).previous() == Period(
        "quarter", date(2024, 10, 1), date(2024, 12, 31)
    )
    # a custom range: the same number of days, ending the day before it starts
    assert custom(date(2025, 3, 10), date(2025, 3, 19)).previous() == Period(
        "custom", date(2025, 2, 28), date(2025, 3, 9)
    )
    assert custom(date(2024, 3, 1), date(2024, 3, 1)).previous() == Period(
        "custom", date(2024, 2, 29), date(2024, 2, 29)
    )


def test_a_deadline_at_24_00_of_the_last_day_is_in_and_00_00_of_the_first_is_not() -> None:
    start, end = bounds(period_of("month", date(2025, 3, 1)), TZ)
    assert start == datetime(2025, 3, 1, 0, 0, tzinfo=TZ)  # excluded: 24:00 of 28 February
    assert end == datetime(2025, 4, 1, 0, 0, tzinfo=TZ)  # included: 24:00 of 31 March


def test_the_as_of_instant_is_the_end_of_the_day_or_now() -> None:
    march = period_of("month", date(2025, 3, 1))
    later = datetime(2025, 6, 1, 10, tzinfo=TZ)
    assert as_of_instant(None, march, later, TZ) == datetime(2025, 4, 1, tzinfo=TZ)
    assert as_of_instant(date(2025, 3, 15), march, later, TZ) == datetime(2025, 3, 16, tzinfo=TZ)
    sooner = datetime(2025, 3, 20, 9, tzinfo=TZ)
    assert as_of_instant(None, march, sooner, TZ) == sooner


def test_custom_ranges_refuse_backwards_and_over_ten_years() -> None:
    with pytest.raises(ValueError, match="ends before"):
        custom(date(2025, 2, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="ten years"):
        custom(date(2010, 1, 1), date(2025, 1, 1))
    assert custom(date(2015, 1, 1), date(2025, 1, 1)).kind == "custom"
