"""Timer values a diagram may use, and the limits of one engine call: time, timer firings.

SpiffWorkflow arms a timer from whatever text its expression gives. A cycle with a zero period
(`R/PT0S`) then fires on every engine step for ever, inside one call, while the call holds the
database's write lock; a duration of `P99999999Y` loops month by month. So a timer's value is
checked twice: its literal text when the diagram is saved (`engine.validation`), and the value
its expression gives before SpiffWorkflow arms it (`engine.sandbox`): ISO 8601 text, a duration
or cycle period of at least `min_timer_seconds`, no more than a century away, and cycles of the
form `R<count>/<duration>` (a start or end date is not supported).

A cycle's firings are not completions of its timer task: each one adds a path after the still
waiting timer. `CycleWatch` reads them from the timer's state so that every firing is reported,
with its own due time. `StepBudget` stops a call that runs too long or fires too many timers,
checked between engine steps.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.script_policy import shorten
from engine.types import EngineLimits

MIN_TIMER_SECONDS = EngineLimits.min_timer_seconds
MAX_TIMER_SECONDS = 100 * 366 * 86400  # SpiffWorkflow counts months one by one
KIND_OF_TAG = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
_KINDS = (
    (CycleTimerEventDefinition, "cycle"),
    (DurationTimerEventDefinition, "duration"),
    (TimeDateEventDefinition, "date"),
)
_N = r"(\d{1,9}(?:[.,]\d{1,9})?)"
DURATION = re.compile(
    rf"P(?:{_N}Y)?(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?",
    re.IGNORECASE,
)
CYCLE = re.compile(r"R(\d{0,9})/(P[^/]*)", re.IGNORECASE)
SECONDS_PER = (365.25 * 86400, 30.44 * 86400, 7 * 86400, 86400, 3600, 60, 1)


class StepLimitExceeded(Exception):
    """One engine call ran too long or fired too many timers."""

    def __init__(self, message: str, element_id: str | None) -> None:
        super().__init__(message)
        self.element_id = element_id


# -- timer values ---------------------------------------------------------------------------


def timer_kind(task_spec: Any, expression: str) -> str | None:
    """Return "date", "duration" or "cycle" when `expression` is the timer of this task spec."""
    definition = getattr(task_spec, "event_definition", None)
    for candidate in [definition, *(getattr(definition, "event_definitions", None) or [])]:
        if isinstance(candidate, TimerEventDefinition) and candidate.expression == expression:
            return next((kind for cls, kind in _KINDS if isinstance(candidate, cls)), None)
    return None


def timer_problem(kind: str, value: Any, min_seconds: float) -> str | None:
    """Say why a timer cannot run with this value (ISO 8601 text), or None when it can."""
    if not isinstance(value, str):
        return f"its expression gave {type(value).__name__}, not ISO 8601 text"
    text = value  # exactly what SpiffWorkflow will read: it does not strip spaces either
    if kind == "date":
        return _date_problem(text)
    if kind == "duration":
        return _period_problem(text, min_seconds, "its duration", "lasts")
    found = CYCLE.fullmatch(text)
    if found is None:
        return (
            f"{shorten(text, 60)} is not a timer cycle this app runs: write R<count>/<duration>, "
            "such as R3/P1D (a start or end date is not supported)"
        )
    return _period_problem(found.group(2), min_seconds, "its cycle", "repeats every")


def _period_problem(text: str, min_seconds: float, what: str, verb: str) -> str | None:
    seconds = duration_seconds(text)
    if seconds is None:
        return f"{shorten(text, 60)} is not an ISO 8601 duration such as P3D or PT2H"
    if seconds > MAX_TIMER_SECONDS:
        return f"{what} {shorten(text, 60)} is more than a hundred years"
    if seconds < min_seconds:
        return f"{what} {verb} {seconds:g} s; the shortest allowed is {min_seconds:g} s"
    return None


def duration_seconds(text: str) -> float | None:
    """Return about how many seconds an ISO 8601 duration lasts, or None if it is not one."""
    found = DURATION.fullmatch(text)
    if found is None or text.upper() in ("P", "PT") or not any(found.groups()):
        return None
    try:
        TimerEventDefinition.parse_iso_duration(text)  # what the engine will accept
    except Exception:  # SpiffWorkflow raises a bare Exception for what it cannot read
        return None
    values = [float(group.replace(",", ".")) if group else 0.0 for group in found.groups()]
    return sum(value * unit for value, unit in zip(values, SECONDS_PER, strict=True))


def _date_problem(text: str) -> str | None:
    try:
        if text.upper().startswith("P"):
            raise ValueError("a duration")
        if "W" in text.upper():
            TimerEventDefinition.parse_iso_week(text)
        else:
            TimerEventDefinition.get_datetime(text)
    except Exception:  # the parsers raise ValueError, AttributeError or a bare Exception
        return f"{shorten(text, 60)} is not an ISO 8601 date and time such as 2026-12-31T17:00:00Z"
    return None


# -- one engine call ------------------------------------------------------------------------


def is_cycle_timer(task: Any) -> bool:
    """Tell whether a task is a timer cycle event."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, CycleTimerEventDefinition)


