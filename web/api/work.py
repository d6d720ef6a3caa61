"""The caller's work: the inbox, completing a step, handing an assignment over."""

from __future__ import annotations

from collections.abc import Callable
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
from workflows import (
    InboxPage,
    InvalidInput,
    WrongStep,
    accept_report,
    acknowledge_contribution,
    assign_directive,
    inbox,
    return_report,
    start_work,
    step_for_actor,
    submit_contribution,
    submit_report,
)

TAGS = ["work"]
REQUIRED_FIELDS = {
    "report": ("text",),
    "contribute": ("text",),
    "accept": ("decision",),
    "acknowledge": ("decision",),
}
Action = Callable[[int, str, dict[str, Any]], None]


def _assign(me: int, item: str, body: dict[str, Any]) -> None:
    tasks = body.get("tasks")
    edited = task_inputs(tasks) if tasks is not None else None
    assign_directive(context.db(), me, item, edited)


def _execute(me: int, item: str, body: dict[str, Any]) -> None:
    start_work(context.db(), me, item, body.get("note", ""))


def _report(me: int, item: str, body: dict[str, Any]) -> None:
    submit_report(context.db(), me, item, body["text"])


def _contribute(me: int, item: str, body: dict[str, Any]) -> None:
    submit_contribution(context.db(), me, item, body["text"])


def _accept(me: int, item: str, body: dict[str, Any]) -> None:
    comment = body.get("comment", "")
    if body["decision"] == "accept":
        accept_report(context.db(), me, item, comment)
    else:
        return_report(context.db(), me, item, comment)


def _acknowledge(me: int, item: str, body: dict[str, Any]) -> None:
    accepted = body["decision"] == "accept"
    acknowledge_contribution(context.db(), me, item, accepted, body.get("comment", ""))


ACTIONS: dict[str, Action] = {
    "assign": _assign,
    "execute": _execute,
    "report": _report,
    "contribute": _contribute,
    "accept": _accept,
    "acknowledge": _acknowledge,
}


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
def complete_work_item(body: dict[str, Any], work_item_id: UUID) -> dict[str, Any]:
    """Complete a ready step; the fields that count depend on the step (see the body)."""
    me, item = caller_id(), str(work_item_id)
    access = step_for_actor(context.db(), me, item)
    expected = body.get("step")
    if expected is not None and expected != access.step:
        raise WrongStep(f"this work item is the {access.step!r} step, not {expected!r}")
    action = ACTIONS.get(access.step)
    if action is None:
        raise WrongStep(f"the {access.step!r} step cannot be completed through the API")
    missing = [name for name in REQUIRED_FIELDS.get(access.step, ()) if name not in body]
    if missing:
        raise InvalidInput({name: f"required for the {access.step} step" for name in missing})
    action(me, item, body)
    return {"work_item_id": item, "step": access.step, "directive_id": access.directive_id}


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
