"""The Government Office's counting grid, for one deadline (an item) and for a task, at an instant.

An *item* is one deadline a unit answers for: a lead or coordinating assignment of a task, or,
for a periodic task (monthly, quarterly reporting), one reporting period of its lead
assignment: each period's report is its own item, due at that period's deadline. At `as_of`:

- `no_deadline`: the item has no deadline (an ongoing task, nhiệm vụ thường xuyên). It is kept
  out of every other column and out of both rates, completed or not.
- `completed_on_time` / `completed_late`: its report was accepted by `as_of`; on time when the
  report that was accepted was submitted by the deadline that stood at `as_of` (an extension
  granted by then counts; `original=True` counts against the first deadline instead).
- `open_overdue`: not accepted by `as_of`, and the deadline has passed (`due_at <= as_of`).
- `open_in_term`: not accepted by `as_of`, the deadline still ahead.

A *task* (per reporting period) is counted from its lead items: it has no deadline when none of
them has one; it is completed when every lead item is accepted, on time when each lead's
accepted report came in by that lead's deadline; otherwise it is overdue when an open lead
item is overdue, else within its term.

Rates are exact fractions, None when undefined: completion = completed / (completed +
open_overdue), late completions counted as completed; on time = completed on time / (completed
+ open_overdue), the items with a deadline that are completed or overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ON_TIME = "completed_on_time"
LATE = "completed_late"
IN_TERM = "open_in_term"
OVERDUE = "open_overdue"
NO_DEADLINE = "no_deadline"
CATEGORIES = (ON_TIME, LATE, IN_TERM, OVERDUE, NO_DEADLINE)


@dataclass(frozen=True)
class Item:
    """What counting needs of one deadline: when it was given, its deadlines, its completion."""

    assigned_at: datetime
    original_due_at: datetime | None
    changes: tuple[tuple[datetime, datetime], ...] = ()  # (granted at, new deadline), in order
    completed_at: datetime | None = None  # when the report that was accepted was submitted
    accepted_at: datetime | None = None


def exists_at(item: Item, as_of: datetime) -> bool:
    """Tell whether the item had been assigned by `as_of`."""
    return item.assigned_at <= as_of


def due_as_of(item: Item, as_of: datetime, original: bool = False) -> datetime | None:
    """The deadline that stood at `as_of`: the last extension granted by then, else the first."""
    due = item.original_due_at
    if original:
        return due
    for granted_at, new_due in item.changes:
        if granted_at <= as_of:
            due = new_due
    return due


def accepted_by(item: Item, as_of: datetime) -> bool:
    """Tell whether the item's report had been accepted by `as_of`."""
    return item.accepted_at is not None and item.accepted_at <= as_of


def classify(item: Item, as_of: datetime, original: bool = False) -> str:
    """Put one item in its column of the grid at `as_of`."""
    due = due_as_of(item, as_of, original)
    if due is None:
        return NO_DEADLINE
    if accepted_by(item, as_of):
        assert item.completed_at is not None
        return ON_TIME if item.completed_at <= due else LATE
    return OVERDUE if due <= as_of else IN_TERM


def classify_task(leads: Sequence[Item], as_of: datetime, original: bool = False) -> str:
    """Put one task (its lead items, one per lead unit) in its column of the grid at `as_of`."""
    columns = [classify(item, as_of, original) for item in leads]
    if not leads or all(column == NO_DEADLINE for column in columns):
        return NO_DEADLINE
    if all(accepted_by(item, as_of) for item in leads):
        return LATE if LATE in columns else ON_TIME
    return OVERDUE if OVERDUE in columns else IN_TERM


def task_due_as_of(leads: Sequence[Item], as_of: datetime) -> datetime | None:
    """A task's deadline at `as_of`: the latest of its leads' (None when none has one)."""
    dues = [due for item in leads if (due := due_as_of(item, as_of)) is not None]
    return max(dues) if dues else None


def task_completed_at(leads: Sequence[Item], as_of: datetime) -> datetime | None:
    """When a task was completed by `as_of`: the report of its last acceptance, else None."""
    if not leads or not all(accepted_by(item, as_of) for item in leads):
        return None
    last = max(leads, key=lambda item: item.accepted_at or item.assigned_at)
    return last.completed_at


@dataclass(frozen=True)
class Grid:
    """How many items (or tasks) stand in each column."""

    completed_on_time: int = 0
    completed_late: int = 0
    open_in_term: int = 0
    open_overdue: int = 0
    no_deadline: int = 0

    def __add__(self, other: Grid) -> Grid:
        return Grid(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def completed(self) -> int:
        """Completed, on time or late."""
        return self.completed_on_time + self.completed_late

    @property
    def total(self) -> int:
        """Every item counted, with or without a deadline."""
        return self.completed + self.open_in_term + self.open_overdue + self.no_deadline

    @property
    def completion_rate(self) -> Fraction | None:
        """Completed ÷ (completed + overdue not completed); None when both are zero."""
        return _ratio(self.completed, self.completed + self.open_overdue)

    @property
    def on_time_rate(self) -> Fraction | None:
        """Completed on time ÷ (completed + overdue not completed); None when both are zero."""
        return _ratio(self.completed_on_time, self.completed + self.open_overdue)

    def count(self, column: str) -> int:
        """The figure of one column (one of CATEGORIES)."""
        if column not in CATEGORIES:
            raise KeyError(column)
        return int(getattr(self, column))


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def grid_of(columns: Iterable[str]) -> Grid:
    """Count a sequence of columns (as `classify` returns them) into a grid."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for column in columns:
        counts[column] += 1
    return Grid(**counts)


def percent(rate: Fraction | None) -> Decimal | None:
    """A rate as a percentage with one decimal, rounded half up (None stays None)."""
    if rate is None:
        return None
    tenths = Decimal(rate.numerator * 1000) / Decimal(rate.denominator)
    return (tenths.quantize(Decimal(1), rounding=ROUND_HALF_UP) / 10).quantize(Decimal("0.1"))
