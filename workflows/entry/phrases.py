"""The deadline field: a date, a precise time, "thường xuyên", or a period, and its phrase.

The clerk may pick a date (and a time) or only write the deadline as the directive words it
("trước ngày 25/10", "trong quý IV", "trước Tết Nguyên đán", "hằng tháng", "thường xuyên"); a
phrase alone is read by the same rules as an imported text, against the issue date and the
working calendar. The phrase is kept as written either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from workflows.entry.inputs import TaskInput
from workflows.errors import InvalidInput
from workflows.messages import N_, Message
from workflows.rules.calendar import WorkCalendar
from workflows.rules.importing.deadlines import DeadlineContext, find_deadline


def with_deadlines(
    tasks: Sequence[TaskInput], issued_on: date, calendar: WorkCalendar, tz: ZoneInfo
) -> tuple[TaskInput, ...]:
    """Fill the deadline of each task that has only its phrase; refuse a phrase not understood."""
    problems: dict[str, Message] = {}
    resolved = []
    for number, task in enumerate(tasks, start=1):
        try:
            resolved.append(resolve(task, issued_on, calendar, tz))
        except ValueError:
            problems[f"tasks[{number}]"] = N_(
                "no deadline can be read from “%(phrase)s”: pick a date, or write “thường "
                "xuyên” for an ongoing task",
                phrase=task.due_text,
            )
    if problems:
        raise InvalidInput(problems)
    return tuple(resolved)


def resolve(task: TaskInput, issued_on: date, calendar: WorkCalendar, tz: ZoneInfo) -> TaskInput:
    """The task with the deadline its phrase gives, when no date was picked."""
    phrase = task.due_text.strip()
    if task.due_on is not None or task.reporting != "once" or not phrase:
        return task
    found = find_deadline(phrase, DeadlineContext(issued_on, calendar), lenient=True)
    if found.due_on is not None:
        due_at = datetime.combine(found.due_on, found.due_time, tz) if found.due_time else None
        return replace(task, due_on=found.due_on, due_at=due_at)
    if found.reporting != "once":
        return replace(task, reporting=found.reporting, reporting_until=found.reporting_until)
    if found.ongoing:
        return task
    raise ValueError(phrase)
