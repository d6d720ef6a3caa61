"""Statistics: the counting grid per unit, task, directive, issuer or leader in charge, for a
period, at an "as of" instant, by due date or by issue date (rules in rules/counting.py).

People who see every directive see every unit; anyone else sees their own unit's figures
(its lead items, and the tasks it leads). Suspended directives, and those cancelled by the
"as of" instant, are not counted; how many there are is part of the answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.access.permissions import sees_everything
from workflows.db import Database
from workflows.errors import InvalidInput
from workflows.messages import N_
from workflows.organisation import people
from workflows.read import counting_sql as sql
from workflows.read import memo
from workflows.read.counting_sql import Rows
from workflows.rules import periods
from workflows.rules.collation import sort_key
from workflows.rules.counting import CATEGORIES, Grid
from workflows.tables import Directive, DueItem, Task, Unit, User

GROUPINGS = ("unit", "task", "directive", "issuer", "leader")
BASES = ("due", "issued")
NO_LEADER = "none"


@dataclass(frozen=True)
class StatsQuery:
    """What to count: grouping, period, basis, as-of day, units, which deadline."""

    period: periods.Period
    by: str = "unit"
    basis: str = "due"
    as_of: date | None = None
    unit_codes: tuple[str, ...] = ()
    original: bool = False  # count against the first deadlines, not the extended ones


@dataclass(frozen=True)
class StatRow:
    """One line: who or what, and its grid (a unit's coordinating items beside its own)."""

    key: str
    name: str
    grid: Grid
    coordinating: Grid = field(default_factory=Grid)


@dataclass(frozen=True)
class Statistics:
    """The grid per row and in total, with what was counted and what was left out."""

    query: StatsQuery
    window: sql.Window
    rows: tuple[StatRow, ...]
    total: Grid
    coordinating_total: Grid
    suspended: int
    cancelled: int
    own_unit: str | None  # set when the reader sees only their own unit


def check_query(query: StatsQuery) -> None:
    """Refuse an unknown grouping or basis (InvalidInput)."""
    if query.by not in GROUPINGS:
        raise InvalidInput({"by": N_("choose one of %(choices)s", choices=", ".join(GROUPINGS))})
    if query.basis not in BASES:
        raise InvalidInput({"date_basis": N_("choose due or issued")})


def period_between(start: date, end: date) -> periods.Period:
    """A custom period, or InvalidInput (a domain message) when it runs backwards or too long."""
    if end < start:
        raise InvalidInput({"to": N_("the period ends before it starts")})
    try:
        return periods.custom(start, end)
    except ValueError as exc:
        raise InvalidInput({"to": N_("the period is longer than ten years")}) from exc


def window_of(db: Database, query: StatsQuery, now: datetime) -> sql.Window:
    """The instants and days a query counts over."""
    tz = db.settings.tz
    start, end = periods.bounds(query.period, tz)
    as_of = periods.as_of_instant(query.as_of, query.period, now, tz)
    with db.reading() as session:
        last_change = session.scalar(select(func.max(DueItem.due_changed_at)))
    return sql.Window(
        as_of,
        start,
        end,
        query.period.start,
        query.period.end,
        query.basis,
        query.original,
        changes_after=last_change is not None and last_change > as_of,
    )


def statistics(
    db: Database, user_id: int, query: StatsQuery, now: datetime | None = None
) -> Statistics:
    """Count the grid for a period, grouped as asked (kept while nothing counted changes)."""
    check_query(query)
    at = now or utcnow()
    return memo.remembered(
        db, ("statistics", user_id, query, memo.minute(at)), lambda: _count(db, user_id, query, at)
    )


def _count(db: Database, user_id: int, query: StatsQuery, now: datetime) -> Statistics:
    window = window_of(db, query, now)
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        units = scope_units(session, actor, query.unit_codes)
        rows = _ROWS[query.by](session, window, units)
        suspended, cancelled = excluded(session, window, units)
        own = None if sees_everything(actor) else actor.unit.code
    total = sum((row.grid for row in rows), Grid())
    coordinating = sum((row.coordinating for row in rows), Grid())
    return Statistics(query, window, tuple(rows), total, coordinating, suspended, cancelled, own)


def scope_units(session: Session, actor: User, codes: tuple[str, ...]) -> list[int] | None:
    """The units counted: those asked for (all when none), only one's own without see-all."""
    if not sees_everything(actor):
        return [actor.unit_id]
    if not codes:
        return None
    found = list(session.scalars(select(Unit.id).where(Unit.code.in_(codes))))
    if len(found) != len(set(codes)):
        raise InvalidInput({"unit": N_("no such unit")})
    return found


def narrowed(query: Rows, units: list[int] | None) -> Rows:
    """Keep the items of these units (all when None)."""
    return query if units is None else query.where(DueItem.unit_id.in_(units))


def grids(rows: Any) -> dict[Any, Grid]:
    """Sum (key, category, count) rows into a grid per key."""
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, 0))
    for key, category, count in rows:
        counts[key][category] += int(count)
    return {key: Grid(**values) for key, values in counts.items()}


