"""Deadlines on the department's calendar: due instants, reminders, reporting periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.rules.calendar import WorkCalendar, reporting_windows
from workflows.tables import CalendarDay, Task


def work_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar: weekends, Vietnamese public holidays, and the days off and
    make-up working days an administrator declared."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.working)).all()
    return WorkCalendar(
        days_off=frozenset(day for day, working in rows if not working),
        working_days=frozenset(day for day, working in rows if working),
    )


def deadline_and_reminder(
    calendar: WorkCalendar,
    due_on: date | None,
    due_at: datetime | None,
    tz: ZoneInfo,
    reminder_days: int,
) -> tuple[datetime | None, datetime | None]:
    """The instant a task is overdue and the instant its reminder is due.

    A due date on a day off moves to the end of the next working day (BLDS 2015 art. 148); a
    precise deadline is kept as given. The reminder comes at the start of the day N working
    days before the deadline.
    """
    if due_on is None:
        return None, None
    deadline = due_at or calendar.end_of_day(calendar.deadline_day(due_on), tz)
    reminder_day = calendar.reminder_day(due_on, reminder_days)
    reminder = datetime.combine(reminder_day, time.min, tzinfo=tz).astimezone(UTC)
    return deadline.astimezone(UTC), min(reminder, deadline.astimezone(UTC))


def report_periods(
    calendar: WorkCalendar, task: Task, today: date, tz: ZoneInfo, reminder_days: int
) -> list[tuple[datetime, datetime]]:
    """(deadline, reminder) of every reporting period of a periodic task (NĐ 09/2019 windows)."""
    if task.reporting_until is None:
        return []
    options = {"cutoff_day": task.report_cutoff_day, "days_after_cutoff": task.report_lag_days}
    if task.reporting == "monthly":
        windows = reporting_windows("monthly", today, task.reporting_until, calendar, **options)
    elif task.reporting == "quarterly":
        windows = reporting_windows("quarterly", today, task.reporting_until, calendar, **options)
    else:
        return []
    periods = []
    for window in windows:
        deadline, reminder = deadline_and_reminder(calendar, window.due_on, None, tz, reminder_days)
        assert deadline is not None
        assert reminder is not None
        periods.append((deadline, reminder))
    return periods
