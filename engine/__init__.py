"""A thin, typed adapter over SpiffWorkflow: process models, instances, work items and timers.

It knows nothing about directives; it is the only package that imports SpiffWorkflow.
"""

from engine.errors import (
    ConcurrentUpdate,
    EngineError,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidTaskData,
    ModelInvalid,
    ModelNotFound,
    ProcessError,
    TaskNoLongerReady,
    TaskNotFound,
)
from engine.processes import ProcessEngine
from engine.specs import parse_model, parse_xml_safely
from engine.tables import Base, UTCDateTime, utcnow
from engine.types import (
    CompletedTask,
    FiredTimer,
    ModelVersion,
    ProjectionRules,
    ReadyTask,
    StepResult,
    WaitingTimer,
)
from engine.validation import ModelRules, check_model

__all__ = [
    "Base",
    "CompletedTask",
    "ConcurrentUpdate",
    "EngineError",
    "FiredTimer",
    "InstanceNotFound",
    "InstanceNotRunning",
    "InvalidTaskData",
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
    "UTCDateTime",
    "check_model",
    "WaitingTimer",
    "parse_model",
    "parse_xml_safely",
    "utcnow",
]
