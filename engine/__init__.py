"""A thin, typed adapter over SpiffWorkflow: process models, instances, work items and timers.

It knows nothing about directives; it is the only package that imports SpiffWorkflow.
"""

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
from engine.specs import parse_model, parse_xml_safely
from engine.tables import Base, UTCDateTime, utcnow
from engine.types import (
    CompletedTask,
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
    "check_model",
    "diff_models",
    "WaitingTimer",
    "parse_model",
    "parse_xml_safely",
    "utcnow",
]
