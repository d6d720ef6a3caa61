"""Marshmallow schemas of the JSON API: what requests may carry and what responses contain."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from workflows import DIRECTIVE_KINDS, DIRECTIVE_STATUSES, REPORTING_KINDS

MAX_TEXT = 20_000
MAX_ID = 2**31 - 1
# Due dates become instants a few days either side; keep them far from datetime's limits.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)
DATE_PATTERN = r"^(19|2[01])\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Text must not contain NUL characters.")
DECISIONS = ("accept", "return")
INBOX_SORTS = ("due", "waiting", "directive")


class Text(fields.String):
    """A string every database can store: no lone surrogate (and, with NO_NUL, no NUL)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _encodable(text):
            raise ValidationError("Text must be valid Unicode.")
        return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(max_length: int, min_length: int = 0, **kwargs: Any) -> Text:
    length = validate.Length(min=min_length or None, max=max_length)
    return Text(validate=[length, NO_NUL], **kwargs)


def _day(**kwargs: Any) -> fields.Date:
    return fields.Date(
        validate=validate.Range(min=EARLIEST_DATE, max=LATEST_DATE),
        metadata={"pattern": DATE_PATTERN, "description": "from 1900-01-01 to 2199-12-31"},
        **kwargs,
    )


def _page() -> fields.Integer:
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


def _per_page(default: int, most: int) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=most))


# --- requests -------------------------------------------------------------------------------


class DirectiveQuerySchema(Schema):
    """Filters of the directive list."""

    status = fields.String(validate=validate.OneOf(DIRECTIVE_STATUSES))
    unit = _text(32, metadata={"description": "code of a unit with an assignment"})
    issuer = _text(255)
    issued_from = _day()
    issued_to = _day()
    overdue = fields.Boolean(load_default=False)
    q = _text(200, metadata={"description": "words of the number, title or issuer"})
    page = _page()
    per_page = _per_page(20, 100)


class InboxQuerySchema(Schema):
    """Filters and order of the inbox."""

    step = _text(64, metadata={"description": "only this step (assign, execute, report, ...)"})
    sort = fields.String(load_default="due", validate=validate.OneOf(INBOX_SORTS))
    overdue = fields.Boolean(load_default=False)
    page = _page()
    per_page = _per_page(25, 200)


class TaskInSchema(Schema):
    """A numbered task as the clerk enters it or the supervisor edits it."""

    content = _text(MAX_TEXT, 1, required=True)
    lead_units = fields.List(_text(32, 1), required=True, validate=validate.Length(min=1, max=50))
    coordinating_units = fields.List(_text(32), load_default=list, validate=validate.Length(max=50))
    due_on = _day(load_default=None, allow_none=True)
    reporting = fields.String(load_default="once", validate=validate.OneOf(REPORTING_KINDS))
    reporting_until = _day(load_default=None, allow_none=True)
    report_cutoff_day = fields.Integer(load_default=14, validate=validate.Range(min=1, max=28))
    report_lag_days = fields.Integer(load_default=1, validate=validate.Range(min=1, max=30))
    instruction = _text(5000, load_default="", metadata={"description": "assign: for this task"})


class DirectiveInSchema(Schema):
    """A directive as the clerk enters it."""

    number = _text(64, 1, required=True, metadata={"example": "11/CT-UBND"})
    kind = fields.String(required=True, validate=validate.OneOf(DIRECTIVE_KINDS))
    issuer = _text(255, 1, required=True)
    issued_on = _day(required=True)
    title = _text(500, 1, required=True)
    body = _text(200_000, load_default="")
    tasks = fields.List(
        fields.Nested(TaskInSchema), required=True, validate=validate.Length(min=1, max=200)
    )


class CancelSchema(Schema):
    """Why a directive is cancelled (thu hồi)."""

    reason = _text(MAX_TEXT, 1, required=True)


class HandOverSchema(Schema):
    """The person of the unit who takes the assignment; null gives it back to the unit."""

    assignee_id = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID)
    )


class CompleteSchema(Schema):
    """What completing a step carries; which fields count depends on the step."""

    step = _text(
        64,
        metadata={"description": "the step the caller means to complete; 409 if it is another"},
    )
    tasks = fields.List(
        fields.Nested(TaskInSchema),
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "assign: the edited tasks (omit to confirm them as entered)"},
    )
    note = _text(MAX_TEXT, metadata={"description": "execute: an optional note"})
    text = _text(
        MAX_TEXT,
        metadata={
            "description": "report, contribute: the text (required); sign_off: the text as "
            "edited by the head (omit to send the draft as written)"
        },
    )
    decision = fields.String(
        validate=validate.OneOf(DECISIONS),
        metadata={
            "description": "accept, acknowledge: accept or return; sign_off: accept (send on) "
            "or return (back to the officer); required"
        },
    )
    comment = _text(
        MAX_TEXT,
        metadata={"description": "accept, acknowledge, sign_off: required when returning"},
    )
    keep = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=MAX_ID)),
        validate=validate.Length(max=10),
        metadata={"description": "report, contribute: ids of the previous round's files to keep"},
    )
    instruction = _text(
        5000, metadata={"description": "assign: the leader's instruction to every unit"}
    )
    values = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Raw(allow_none=True),
        validate=validate.Length(max=50),
        metadata={"description": "a step with a JSON Schema form: its fields by name"},
    )


