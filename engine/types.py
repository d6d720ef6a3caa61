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