def is_cycle_firing(task: Any) -> bool:
    """Tell whether a task is the start of a path a timer cycle's firing added."""
    parent = task.parent
    return (
        parent is not None and is_cycle_timer(parent) and task.task_spec in parent.task_spec.outputs
    )


class StepBudget:
    """The wall-clock time and timer firings one engine call may spend."""

    def __init__(self, limits: EngineLimits, started_at: float | None = None) -> None:
        self.limits = limits
        self.deadline = (started_at or time.monotonic()) + limits.call_seconds
        self.firings = 0

    def check_time(self, element: str | None = None) -> None:
        """Stop the call once it has run longer than its limit."""
        if time.monotonic() > self.deadline:
            seconds = self.limits.call_seconds
            raise StepLimitExceeded(
                f"the step was stopped after {seconds:g} s: a step may run at most {seconds:g} s",
                element,
            )

    def count_firing(self, element: str | None) -> None:
        """Count one timer firing as it happens; stop the call beyond the limit."""
        self.firings += 1
        self.check_total(self.firings, element)

    def check_total(self, firings: int, element: str | None) -> None:
        """Stop the call when it fired more timers than the limit."""
        if firings > self.limits.max_timer_firings:
            raise StepLimitExceeded(
                f"the step was stopped: its timers fired more than "
                f"{self.limits.max_timer_firings} times (the last was '{element}')",
                element,
            )


@dataclass(frozen=True)
class CycleState:
    """Where a timer cycle stands: firings left (negative: for ever), next due time, period."""

    cycles: int
    next_at: datetime
    period_seconds: float


def cycle_state(task: Any) -> CycleState | None:
    """Read a timer cycle's state from its task; None once it has finished (or never began)."""
    value = task.internal_data.get("event_value")
    if not isinstance(value, dict):
        return None
    try:
        return CycleState(
            int(value["cycles"]), datetime.fromisoformat(value["next"]), float(value["duration"])
        )
    except (KeyError, TypeError, ValueError):
        return None


class CycleWatch:
    """Reports every firing of the timer cycles of a workflow during one engine call."""

    def __init__(self, workflow: Any) -> None:
        self._known: dict[Any, tuple[Any, CycleState]] = {}
        self.firings(workflow)

    def firings(self, workflow: Any) -> list[tuple[Any, datetime]]:
        """Return (timer task, due time) for every firing since the last look."""
        found: list[tuple[Any, datetime]] = []
        tasks = {task.id: task for task, _ in self._known.values()}
        candidates = (
            workflow.timer_tasks()  # a focused workflow: the timers of its moving parts only
            if hasattr(workflow, "timer_tasks")
            else workflow.event_manager.tasks.values()
        )
        for task in candidates:
            if is_cycle_timer(task):
                tasks[task.id] = task
        for task_id, task in tasks.items():
            state = cycle_state(task)
            if task_id in self._known:
                found += _fired_between(task, self._known[task_id][1], state)
            if state is None:
                self._known.pop(task_id, None)
            else:
                self._known[task_id] = (task, state)
        return found


def _fired_between(
    task: Any, before: CycleState, after: CycleState | None
) -> list[tuple[Any, datetime]]:
    """The firings between two looks: the count of cycles spent, each one period apart."""
    count = before.cycles - after.cycles if after is not None else max(before.cycles, 0)
    period = timedelta(seconds=before.period_seconds)
    return [(task, before.next_at + index * period) for index in range(max(count, 0))]