# --- responses ------------------------------------------------------------------------------


def _str(**kwargs: Any) -> fields.String:
    return fields.String(required=True, **kwargs)


def _int(**kwargs: Any) -> fields.Integer:
    return fields.Integer(required=True, **kwargs)


def _at(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(required=True, **kwargs)


class ErrorBodySchema(Schema):
    """What went wrong."""

    code = _str(metadata={"example": "not_found"})
    message = _str()
    details = fields.Dict(required=True, metadata={"description": "e.g. fields, done_by"})


class ErrorSchema(Schema):
    """Every error answer."""

    error = fields.Nested(ErrorBodySchema, required=True)


class MeSchema(Schema):
    """The caller."""

    id = _int()
    username = _str()
    full_name = _str()
    title = _str()
    unit_code = _str()
    unit_name = _str()
    roles = fields.List(fields.String(), required=True)
    language = _str()
    csrf_token = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "send as X-CSRFToken when signed in by the session cookie"},
    )


class DirectiveRowSchema(Schema):
    """One line of the directive list."""

    id = _int()
    number = _str()
    kind = _str()
    issuer = _str()
    issued_on = fields.Date(required=True)
    title = _str()
    status = _str()
    assignments = _int()
    accepted = _int()
    overdue = _int()


class DirectivePageSchema(Schema):
    """A page of the directive list."""

    items = fields.List(fields.Nested(DirectiveRowSchema), required=True, attribute="rows")
    total = _int()
    page = _int()
    per_page = _int()
    issuers = fields.List(fields.String(), required=True)


class ReportSchema(Schema):
    """A report or contribution and the decision on it."""

    kind = _str()
    attempt = _int()
    text = _str()
    submitted_by = _str()
    submitted_at = _at()
    decision = _str(allow_none=True)
    decided_by = _str(allow_none=True)
    decided_at = _at(allow_none=True)
    comment = _str()


class AssignmentSchema(Schema):
    """One unit's part of a task."""

    id = _int()
    unit_code = _str()
    unit_name = _str()
    role = _str()
    state = _str()
    due_at = _at(allow_none=True)
    timeliness = _str()
    days_left = _int(allow_none=True)
    attempt = _int()
    reports = fields.List(fields.Nested(ReportSchema), required=True)
    open_steps = fields.List(fields.String(), required=True)


class TaskSchema(Schema):
    """A numbered task and its assignments."""

    number = _int()
    content = _str()
    due_on = fields.Date(required=True, allow_none=True)
    assignments = fields.List(fields.Nested(AssignmentSchema), required=True)


class AttachmentSchema(Schema):
    """A file attached to the directive or to one of its reports."""

    id = _int()
    filename = _str()
    size_bytes = _int()
    content_type = _str()
    uploaded_by = _str()
    uploaded_at = _at()
    report_id = _int(allow_none=True)


class DirectiveSchema(Schema):
    """A directive with its tasks, assignments, reports and timeliness."""

    id = _int()
    number = _str()
    kind = _str()
    issuer = _str()
    issued_on = fields.Date(required=True)
    title = _str()
    body = _str()
    status = _str()
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    open_work_items = fields.List(fields.String(), required=True)
    timeliness_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))


class EventSchema(Schema):
    """One line of a directive's history."""

    at = _at()
    actor = _str(allow_none=True)
    kind = _str()
    assignment_id = _int(allow_none=True)
    before = fields.Dict(required=True, allow_none=True)
    after = fields.Dict(required=True, allow_none=True)
    detail = _str()


class HistorySchema(Schema):
    """A directive's history, oldest first."""

    items = fields.List(fields.Nested(EventSchema), required=True)


class InboxItemSchema(Schema):
    """One ready step in the caller's inbox."""

    work_item_id = _str()
    step = _str()
    title = _str()
    directive_id = _int()
    directive_number = _str()
    directive_title = _str()
    task_no = _int(allow_none=True)
    task_content = _str()
    unit_code = _str(allow_none=True)
    unit_name = _str()
    role = _str(allow_none=True)
    assignment_id = _int(allow_none=True)
    assignee = _str(allow_none=True)
    due_at = _at(allow_none=True)
    days_left = _int(allow_none=True)
    timeliness = _str()
    waiting_since = _at()


class InboxSchema(Schema):
    """A page of the inbox with its totals per step."""

    items = fields.List(fields.Nested(InboxItemSchema), required=True)
    total = _int()
    page = _int()
    per_page = _int()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    overdue = _int()


class CreatedSchema(Schema):
    """The id of what was created."""

    id = _int()


class CompletedSchema(Schema):
    """The step that was completed."""

    work_item_id = _str()
    step = _str()
    directive_id = _int()
