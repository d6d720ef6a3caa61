"""Errors the domain raises; every entry point maps them to its own answer (HTTP status, exit code).

DomainError
├── NotFound                  no such directive, work item, user or unit (HTTP 404)
├── PermissionDenied          the actor may not do this (HTTP 403)
│   ├── RoleRequired          the actor lacks the role the step needs
│   └── NotAssignedToUnit     the work item belongs to another unit or person
├── InvalidInput              the data is wrong; `fields` says where (HTTP 422)
├── WrongStep                 the work item is not the step this use case completes (HTTP 409)
├── BrokenForm                the step's stored form no longer passes the form checks (HTTP 409)
├── TaskNoLongerReady         someone already did this step; `done_by`, `done_at` (HTTP 409)
├── DirectiveNotActive        the directive is completed or cancelled (HTTP 409)
├── ConcurrencyConflict       retried and still lost the race (HTTP 409)
├── StorageUnavailable        the database or upload folder cannot be used now (HTTP 503)
├── ProcessFailed             the process diagram failed while running (HTTP 500, logged)
├── SchemaNotCurrent          the database is empty, outdated or newer than this release
├── UpgradeFailed             a migration failed; the upgrade was rolled back
└── BackupRefused             a backup cannot be made or restored as asked; nothing was touched
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from workflows.messages import N_, Message, as_message


class DomainError(Exception):
    """Base of every domain error; `message` is the translatable form of `str(error)`."""

    code = "domain_error"

    def __init__(self, message: str | Message = "") -> None:
        super().__init__(str(message))
        self.message = as_message(message)


class NotFound(DomainError):
    """The thing asked for does not exist (or the actor may not know it exists)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The actor may not do this."""

    code = "forbidden"


class RoleRequired(PermissionDenied):
    """The actor lacks a role the use case needs."""

    code = "role_required"

    def __init__(self, *roles: str) -> None:
        super().__init__(N_("this needs one of the roles: %(roles)s", roles=", ".join(roles)))
        self.roles = roles


class NotAssignedToUnit(PermissionDenied):
    """The work item belongs to another unit or person."""

    code = "not_assigned_to_unit"


class InvalidInput(DomainError):
    """The data given is wrong; `fields` maps each field to what is wrong with it."""

    code = "invalid_input"

    def __init__(self, fields: Mapping[str, str | Message]) -> None:
        self.field_messages = {name: as_message(text) for name, text in fields.items()}
        self.fields = {name: str(text) for name, text in self.field_messages.items()}
        super().__init__(
            "the data is not valid: " + "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        )


class WrongStep(DomainError):
    """The work item is a different step from the one this use case completes."""

    code = "wrong_step"


class BrokenForm(DomainError):
    """The step's JSON Schema form fails the form checks (stored before they existed)."""

    code = "broken_form"

    def __init__(self, key: str) -> None:
        super().__init__(N_("this step's form is broken; an administrator must correct it"))
        self.key = key


class TaskNoLongerReady(DomainError):
    """The step was already done, by `done_by` at `done_at` when the history knows."""

    code = "task_no_longer_ready"

    def __init__(
        self, work_item_id: str, done_by: str | None = None, done_at: datetime | None = None
    ) -> None:
        super().__init__(N_("this step was already done"))
        self.work_item_id = work_item_id
        self.done_by = done_by
        self.done_at = done_at


class DirectiveNotActive(DomainError):
    """The directive is completed or cancelled and takes no more work."""

    code = "directive_not_active"


class ConcurrencyConflict(DomainError):
    """Others kept changing the same directive; the command gave up after several tries."""

    code = "conflict"


class StorageUnavailable(DomainError):
    """The database or the upload folder cannot be used now (read-only, full, locked, down).

    `reason` names the kind for operators and logs: locked, read_only, full, unreachable, io.
    """

    code = "unavailable"

    def __init__(self, reason: str, message: str | Message = "") -> None:
        super().__init__(message or N_("the system cannot save right now; try again later"))
        self.reason = reason


class ProcessFailed(DomainError):
    """The process diagram failed while running; nothing was saved."""

    code = "process_failed"


class SchemaNotCurrent(DomainError):
    """The database schema is not the one this release runs on (operators read the message).

    `state` is "empty" (no schema), "outdated" (run `dondoc db upgrade`) or "newer" (a revision
    this release does not know, made by a newer release); `revision` and `head` say which.
    """

    code = "schema_not_current"

    def __init__(self, state: str, revision: str | None, head: str, message: str) -> None:
        super().__init__(message)
        self.state, self.revision, self.head = state, revision, head


class UpgradeFailed(DomainError):
    """A migration failed; its transaction was rolled back and the schema is unchanged."""

    code = "upgrade_failed"

    def __init__(self, revision: str | None, message: str) -> None:
        super().__init__(message)
        self.revision = revision


class BackupRefused(DomainError):
    """A backup cannot be made or restored as asked (bad checksum, target not empty, ...)."""

    code = "backup_refused"
