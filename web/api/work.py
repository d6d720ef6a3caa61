"""The caller's work: the inbox, completing a step, handing an assignment over."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from werkzeug.wrappers import Response

import workflows
from web import context
from web.api.auth import caller_id
from web.api.blueprint import answers, bp, no_content
from web.api.directives import BODY_ERRORS, task_inputs
from web.api.schemas import (
    CompletedSchema,
    CompleteSchema,
    HandOverSchema,
    InboxQuerySchema,
    InboxSchema,
)
from workflows import CompletedStep, InboxPage, Submission, complete_step, inbox

TAGS = ["work"]


def _submission(body: dict[str, Any]) -> Submission:
    tasks = body.get("tasks")
    return Submission(
        step=body.get("step"),
        note=body.get("note", ""),
        text=body.get("text", ""),
        decision=body.get("decision"),
        comment=body.get("comment", ""),
        tasks=tuple(task_inputs(tasks)) if tasks is not None else None,
        values={name: _posted(value) for name, value in (body.get("values") or {}).items()},
        keep=tuple(body.get("keep") or ()),
        instruction=body.get("instruction", ""),
    )


def _posted(value: Any) -> str | list[str]:
    """A JSON value of a form field as the page would post it (a checkbox off is absent)."""
    if isinstance(value, list):
        return [_posted_one(item) for item in value]
    return _posted_one(value)


def _posted_one(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    return "" if value is None else str(value)


@bp.route("/inbox", methods=["GET"], tags=TAGS)
@bp.arguments(InboxQuerySchema, location="query", error_status_code=400)
@bp.response(200, InboxSchema)
@answers()
def get_inbox(args: dict[str, Any]) -> InboxPage:
    """List the caller's ready steps (soonest due first by default) with counts per step."""
    return inbox(
        context.db(),
        caller_id(),
        step=args.get("step") or None,
        page=args["page"],
        per_page=args["per_page"],
        sort=args["sort"],
        overdue_only=args["overdue"],
    )


@bp.route("/work-items/<uuid:work_item_id>/complete", methods=["POST"], tags=TAGS)
@bp.arguments(CompleteSchema, required=False)
@bp.response(200, CompletedSchema)
@answers(*BODY_ERRORS, 404, 409)
def complete_work_item(body: dict[str, Any], work_item_id: UUID) -> CompletedStep:
    """Complete a ready step; the fields that count depend on the step (see the body)."""
    return complete_step(context.db(), caller_id(), str(work_item_id), _submission(body))


@bp.route(
    "/assignments/<int(min=1, max=2147483647):assignment_id>/hand-over",
    methods=["POST"],
    tags=TAGS,
)
@bp.arguments(HandOverSchema)
@bp.response(204)
@answers(*BODY_ERRORS)
def hand_over(body: dict[str, Any], assignment_id: int) -> Response:
    """Hand an assignment to a person of the caller's unit (unit head); null takes it back."""
    workflows.hand_over(context.db(), caller_id(), assignment_id, body["assignee_id"])
    return no_content()