def _by_unit(session: Session, window: sql.Window, units: list[int] | None) -> list[StatRow]:
    items = narrowed(sql.items(window), units).subquery()
    rows = session.execute(
        select(items.c.unit_id, items.c.role, items.c.category, func.count()).group_by(
            items.c.unit_id, items.c.role, items.c.category
        )
    ).all()
    lead = grids((u, c, n) for u, r, c, n in rows if r == "lead")
    coordinating = grids((u, c, n) for u, r, c, n in rows if r != "lead")
    named = session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(lead.keys() | coordinating.keys()))
    ).all()
    found = [
        StatRow(code, name, lead.get(unit_id, Grid()), coordinating.get(unit_id, Grid()))
        for unit_id, code, name in named
    ]
    return sorted(found, key=lambda row: sort_key(row.name))


def _by_leader(session: Session, window: sql.Window, units: list[int] | None) -> list[StatRow]:
    items = narrowed(sql.items(window), units).where(DueItem.role == "lead").subquery()
    rows = session.execute(
        select(Unit.leader_id, items.c.category, func.count())
        .join(Unit, Unit.id == items.c.unit_id)
        .group_by(Unit.leader_id, items.c.category)
    ).all()
    by_leader = grids(rows)
    names = dict(
        session.execute(
            select(User.id, User.full_name).where(User.id.in_([k for k in by_leader if k]))
        ).all()
    )
    found = [
        StatRow(str(key) if key else NO_LEADER, names.get(key, "") if key else "", grid)
        for key, grid in by_leader.items()
    ]
    return sorted(found, key=lambda row: (row.key == NO_LEADER, sort_key(row.name)))


def task_rows(window: sql.Window, units: list[int] | None) -> Any:
    """A subquery of the counted tasks (per reporting period) in the period."""
    leads = narrowed(sql.items(window, period=False), units).where(DueItem.role == "lead")
    if window.basis == "issued":  # cheap to narrow before grouping
        leads = leads.where(DueItem.issued_on.between(window.first_day, window.last_day))
    else:  # only the tasks with a lead item that may be due in the period
        maybe = select(DueItem.task_id).where(sql.maybe_due_in(window), DueItem.role == "lead")
        leads = leads.where(DueItem.task_id.in_(maybe))
    per_task = sql.tasks(leads.subquery()).subquery()
    return select(per_task).where(sql.task_in_period(window, per_task)).subquery()


def _by_task(session: Session, window: sql.Window, units: list[int] | None) -> list[StatRow]:
    tasks = task_rows(window, units)
    rows = session.execute(
        select(tasks.c.task_id, tasks.c.cycle, tasks.c.category, Task.number, Directive.number)
        .join(Task, Task.id == tasks.c.task_id)
        .join(Directive, Directive.id == tasks.c.directive_id)
        .order_by(Directive.issued_on, Directive.id, Task.number, tasks.c.cycle)
    ).all()
    return [
        StatRow(
            f"{task_id}" if not cycle else f"{task_id}.{cycle}",
            f"{number} / {task_no}" + (f" ({cycle + 1})" if cycle else ""),
            Grid(**{category: 1}),
        )
        for task_id, cycle, category, task_no, number in rows
    ]


def _by_directive(session: Session, window: sql.Window, units: list[int] | None) -> list[StatRow]:
    tasks = task_rows(window, units)
    counted = grids(
        session.execute(
            select(tasks.c.directive_id, tasks.c.category, func.count()).group_by(
                tasks.c.directive_id, tasks.c.category
            )
        ).all()
    )
    named = session.execute(
        select(Directive.id, Directive.number, Directive.title, Directive.issued_on)
        .where(Directive.id.in_(counted.keys()))
        .order_by(Directive.issued_on, Directive.id)
    ).all()
    return [StatRow(str(i), f"{number} — {title}", counted[i]) for i, number, title, _ in named]


def _by_issuer(session: Session, window: sql.Window, units: list[int] | None) -> list[StatRow]:
    tasks = task_rows(window, units)
    counted = grids(
        session.execute(
            select(tasks.c.issuer, tasks.c.category, func.count()).group_by(
                tasks.c.issuer, tasks.c.category
            )
        ).all()
    )
    return sorted(
        (StatRow(issuer, issuer, grid) for issuer, grid in counted.items()),
        key=lambda row: sort_key(row.name),
    )


_ROWS = {
    "unit": _by_unit,
    "leader": _by_leader,
    "task": _by_task,
    "directive": _by_directive,
    "issuer": _by_issuer,
}


def excluded(session: Session, window: sql.Window, units: list[int] | None) -> tuple[int, int]:
    """How many directives with items in scope are suspended, and cancelled by `as_of`."""
    issued = Directive.issued_on.between(window.first_day, window.last_day)
    due = DueItem.due_at
    in_period = (
        issued
        if window.basis == "issued"
        else or_(and_(due > window.start, due <= window.end), and_(due.is_(None), issued))
    )
    query: Rows = narrowed(
        select(Directive.status, func.count(func.distinct(Directive.id)))
        .join(DueItem, DueItem.directive_id == Directive.id)
        .where(
            in_period,
            or_(
                Directive.status == "suspended",
                and_(Directive.status == "cancelled", Directive.cancelled_at <= window.as_of),
            ),
        )
        .group_by(Directive.status),
        units,
    )
    counts: dict[str, int] = {status: int(n) for status, n in session.execute(query).all()}
    return int(counts.get("suspended", 0)), int(counts.get("cancelled", 0))
