"""Working days, civil-code deadlines and NĐ 09/2019 reporting windows on real holiday data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.rules.calendar import ReportingKind, ReportingWindow, WorkCalendar, reporting_windows
from workflows.rules.timeliness import due_at_for

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar()
PROPERTIES = settings(database=None, max_examples=150, deadline=None)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))


def span(first: date, last: date) -> frozenset[date]:
    """Return every day from first to last inclusive."""
    return frozenset(first + timedelta(days=i) for i in range((last - first).days + 1))


TET_2020 = span(date(2020, 1, 23), date(2020, 1, 29))  # 29 Tết Kỷ Hợi to mùng 5 Canh Tý
TET_2026 = span(date(2026, 2, 14), date(2026, 2, 22))  # 27 Tết Ất Tỵ to mùng 6 Bính Ngọ


# --- the package's data, pinned so an upgrade that changes it fails here first -------------


def test_the_package_lists_tet_2020_as_announced() -> None:
    listed = {day for day in holidays.country_holidays("VN", years=2020) if day.month == 1}
    assert listed == {date(2020, 1, 1)} | TET_2020


def test_the_package_lists_only_the_weekdays_of_tet_2026() -> None:
    listed = {day for day in holidays.country_holidays("VN", years=2026) if day.month == 2}
    assert listed == span(date(2026, 2, 16), date(2026, 2, 20))
    assert all(day.weekday() >= 5 for day in TET_2026 - listed)


@pytest.mark.parametrize("day", sorted(TET_2020 | TET_2026))
def test_every_day_of_tet_is_off(day: date) -> None:
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (date(2020, 1, 22), date(2020, 1, 30)),
        (date(2026, 2, 13), date(2026, 2, 23)),
    ],
)
def test_tet_is_one_unbroken_stretch_off(before: date, after: date) -> None:
    assert CAL.is_working_day(before)
    assert CAL.is_working_day(after)
    assert CAL.next_working_day(before) == after
    assert CAL.previous_working_day(after) == before


def test_an_administrator_listing_the_announced_tet_2026_changes_nothing() -> None:
    announced = WorkCalendar(days_off=TET_2026)
    february = span(date(2026, 2, 1), date(2026, 2, 28))
    assert all(announced.is_working_day(d) == CAL.is_working_day(d) for d in february)


def test_an_administrator_can_lengthen_tet() -> None:
    longer = WorkCalendar(days_off=frozenset({date(2026, 2, 23)}))
    assert longer.next_working_day(date(2026, 2, 13)) == date(2026, 2, 24)
    assert longer.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 1


# --- weekends, other public holidays, swaps and administrator lists -----------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2020, 1, 3), True),  # Friday
        (date(2020, 1, 4), False),  # Saturday
        (date(2020, 1, 5), False),  # Sunday
        (date(2020, 1, 1), False),  # New Year's Day
        (date(2020, 4, 30), False),  # Reunification Day, Thursday
        (date(2020, 5, 1), False),  # Labour Day, Friday
        (date(2020, 5, 4), True),
        (date(2020, 9, 2), False),  # National Day, one day until 2020
        (date(2020, 9, 3), True),
        (date(2021, 9, 2), False),  # two days since 2021
        (date(2021, 9, 3), False),
        (date(2025, 4, 26), True),  # Saturday worked in exchange for Friday 02/05/2025
        (date(2025, 5, 2), False),
        (date(2026, 8, 22), True),  # Saturday worked in exchange for Monday 31/08/2026
        (date(2026, 8, 31), False),
    ],
)
def test_public_calendar(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_the_april_and_may_holidays_join_the_weekend() -> None:
    assert CAL.next_working_day(date(2020, 4, 29)) == date(2020, 5, 4)
    assert CAL.working_days_between(date(2020, 4, 29), date(2020, 5, 4)) == 1


def test_a_make_up_saturday_is_worked() -> None:
    saturday = date(2020, 1, 18)
    calendar = WorkCalendar(working_days=frozenset({saturday}))
    assert calendar.is_working_day(saturday)
    assert calendar.next_working_day(date(2020, 1, 17)) == saturday
    assert calendar.add_working_days(date(2020, 1, 16), 2) == saturday
    assert not CAL.is_working_day(saturday)


def test_an_added_day_off_is_not_worked() -> None:
    calendar = WorkCalendar(days_off=frozenset({date(2020, 1, 22)}))
    assert not calendar.is_working_day(date(2020, 1, 22))
    assert calendar.previous_working_day(date(2020, 1, 30)) == date(2020, 1, 21)


def test_an_administrator_may_work_a_public_holiday() -> None:
    calendar = WorkCalendar(working_days=frozenset({date(2026, 2, 20)}))
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 20)


def test_a_day_cannot_be_both_off_and_worked() -> None:
    day = frozenset({date(2020, 1, 18)})
    with pytest.raises(ValueError, match="2020-01-18"):
        WorkCalendar(days_off=day, working_days=day)


@pytest.mark.parametrize(
    ("day", "after", "before"),
    [
        (date(2020, 1, 6), date(2020, 1, 7), date(2020, 1, 3)),  # Monday
        (date(2020, 1, 4), date(2020, 1, 6), date(2020, 1, 3)),  # Saturday
        (date(2019, 12, 31), date(2020, 1, 2), date(2019, 12, 30)),  # New Year between
    ],
)
def test_neighbouring_working_days_are_strictly_after_and_before(
    day: date, after: date, before: date
) -> None:
    assert CAL.next_working_day(day) == after
    assert CAL.previous_working_day(day) == before


# --- counting working days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2020, 1, 20), 5, date(2020, 2, 3)),  # 21, 22, Tết, 30, 31, weekend, 3
        (date(2020, 1, 22), 1, date(2020, 1, 30)),
        (date(2020, 1, 30), -1, date(2020, 1, 22)),
        (date(2020, 2, 3), -5, date(2020, 1, 20)),
        (date(2026, 2, 12), 3, date(2026, 2, 24)),  # 13, Tết, 23, 24
        (date(2026, 2, 24), -3, date(2026, 2, 12)),
        (date(2019, 12, 30), 2, date(2020, 1, 2)),
        (date(2020, 1, 2), -2, date(2019, 12, 30)),
        (date(2020, 1, 25), 0, date(2020, 1, 25)),
        (date(2020, 1, 25), 1, date(2020, 1, 30)),
        (date(2020, 1, 25), -1, date(2020, 1, 22)),
    ],
)
def test_add_working_days(day: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(day, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2020, 1, 22), date(2020, 1, 22), 0),
        (date(2020, 1, 22), date(2020, 1, 29), 0),
        (date(2020, 1, 22), date(2020, 1, 30), 1),
        (date(2020, 1, 20), date(2020, 2, 3), 5),
        (date(2026, 2, 13), date(2026, 2, 23), 1),
        (date(2019, 12, 31), date(2020, 1, 2), 1),
        (date(2020, 1, 3), date(2020, 1, 5), 0),
    ],
)
def test_working_days_between_is_antisymmetric(start: date, end: date, expected: int) -> None:
    assert CAL.working_days_between(start, end) == expected
    assert CAL.working_days_between(end, start) == -expected


# --- civil-code periods and due dates ------------------------------------------------------


@pytest.mark.parametrize(
    ("event_day", "days", "expected"),
    [
        (date(2020, 3, 2), 3, date(2020, 3, 5)),  # a Thursday: ends that day
        (date(2020, 3, 5), 3, date(2020, 3, 9)),  # Sunday 08/03 -> Monday
        (date(2020, 1, 13), 10, date(2020, 1, 30)),  # 23/01, first day of Tết
        (date(2020, 1, 24), 1, date(2020, 1, 30)),  # inside Tết
        (date(2026, 2, 4), 10, date(2026, 2, 23)),  # Saturday 14/02, start of Tết
        (date(2026, 2, 10), 10, date(2026, 2, 23)),  # Friday 20/02, last public day
        (date(2019, 12, 27), 5, date(2020, 1, 2)),  # New Year's Day
        (date(2020, 4, 20), 10, date(2020, 5, 4)),  # 30/04
        (date(2020, 8, 23), 10, date(2020, 9, 3)),  # 02/09
    ],
)
def test_period_end(event_day: date, days: int, expected: date) -> None:
    assert CAL.period_end(event_day, days) == expected


@pytest.mark.parametrize("days", [0, -1])
def test_a_period_has_at_least_one_day(days: int) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        CAL.period_end(date(2020, 3, 2), days)


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (date(2020, 3, 5), date(2020, 3, 5)),
        (date(2020, 3, 7), date(2020, 3, 9)),
        (date(2020, 1, 23), date(2020, 1, 30)),
        (date(2026, 2, 22), date(2026, 2, 23)),
        (date(2020, 5, 1), date(2020, 5, 4)),
    ],
)
def test_a_due_date_on_a_day_off_moves_to_the_next_working_day(
    due_on: date, expected: date
) -> None:
    assert CAL.deadline_day(due_on) == expected


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (date(2020, 1, 23), HCM, datetime(2020, 1, 23, 17, 0, tzinfo=UTC)),
        (date(2019, 12, 31), HCM, datetime(2019, 12, 31, 17, 0, tzinfo=UTC)),
        (date(2020, 1, 23), ZoneInfo("UTC"), datetime(2020, 1, 24, 0, 0, tzinfo=UTC)),
    ],
)
def test_end_of_day_is_local_midnight_in_utc(day: date, tz: ZoneInfo, expected: datetime) -> None:
    end = CAL.end_of_day(day, tz)
    assert end == expected
    assert end.tzinfo is UTC
    assert end == due_at_for(day, tz)


def test_a_period_ends_at_midnight_after_its_last_working_day() -> None:
    end = CAL.end_of_day(CAL.period_end(date(2026, 2, 4), 10), HCM)
    assert end == datetime(2026, 2, 23, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due_on", "before", "expected"),
    [
        (date(2020, 1, 31), 3, date(2020, 1, 21)),  # 30, Tết, 22, 21
        (date(2026, 2, 24), 3, date(2026, 2, 12)),  # 23, Tết, 13, 12
        (date(2020, 5, 5), 3, date(2020, 4, 28)),  # 04, 30/04-01/05, 29, 28
        (date(2020, 2, 2), 3, date(2020, 1, 22)),  # Sunday: counts from Monday 03/02
        (date(2020, 3, 6), 1, date(2020, 3, 5)),
        (date(2020, 3, 7), 0, date(2020, 3, 9)),  # day 0 is the real deadline
    ],
)
def test_reminder_day(due_on: date, before: int, expected: date) -> None:
    assert CAL.reminder_day(due_on, before) == expected


def test_a_reminder_comes_three_working_days_before_by_default() -> None:
    assert CAL.reminder_day(date(2020, 1, 31)) == date(2020, 1, 21)


def test_a_reminder_cannot_come_after_the_due_date() -> None:
    with pytest.raises(ValueError, match="before the due date"):
        CAL.reminder_day(date(2020, 3, 6), -1)


# --- NĐ 09/2019 reporting windows ---------------------------------------------------------


def window(start: date, cutoff: date, due_on: date) -> ReportingWindow:
    """Build an expected window."""
    return ReportingWindow(period_start=start, cutoff=cutoff, due_on=due_on)


@pytest.mark.parametrize(
    ("kind", "first", "until", "expected"),
    [
        (
            "monthly",
            date(2025, 12, 1),
            date(2026, 2, 28),
            [
                window(date(2025, 11, 15), date(2025, 12, 14), date(2025, 12, 15)),  # Sunday
                window(date(2025, 12, 15), date(2026, 1, 14), date(2026, 1, 15)),
                window(date(2026, 1, 15), date(2026, 2, 14), date(2026, 2, 23)),  # Tết
            ],
        ),
        (
            "monthly",
            date(2019, 12, 14),
            date(2020, 1, 14),
            [
                window(date(2019, 11, 15), date(2019, 12, 14), date(2019, 12, 16)),  # Saturday
                window(date(2019, 12, 15), date(2020, 1, 14), date(2020, 1, 15)),
            ],
        ),
        (
            "quarterly",
            date(2025, 10, 1),
            date(2026, 6, 30),
            [
                window(date(2025, 9, 15), date(2025, 12, 14), date(2025, 12, 15)),
                window(date(2025, 12, 15), date(2026, 3, 14), date(2026, 3, 16)),
                window(date(2026, 3, 15), date(2026, 6, 14), date(2026, 6, 15)),
            ],
        ),
        (
            "half_yearly",
            date(2025, 1, 1),
            date(2025, 12, 31),
            [
                window(date(2024, 12, 15), date(2025, 6, 14), date(2025, 6, 16)),
                window(date(2025, 6, 15), date(2025, 12, 14), date(2025, 12, 15)),
            ],
        ),
        (
            "yearly",
            date(2025, 1, 1),
            date(2026, 12, 31),
            [
                window(date(2024, 12, 15), date(2025, 12, 14), date(2025, 12, 15)),
                window(date(2025, 12, 15), date(2026, 12, 14), date(2026, 12, 15)),
            ],
        ),
        ("monthly", date(2020, 1, 15), date(2020, 2, 13), []),
        ("monthly", date(2020, 2, 1), date(2020, 1, 1), []),
    ],
)
def test_reporting_windows(
    kind: ReportingKind, first: date, until: date, expected: list[ReportingWindow]
) -> None:
    assert reporting_windows(kind, first, until, CAL) == expected


def test_a_task_may_move_the_cutoff_and_the_lag() -> None:
    windows = reporting_windows(
        "monthly",
        date(2020, 1, 1),
        date(2020, 1, 31),
        CAL,
        cutoff_day=22,
        days_after_cutoff=2,
    )
    assert windows == [window(date(2019, 12, 23), date(2020, 1, 22), date(2020, 1, 31))]


def test_an_administrator_day_off_pushes_a_report_further() -> None:
    calendar = WorkCalendar(days_off=frozenset({date(2026, 2, 23)}))
    [only] = reporting_windows("monthly", date(2026, 2, 1), date(2026, 2, 28), calendar)
    assert only.due_on == date(2026, 2, 24)


@pytest.mark.parametrize(
    ("cutoff_day", "expected_start"),
    [(28, date(2024, 2, 29)), (1, date(2024, 2, 2))],
)
def test_a_window_starts_the_day_after_the_previous_cutoff(
    cutoff_day: int, expected_start: date
) -> None:
    [march] = reporting_windows(
        "monthly", date(2024, 3, 1), date(2024, 3, 31), CAL, cutoff_day=cutoff_day
    )
    assert march.period_start == expected_start


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cutoff_day": 29}, "cutoff day"),
        ({"cutoff_day": 0}, "cutoff day"),
        ({"days_after_cutoff": 0}, "at least 1 working day"),
    ],
)
def test_impossible_window_rules_are_refused(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reporting_windows("monthly", date(2020, 1, 1), date(2020, 12, 31), CAL, **options)


# --- properties ---------------------------------------------------------------------------


@PROPERTIES
@given(day=DAYS, n=st.integers(min_value=1, max_value=300))
def test_adding_working_days_lands_on_a_working_day(day: date, n: int) -> None:
    later = CAL.add_working_days(day, n)
    assert later > day
    assert CAL.is_working_day(later)
    assert CAL.working_days_between(day, later) == n


@PROPERTIES
@given(day=DAYS, n=st.integers(min_value=-300, max_value=300))
def test_from_a_working_day_adding_and_counting_agree(day: date, n: int) -> None:
    start = CAL.deadline_day(day)
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n
    assert CAL.add_working_days(CAL.add_working_days(start, n), -n) == start


@PROPERTIES
@given(a=DAYS, b=DAYS, c=DAYS)
def test_counting_is_antisymmetric_and_additive(a: date, b: date, c: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    total = CAL.working_days_between(a, b) + CAL.working_days_between(b, c)
    assert total == CAL.working_days_between(a, c)


@PROPERTIES
@given(day=DAYS)
def test_a_deadline_is_the_first_working_day_from_the_due_date(day: date) -> None:
    deadline = CAL.deadline_day(day)
    assert CAL.is_working_day(deadline)
    assert CAL.working_days_between(day - timedelta(days=1), deadline) == 1


@PROPERTIES
@given(
    first=DAYS,
    months=st.integers(min_value=0, max_value=40),
    kind=st.sampled_from(["monthly", "quarterly", "half_yearly", "yearly"]),
    cutoff_day=st.integers(min_value=1, max_value=28),
)
def test_windows_tile_the_timeline(
    first: date, months: int, kind: ReportingKind, cutoff_day: int
) -> None:
    until = first + timedelta(days=31 * months)
    windows = reporting_windows(kind, first, until, CAL, cutoff_day=cutoff_day)
    for earlier, later in pairwise(windows):
        assert later.period_start == earlier.cutoff + timedelta(days=1)
    for each in windows:
        assert first <= each.cutoff <= until
        assert each.cutoff.day == cutoff_day
        assert each.due_on > each.cutoff
        assert CAL.working_days_between(each.cutoff, each.due_on) == 1
