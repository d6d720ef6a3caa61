"""Errors raised by the engine adapter.

EngineError
├── ModelInvalid            the BPMN text is unsafe, malformed or not executable
├── ModelNotFound           no such process model or version
├── InstanceNotFound        no such process instance
├── InstanceNotRunning      the instance is completed, cancelled or suspended
├── TaskNotFound            the task id is not a user task of that instance
├── TaskNoLongerReady       the user task exists but was already completed or cancelled
├── InvalidTaskData         the data handed to a task cannot be stored (not JSON)
├── ConcurrentUpdate        someone else saved the instance since it was loaded
├── ProcessError            a gateway, script or timer of the diagram failed
└── MigrationRefused        the instance cannot move to another version; `reasons` says why
"""

from __future__ import annotations

from collections.abc import Iterable


class EngineError(Exception):
    """Base of every error the engine adapter raises."""


class ModelInvalid(EngineError):
    """The BPMN text was refused; `problems` lists what is wrong, element by element."""

    def __init__(self, message: str, problems: list[tuple[str | None, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [(None, message)]


class ModelNotFound(EngineError):
    """No process model version matches."""


class InstanceNotFound(EngineError):
    """No process instance has that id."""


class InstanceNotRunning(EngineError):
    """The instance no longer accepts work."""

    def __init__(self, instance_id: int, status: str) -> None:
        super().__init__(f"process instance {instance_id} is {status}")
        self.instance_id = instance_id
        self.status = status


class TaskNotFound(EngineError):
    """The task id does not name a user task of the instance."""


class TaskNoLongerReady(EngineError):
    """The user task was completed or cancelled before this command reached it."""

    def __init__(self, task_id: str, state: str) -> None:
        super().__init__(f"task {task_id} is no longer ready (it is {state})")
        self.task_id = task_id
        self.state = state


class InvalidTaskData(EngineError):
    """Task data must be a JSON object of JSON values."""


class ConcurrentUpdate(EngineError):
    """The instance was saved by another transaction since it was loaded; reload and retry."""


class ProcessError(EngineError):
    """The diagram itself failed while running (a condition, script or timer expression)."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


class MigrationRefused(EngineError):
    """The instance cannot move to the version asked for; `reasons` says why, in plain English."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons) or "the instance cannot move to that version")
