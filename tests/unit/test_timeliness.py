"""Timeliness is computed from due and completion times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.rules.timeliness import days_left, due_at_for, timeliness

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = datetime(2020, 1, 23, 17, 0, tzinfo=UTC)  # 24:00 on 23/01/2020 in Hà Nội time


def test_a_due_date_ends_at_midnight_local_time() -> None:
    assert due_at_for(date(2020, 1, 23), HCM) == DUE
    assert due_at_for(None, HCM) is None


@pytest.mark.parametrize(
    ("completed", "now", "expected"),
    [
        (DUE - timedelta(seconds=1), DUE + timedelta(days=9), "on_time"),
        (DUE, DUE + timedelta(days=9), "on_time"),
        (DUE + timedelta(seconds=1), DUE + timedelta(days=9), "late"),
        (None, DUE, "overdue"),
        (None, DUE + timedelta(days=2), "overdue"),
        (None, DUE - timedelta(days=3), "due_soon"),
        (None, DUE - timedelta(days=3, seconds=1), "in_term"),
    ],
)
def test_classification(completed, now, expected: str) -> None:
    assert timeliness(DUE, completed, now, due_soon_days=3) == expected


def test_an_ongoing_task_is_never_overdue() -> None:
    far = DUE + timedelta(days=3650)
    assert timeliness(None, None, far) == "no_deadline"
    assert timeliness(None, far, far) == "on_time"


def test_days_left_count_local_calendar_days() -> None:
    assert days_left(DUE, datetime(2020, 1, 23, 16, 59, tzinfo=UTC), HCM) == 0
    assert days_left(DUE, datetime(2020, 1, 20, 18, 0, tzinfo=UTC), HCM) == 2
    assert days_left(DUE, datetime(2020, 1, 24, 1, 0, tzinfo=UTC), HCM) == -1
    assert days_left(None, DUE, HCM) is None
