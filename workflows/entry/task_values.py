"""The values of a task a correction compares and records: its units, its deadline, its phrase."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workflows.entry.inputs import TaskInput
from workflows.tables import Task

if TYPE_CHECKING:
    from workflows.entry.corrections import TaskCorrection


def stale_phrase_dropped(
    current: dict[int, Task], correction: TaskCorrection, task: TaskInput
) -> TaskInput:
    """A date changed by hand under an unchanged phrase: the phrase no longer says it."""
    before = current.get(correction.task_id or 0)
    if before is None or not task.due_text or task.due_text != before.due_text:
        return task
    if task.due_on is None or task.due_on == before.due_on:
        return task
    return replace(task, due_text="")


def units_of(task: TaskInput) -> set[tuple[str, str]]:
    """The (unit, role) pairs of a task."""
    return set(ordered_units(task))


def ordered_units(task: TaskInput) -> list[tuple[str, str]]:
    """The (unit, role) pairs of a task, leads first, in the order given."""
    leads = [(code, "lead") for code in task.lead_units]
    return leads + [(code, "coordinating") for code in task.coordinating_units]


def deadline_of(task: Task | TaskInput) -> tuple[Any, ...]:
    """What a task's deadline is made of, to compare two."""
    until = task.reporting_until if task.reporting != "once" else None
    return (task.due_on, task.due_at, task.due_text or "", task.reporting, until)


def periods(task: Task | TaskInput) -> tuple[Any, ...]:
    """A task's reporting duty."""
    return (task.reporting, task.reporting_until if task.reporting != "once" else None)


def set_deadline(task: Task, wanted: TaskInput) -> None:
    """Give a task row the deadline of a task as entered."""
    task.due_on, task.due_at, task.due_text = wanted.due_on, wanted.due_at, wanted.due_text
    task.reporting = wanted.reporting
    task.reporting_until = wanted.reporting_until if wanted.reporting != "once" else None
    task.report_cutoff_day, task.report_lag_days = wanted.report_cutoff_day, wanted.report_lag_days


def shown_deadline(task: Task) -> dict[str, Any]:
    """A task's deadline as the history keeps it."""
    return {
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "due_text": task.due_text or None,
        "reporting": task.reporting,
    }


def iso(moment: datetime | None) -> str | None:
    """An instant as the process data keeps it: ISO 8601 in UTC, or None."""
    return moment.astimezone(UTC).isoformat() if moment else None
