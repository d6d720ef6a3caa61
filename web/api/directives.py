"""Directives: list, enter, read, cancel, and their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import url_for
from werkzeug.wrappers import Response

import workflows
from web import context
from web.api.auth import caller_id
from web.api.blueprint import answers, bp, no_content
from web.api.schemas import (
    CancelSchema,
    CreatedSchema,
    DirectiveInSchema,
    DirectivePageSchema,
    DirectiveQuerySchema,
    DirectiveSchema,
    HistorySchema,
)
from workflows import (
    DirectiveDetail,
    DirectiveFilter,
    DirectiveInput,
    DirectivePage,
    TaskInput,
    directive_detail,
    history_of,
)

TAGS = ["directives"]
DIRECTIVE_ID = "<int(min=1, max=2147483647):directive_id>"
BODY_ERRORS = (400, 403, 413, 422)


def task_inputs(tasks: Sequence[Mapping[str, Any]]) -> tuple[TaskInput, ...]:
    """Turn parsed task objects into the domain's input values."""
    return tuple(
        TaskInput(
            content=task["content"],
            lead_units=tuple(task["lead_units"]),
            coordinating_units=tuple(task["coordinating_units"]),
            due_on=task["due_on"],
            reporting=task["reporting"],
            reporting_until=task.get("reporting_until"),
            report_cutoff_day=task.get("report_cutoff_day", 14),
            report_lag_days=task.get("report_lag_days", 1),
            instruction=task.get("instruction", ""),
        )
        for task in tasks
    )


@bp.route("/directives", methods=["GET"], tags=TAGS)
@bp.arguments(DirectiveQuerySchema, location="query", error_status_code=400)
@bp.response(200, DirectivePageSchema)
@answers()
def list_directives(args: dict[str, Any]) -> DirectivePage:
    """List the directives the caller may see, newest first."""
    flt = DirectiveFilter(
        status=args.get("status"),
        unit_code=args.get("unit"),
        issuer=args.get("issuer"),
        issued_from=args.get("issued_from"),
        issued_to=args.get("issued_to"),
        overdue_only=args["overdue"],
        query=args.get("q", ""),
    )
    return workflows.list_directives(
        context.db(), caller_id(), flt, page=args["page"], per_page=args["per_page"]
    )


@bp.route("/directives", methods=["POST"], tags=TAGS)
@bp.arguments(DirectiveInSchema)
@bp.response(201, CreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
@answers(*BODY_ERRORS)
def create_directive(body: dict[str, Any]) -> tuple[dict[str, int], int, dict[str, str]]:
    """Enter a directive and its tasks (clerk or supervisor); it waits to be assigned."""
    data = DirectiveInput(
        number=body["number"],
        kind=body["kind"],
        issuer=body["issuer"],
        issued_on=body["issued_on"],
        title=body["title"],
        tasks=task_inputs(body["tasks"]),
        body=body["body"],
    )
    new_id = workflows.create_directive(context.db(), caller_id(), data)
    location = url_for("api.get_directive", directive_id=new_id)
    return {"id": new_id}, 201, {"Location": location}


@bp.route(f"/directives/{DIRECTIVE_ID}", methods=["GET"], tags=TAGS)
@bp.response(200, DirectiveSchema)
@answers(403, 404)
def get_directive(directive_id: int) -> DirectiveDetail:
    """Read a directive with its tasks, assignments, reports and timeliness."""
    return directive_detail(context.db(), caller_id(), directive_id)


@bp.route(f"/directives/{DIRECTIVE_ID}/history", methods=["GET"], tags=TAGS)
@bp.response(200, HistorySchema)
@answers(403, 404)
def directive_history(directive_id: int) -> dict[str, Any]:
    """Read a directive's history (who did what, when), oldest first."""
    return {"items": history_of(context.db(), caller_id(), directive_id)}


@bp.route(f"/directives/{DIRECTIVE_ID}/cancel", methods=["POST"], tags=TAGS)
@bp.arguments(CancelSchema)
@bp.response(204)
@answers(*BODY_ERRORS, 404, 409)
def cancel_directive(body: dict[str, Any], directive_id: int) -> Response:
    """Cancel a directive (supervisor or admin): its open steps leave every inbox."""
    workflows.cancel_directive(context.db(), caller_id(), directive_id, body["reason"])
    return no_content()
