"""The leaders' dashboard: the task grid of a period and of the one before, the grid per unit,
a monthly trend, what is overdue now (most overdue first) and what falls due within a week."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from engine import utcnow
from workflows.db import Database
from workflows.organisation import people
from workflows.read import counting_sql as sql
from workflows.read import memo
from workflows.read import statistics as stats
from workflows.read.task_list import TaskFilter, TaskLine, task_list
from workflows.rules import periods
from workflows.rules.counting import Grid

TREND_MONTHS = 12
LIST_LENGTH = 20
SOON_DAYS = 7


@dataclass(frozen=True)
class TrendPoint:
    """The tasks due (or issued) in one month, as they stand at the dashboard's instant."""

    month: date
    grid: Grid


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows."""

    query: stats.StatsQuery
    previous: stats.StatsQuery
    tasks: Grid
    tasks_before: Grid
    units: stats.Statistics
    trend: tuple[TrendPoint, ...]
    overdue: tuple[TaskLine, ...]
    overdue_total: int
    due_soon: tuple[TaskLine, ...]
    due_soon_total: int
    overdue_query: stats.StatsQuery  # what the two lists were asked, for the links to them
    due_soon_query: stats.StatsQuery


def dashboard(
    db: Database, user_id: int, query: stats.StatsQuery, now: datetime | None = None
) -> Dashboard:
    """Gather the dashboard of a period (its as-of day: the query's, else its end or now)."""
    at = now or utcnow()
    previous = replace(query, period=query.period.previous(), as_of=None)
    tasks = stats.statistics(db, user_id, replace(query, by="directive"), now=at)
    before = stats.statistics(db, user_id, replace(previous, by="directive"), now=at)
    units = stats.statistics(db, user_id, replace(query, by="unit"), now=at)
    today = at.astimezone(db.settings.tz).date()
    # as far back as a custom range may reach, so the list behind the figure is the same list
    since = today - periods.LONGEST_CUSTOM
    open_now = replace(query, period=periods.Period("custom", since, today), as_of=None)
    overdue = task_list(
        db,
        user_id,
        TaskFilter(open_now, level="item", category="open_overdue", role="lead"),
        per_page=LIST_LENGTH,
        now=at,
    )
    week = periods.Period("custom", today, today + timedelta(days=SOON_DAYS))
    this_week = replace(query, period=week, as_of=None)
    soon = task_list(
        db,
        user_id,
        TaskFilter(this_week, level="item", category="open_in_term"),
        per_page=LIST_LENGTH,
        now=at,
    )
    return Dashboard(
        query,
        previous,
        tasks.total,
        before.total,
        units,
        memo.remembered(
            db, ("trend", user_id, query, memo.minute(at)), lambda: trend(db, user_id, query, at)
        ),
        overdue.lines,
        overdue.total,
        soon.lines,
        soon.total,
        open_now,
        this_week,
    )


def trend(
    db: Database, user_id: int, query: stats.StatsQuery, now: datetime
) -> tuple[TrendPoint, ...]:
    """The task grid of each of the twelve months up to the period's last."""
    last = query.period.end
    first = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    for _ in range(TREND_MONTHS - 2):
        first = (first - timedelta(days=1)).replace(day=1)
    span = replace(query, period=periods.Period("custom", first, last))
    window = stats.window_of(db, span, now)
    months = span.period.months()
    tz = db.settings.tz
    ends = [periods.midnight(m, tz) for m in months[1:]] + [window.end]
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        units = stats.scope_units(session, actor, query.unit_codes)
        tasks = stats.task_rows(window, units)
        bucket = sql.month_bucket(window, tasks.c.due, tasks.c.issued_on, months, ends)
        rows = session.execute(
            select(bucket, tasks.c.category, func.count()).group_by(bucket, tasks.c.category)
        ).all()
    grids = stats.grids(rows)
    return tuple(TrendPoint(month, grids.get(i, Grid())) for i, month in enumerate(months))
