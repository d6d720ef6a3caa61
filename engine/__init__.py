"""A thin, typed adapter over SpiffWorkflow: process models, instances, work items and timers.

It knows nothing about directives; it is the only package that imports SpiffWorkflow. Its
tables are its own, except `WorkItem`: the projection of ready user tasks, one row each, which
callers may read in SQL (inboxes, lists) but never write.
The public names below are imported on first use (PEP 562), so a script worker started as
`python -m engine.script_worker` loads the sandbox alone, not SQLAlchemy or SpiffWorkflow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.diffing import ElementDiff, ModelDiff, diff_models
    from engine.errors import (
        ConcurrentUpdate,
        EngineError,
        InstanceNotFound,
        InstanceNotRunning,
        InvalidTaskData,
        MigrationRefused,
        ModelInvalid,
        ModelNotFound,
        ProcessError,
        TaskNoLongerReady,
        TaskNotFound,
    )
    from engine.processes import ProcessEngine
    from engine.specs import parse_model, parse_xml_safely, sha256_of
    from engine.tables import Base, UTCDateTime, WorkItem, utcnow
    from engine.types import (
        CompletedTask,
        EngineLimits,
        FiredTimer,
        InstanceTrail,
        MigrationCheck,
        ModelVersion,
        ProjectionRules,
        ReadyTask,
        StepResult,
        TrailFlow,
        TrailStep,
        WaitingTimer,
    )
    from engine.validation import ModelRules, check_model

__all__ = [
    "Base",
    "CompletedTask",
    "ConcurrentUpdate",
    "ElementDiff",
    "EngineError",
    "EngineLimits",
    "FiredTimer",
    "InstanceNotFound",
    "InstanceNotRunning",
    "InstanceTrail",
    "InvalidTaskData",
    "MigrationCheck",
    "MigrationRefused",
    "ModelDiff",
    "ModelInvalid",
    "ModelNotFound",
    "ModelRules",
    "ModelVersion",
    "ProcessEngine",
    "ProcessError",
    "ProjectionRules",
    "ReadyTask",
    "StepResult",
    "TaskNoLongerReady",
    "TaskNotFound",
    "TrailFlow",
    "TrailStep",
    "UTCDateTime",
    "WaitingTimer",
    "WorkItem",
    "check_model",
    "diff_models",
    "parse_model",
    "parse_xml_safely",
    "sha256_of",
    "utcnow",
]
_HOMES = {
    name: module
    for module, names in {
        "engine.diffing": ("ElementDiff", "ModelDiff", "diff_models"),
        "engine.errors": (
            "ConcurrentUpdate",
            "EngineError",
            "InstanceNotFound",
            "InstanceNotRunning",
            "InvalidTaskData",
            "MigrationRefused",
            "ModelInvalid",
            "ModelNotFound",
            "ProcessError",
            "TaskNoLongerReady",
            "TaskNotFound",
        ),
        "engine.processes": ("ProcessEngine",),
        "engine.specs": ("parse_model", "parse_xml_safely", "sha256_of"),
        "engine.tables": ("Base", "UTCDateTime", "WorkItem", "utcnow"),
        "engine.types": (
            "CompletedTask",
            "EngineLimits",
            "FiredTimer",
            "InstanceTrail",
            "MigrationCheck",
            "ModelVersion",
            "ProjectionRules",
            "ReadyTask",
            "StepResult",
            "TrailFlow",
            "TrailStep",
            "WaitingTimer",
        ),
        "engine.validation": ("ModelRules", "check_model"),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
