"""Proposing a directive from its text or file: `POST /api/v1/directives/proposal`."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields

from web import context
from web.api.auth import caller_id
from web.api.blueprint import answers, bp
from web.api.schemas import _text
from workflows import InvalidInput, ProposalSource, Upload, proposal_json, propose_directive


class UnitRefSchema(Schema):
    """A unit a proposed task names: its code (null when the organisation has none), as written."""

    code = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)


class ProposedTaskSchema(Schema):
    """A proposed task: its text, units and deadline with the phrase it came from."""

    no = fields.Integer(required=True)
    text = fields.String(required=True)
    lead = fields.List(fields.Nested(UnitRefSchema), required=True)
    coordinating = fields.List(fields.Nested(UnitRefSchema), required=True)
    due_on = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    due_text = fields.String(allow_none=True, required=True)


class ProposalSchema(Schema):
    """A directive proposed from its text; null where the text does not say."""

    number = fields.String(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True)
    issuer = fields.String(allow_none=True, required=True)
    issued_on = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    title = fields.String(allow_none=True, required=True)
    tasks = fields.List(fields.Nested(ProposedTaskSchema), required=True)
    new_units = fields.List(fields.String(), required=True)


MAX_TEXT = 400_000


class ProposalFormSchema(Schema):
    """The directive's text, pasted (a form field)."""

    text = _text(MAX_TEXT, metadata={"description": "the directive, pasted as text"})


class ProposalFileSchema(Schema):
    """The directive's file."""

    file = fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": ".docx, .pdf with a text layer, .xlsx (the task template) or .txt",
        }
    )


@bp.route("/directives/proposal", methods=["POST"], tags=["directives"])
@bp.arguments(ProposalFormSchema, location="form", required=False)
@bp.arguments(ProposalFileSchema, location="files", required=False)
@bp.response(200, ProposalSchema)
@answers(400, 403, 413, 422)
def propose(form: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    """Propose the number, kind, issuer, date, title, tasks, units and deadlines of a directive
    from its `text` or its `file` (clerk or supervisor); nothing is saved.

    The text may also come as JSON: `{"text": "..."}`.
    """
    upload = files.get("file")
    source = ProposalSource(text=form.get("text") or _json_text())
    if upload is not None and getattr(upload, "filename", None):
        source = ProposalSource(upload=Upload(upload.filename, upload.read()))
    return proposal_json(propose_directive(context.db(), caller_id(), source))


def _json_text() -> str:
    """The `text` of a JSON body, when the request is JSON (else nothing)."""
    if not request.is_json:
        return ""
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if text is None:
        return ""
    if not isinstance(text, str) or len(text) > MAX_TEXT or "\x00" in text:
        raise InvalidInput({"text": "a text of at most 400,000 characters"})
    return text
