"""The counting rules of `workflows.rules.counting`, written as SQL over the due items.

The Python rules are the reference; these expressions must agree with them on every item and
task (`tests/workflows/test_statistics.py` holds them together on SQLite and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select

from workflows.rules.counting import IN_TERM, LATE, NO_DEADLINE, ON_TIME, OVERDUE
from workflows.tables import DueChange, DueItem

Rows = Select[*tuple[Any, ...]]  # a query of any columns


@dataclass(frozen=True)
class Window:
    """Which items count: at which instant, in which period, by due date or by issue date."""

    as_of: datetime
    start: datetime  # due instants in (start, end] are due in the period
    end: datetime
    first_day: date
    last_day: date
    basis: str = "due"
    original: bool = False
    changes_after: bool = True  # an extension was granted after `as_of` (False: none was)


def due_expr(as_of: datetime, original: bool, changes_after: bool = True) -> ColumnElement[Any]:
    """The deadline that stood at `as_of` (see counting.due_as_of); the current one when no
    extension was granted after `as_of` (then the indexes on it can be used)."""
    if original:
        return DueItem.original_due_at.expression
    if not changes_after:
        return DueItem.due_at.expression
    earlier = (
        select(DueChange.due_at)
        .where(DueChange.item_id == DueItem.id, DueChange.at <= as_of)
        .order_by(DueChange.at.desc(), DueChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    unchanged = or_(DueItem.due_changed_at.is_(None), DueItem.due_changed_at <= as_of)
    return case((unchanged, DueItem.due_at), else_=func.coalesce(earlier, DueItem.original_due_at))


def done_expr(as_of: datetime) -> ColumnElement[bool]:
    """The item's report was accepted by `as_of`."""
    return and_(DueItem.accepted_at.is_not(None), DueItem.accepted_at <= as_of)


def category_expr(as_of: datetime, due: ColumnElement[Any]) -> ColumnElement[str]:
    """The item's column of the grid (see counting.classify)."""
    done = done_expr(as_of)
    return case(
        (due.is_(None), literal(NO_DEADLINE)),
        (and_(done, DueItem.completed_at <= due), literal(ON_TIME)),
        (done, literal(LATE)),
        (due <= as_of, literal(OVERDUE)),
        else_=literal(IN_TERM),
    )


def counted_directive(as_of: datetime) -> ColumnElement[bool]:
    """Suspended directives are not counted, nor those cancelled by `as_of`."""
    counted: ColumnElement[bool] = and_(
        DueItem.held.is_(False),
        or_(DueItem.cancelled_at.is_(None), DueItem.cancelled_at > as_of),
    )
    return counted


def in_period(window: Window, due: ColumnElement[Any]) -> ColumnElement[bool]:
    """Due in the period (by due date) or issued in it (by issue date, or without a deadline)."""
    issued = DueItem.issued_on.between(window.first_day, window.last_day)
    if window.basis == "issued":
        return issued
    if not window.changes_after and not window.original:
        return or_(and_(due > window.start, due <= window.end), and_(due.is_(None), issued))
    exact = or_(and_(due > window.start, due <= window.end), and_(due.is_(None), issued))
    return and_(maybe_due_in(window), exact)


def maybe_due_in(window: Window) -> ColumnElement[bool]:
    """A test the indexes answer that every item due in the period passes (with a few more):
    its deadline now or its first one is in the period, it was extended, or it has none."""
    now_in = and_(DueItem.due_at > window.start, DueItem.due_at <= window.end)
    first_in = and_(DueItem.original_due_at > window.start, DueItem.original_due_at <= window.end)
    return or_(now_in, first_in, DueItem.due_changed_at.is_not(None), DueItem.due_at.is_(None))


def maybe_open(as_of: datetime) -> ColumnElement[bool]:
    """Not accepted by `as_of` (the index on accepted_at, due_at answers it)."""
    return or_(DueItem.accepted_at.is_(None), DueItem.accepted_at > as_of)


def items(window: Window, *, period: bool = True) -> Rows:
    """One row per counted item: its unit, role, task, directive, column, deadline, done flag."""
    due = due_expr(window.as_of, window.original, window.changes_after)
    query: Rows = select(
        DueItem.id.label("item_id"),
        DueItem.assignment_id,
        DueItem.task_id,
        DueItem.cycle,
        DueItem.directive_id,
        DueItem.unit_id,
        DueItem.role,
        DueItem.issued_on,
        DueItem.issuer,
        category_expr(window.as_of, due).label("category"),
        case((done_expr(window.as_of), 1), else_=0).label("done"),
        due.label("due"),
    ).where(DueItem.assigned_at <= window.as_of, counted_directive(window.as_of))
    return query.where(in_period(window, due)) if period else query


def tasks(leads: Any) -> Rows:
    """One row per task and reporting period, from a subquery of its lead items."""
    count, with_due = func.count(), func.count(leads.c.due)
    done = func.sum(leads.c.done)
    late = func.sum(case((leads.c.category == LATE, 1), else_=0))
    overdue = func.sum(case((leads.c.category == OVERDUE, 1), else_=0))
    category = case(
        (with_due == 0, literal(NO_DEADLINE)),
        (done == count, case((late > 0, literal(LATE)), else_=literal(ON_TIME))),
        (overdue > 0, literal(OVERDUE)),
        else_=literal(IN_TERM),
    )
    return select(
        leads.c.task_id,
        leads.c.cycle,
        leads.c.directive_id,
        leads.c.issued_on,
        leads.c.issuer,
        category.label("category"),
        func.max(leads.c.due).label("due"),
    ).group_by(
        leads.c.task_id, leads.c.cycle, leads.c.directive_id, leads.c.issued_on, leads.c.issuer
    )


def task_in_period(window: Window, task_rows: Any) -> ColumnElement[bool]:
    """A task is in the period by its latest lead deadline (or issue date, as for items)."""
    issued: ColumnElement[bool] = task_rows.c.issued_on.between(window.first_day, window.last_day)
    if window.basis == "issued":
        return issued
    due = task_rows.c.due
    return or_(and_(due > window.start, due <= window.end), and_(due.is_(None), issued))


def month_bucket(
    window: Window, due: Any, issued_on: Any, months: list[date], ends: list[datetime]
) -> ColumnElement[int]:
    """The index of the month (of `months`) a row falls in: by deadline or by issue date."""
    if len(months) == 1:
        return literal(0)
    by_issue: ColumnElement[int]
    by_issue = case(
        *((issued_on < months[i + 1], i) for i in range(len(months) - 1)),
        else_=len(months) - 1,
    )
    if window.basis == "issued":
        return by_issue
    by_due: ColumnElement[int] = case(
        *((due <= ends[i], i) for i in range(len(ends) - 1)), else_=len(ends) - 1
    )
    return case((due.is_(None), by_issue), else_=by_due)
