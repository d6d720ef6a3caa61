"""Entering directives: what the clerk enters (`inputs`), proposals read from a document
(`proposals`, `readers`), drafts, corrections after saving, and templates."""

from workflows.entry.inputs import (
    EARLIEST_ISSUE,
    MAX_TERM,
    REPORTING_KINDS,
    DirectiveInput,
    TaskInput,
    check_directive,
    check_tasks,
    cleaned,
    cleaned_tasks,
)

__all__ = [
    "EARLIEST_ISSUE",
    "MAX_TERM",
    "REPORTING_KINDS",
    "DirectiveInput",
    "TaskInput",
    "check_directive",
    "check_tasks",
    "cleaned",
    "cleaned_tasks",
]
