"""The due items oversight counts (kept by workflows/tallies.py) and their deadline changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base


class DueItem(Base):
    """One deadline a unit answers for, kept for counting (rules/counting.py).

    An assignment has one; a periodic task's lead assignment has one per reporting period
    (`cycle`). Rebuilt from the assignment, its reports and its extensions in the transaction
    of every step that changes them (`workflows/tallies.py`), so a recount always agrees.
    """

    __tablename__ = "due_item"
    __table_args__ = (
        UniqueConstraint("assignment_id", "cycle"),
        Index("ix_due_item_open_due", "accepted_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[datetime]
    original_due_at: Mapped[datetime | None] = mapped_column(index=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # after every extension
    due_changed_at: Mapped[datetime | None] = mapped_column(index=True)  # the last extension
    completed_at: Mapped[datetime | None]  # when the report that was accepted came in
    accepted_at: Mapped[datetime | None]
    # The directive's, copied so counting reads one table (refreshed when the directive changes)
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    held: Mapped[bool] = mapped_column(default=False)  # the directive is suspended
    cancelled_at: Mapped[datetime | None]


class DueChange(Base):
    """A deadline an extension gave a due item, from when: the deadline at any past instant."""

    __tablename__ = "due_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("due_item.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    due_at: Mapped[datetime]
