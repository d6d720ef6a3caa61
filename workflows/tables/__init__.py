"""The domain's tables, by room; every module imports them from here."""

from __future__ import annotations

from workflows.tables.directives import (
    ASSIGNMENT_ROLES,
    ASSIGNMENT_STATES,
    DIRECTIVE_KINDS,
    DIRECTIVE_STATUSES,
    ROLES,
    Assignment,
    Attachment,
    Delegation,
    Directive,
    Event,
    Report,
    ReportDraft,
    Task,
    Unit,
    User,
)
from workflows.tables.entry import (
    DirectiveDraft,
    DirectiveTemplate,
)
from workflows.tables.oversight import (
    DueChange,
    DueItem,
)
from workflows.tables.support import (
    ApiToken,
    AuditEntry,
    CalendarDay,
    ExtensionRequest,
    Incident,
    Notification,
    SchedulerLease,
    SignInFailure,
    StepForm,
    UserSession,
)

__all__ = [
    "ASSIGNMENT_ROLES",
    "ASSIGNMENT_STATES",
    "DIRECTIVE_KINDS",
    "DIRECTIVE_STATUSES",
    "ROLES",
    "ApiToken",
    "Assignment",
    "Attachment",
    "AuditEntry",
    "CalendarDay",
    "Delegation",
    "Directive",
    "DirectiveDraft",
    "DirectiveTemplate",
    "DueChange",
    "DueItem",
    "Event",
    "ExtensionRequest",
    "Incident",
    "Notification",
    "Report",
    "ReportDraft",
    "SchedulerLease",
    "SignInFailure",
    "StepForm",
    "Task",
    "Unit",
    "User",
    "UserSession",
]
