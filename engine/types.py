"""Small frozen values the engine hands out; callers never see SpiffWorkflow objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class ProjectionRules:
    """Where the work-item projection finds a READY task's unit, reference, assignee and due time.

    Paths are dotted keys into the task data (``"assignment.unit"``). ``unit_paths`` maps a lane
    name to the path holding the unit that lane stands for in this task.
    """

    unit_paths: Mapping[str, str] = field(default_factory=dict)
    ref_path: str | None = None
    assignee_path: str | None = None
    due_path: str | None = None


@dataclass(frozen=True)
class EngineLimits:
    """What one engine call may spend, and the shortest timer a diagram may use.

    `call_seconds` is wall-clock time, checked between engine steps; `max_timer_firings`
    bounds the timers one call fires; `min_timer_seconds` is the shortest duration or cycle
    period, checked when a diagram is saved and again when a timer is armed.
    """

    call_seconds: float = 10.0
    max_timer_firings: int = 100
    min_timer_seconds: float = 60.0


@dataclass(frozen=True)
class ModelVersion:
    """A saved version of a process model."""

    id: int
    model_key: str
    number: int
    sha256: str
    author: str
    comment: str
    created_at: datetime
    published: bool


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person."""

    id: str
    instance_id: int
    task_name: str
    title: str
    form: str
    lane: str | None
    unit: str | None
    ref: str | None
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    part: str = ""  # the stored part of the instance it lives in ("" for the top)


@dataclass(frozen=True)
class FiredTimer:
    """A timer event that fired while the engine advanced the instance."""

    instance_id: int
    event_name: str
    title: str
    properties: Mapping[str, str]
    attached_to: str | None
    ref: str | None
    unit: str | None
    due_at: datetime


@dataclass(frozen=True)
class WaitingTimer:
    """A timer event armed and waiting for its due time."""

    instance_id: int
    event_name: str
    title: str
    properties: Mapping[str, str]
    attached_to: str | None
    ref: str | None
    due_at: datetime


@dataclass(frozen=True)
class CompletedTask:
    """What a user task looked like when it was completed."""

    id: str
    task_name: str
    title: str
    form: str
    lane: str | None
    ref: str | None


@dataclass(frozen=True)
class StepResult:
    """The outcome of one command on an instance: what was done and what is now waiting."""

    instance_id: int
    status: str
    completed: CompletedTask | None
    ready: tuple[ReadyTask, ...]
    fired_timers: tuple[FiredTimer, ...]
    next_timer_at: datetime | None


@dataclass(frozen=True)
class MigrationCheck:
    """Whether a running instance can move to another version of its model, and if not, why."""

    instance_id: int
    from_version_id: int
    from_version: int
    to_version_id: int
    to_version: int
    can_move: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TrailStep:
    """One element an instance has reached: done, waiting for a person or event, or a timer.

    `state` is ``completed``, ``active`` (a user or receive task, or a sub-process, waiting
    to be done; a catch event other than a timer waiting), ``waiting_timer`` (an armed timer)
    or ``cancelled`` (in `InstanceTrail.cancelled` only).
    """

    element_id: str
    state: str
    ref: str | None
    unit: str | None
    due_at: datetime | None
    lane: str | None


@dataclass(frozen=True)
class TrailFlow:
    """A connection the instance went along, from one element to the next, for one reference."""

    source: str
    target: str
    ref: str | None


@dataclass(frozen=True)
class InstanceTrail:
    """Where an instance has been and where it waits, element by element, for the diagram view."""

    instance_id: int
    model_version_id: int
    status: str
    steps: tuple[TrailStep, ...]
    flows: tuple[TrailFlow, ...]
    cancelled: tuple[TrailStep, ...]
