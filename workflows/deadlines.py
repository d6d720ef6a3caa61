"""Jobs on time: fire the BPMN timers that fell due (reminders before, escalation at, due dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.errors import DirectiveNotActive
from workflows.pipeline import apply_step_result, engine_errors
from workflows.rules.calendar import WorkCalendar, reporting_windows
from workflows.tables import CalendarDay, Directive, Task


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


def fire_due_timers(db: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Advance every running instance whose earliest timer is due; return how many fired timers."""
    at = now or utcnow()
    with db.reading() as session:
        due = db.processes.due_instances(session, at, limit)
    return sum(_fire_instance(db, instance_id, at) for instance_id in due)


def _fire_instance(db: Database, instance_id: int, at: datetime) -> int:
    def run(session: Session) -> int:
        directive = session.scalar(
            select(Directive).where(Directive.process_instance_id == instance_id)
        )
        if directive is None:
            return 0
        with engine_errors():
            result = db.processes.fire_due_timers(session, instance_id)
        apply_step_result(session, db, directive, result, at)
        return len(result.fired_timers)

    try:
        return db.command(run)
    except DirectiveNotActive:
        return 0


def next_timer_at(db: Database) -> datetime | None:
    """The earliest due time of any waiting timer of a running instance."""
    with db.reading() as session:
        return db.processes.earliest_timer(session)
