"""Proposing a directive from its text or file: `POST /api/v1/directives/proposal`."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from web import context
from web.api.auth import caller_id
from web.api.blueprint import answers, bp
from web.api.schemas import ProposalSchema, _text
from workflows import ProposalSource, Upload, proposal_json, propose_directive

MAX_TEXT = 400_000


class ProposalTextSchema(Schema):
    """A directive's text to read (application/json)."""

    text = _text(MAX_TEXT, metadata={"description": "the directive, pasted as text"})


class ProposalFileSchema(Schema):
    """A directive's file to read (multipart/form-data)."""

    file = fields.Raw(
        metadata={
            "type": "string",
            "format": "binary",
            "description": ".docx, .pdf with a text layer, .xlsx (the task template) or .txt",
        }
    )


@bp.route("/directives/proposal", methods=["POST"], tags=["directives"])
@bp.arguments(ProposalTextSchema, required=False)
@bp.arguments(ProposalFileSchema, location="files", required=False)
@bp.response(200, ProposalSchema)
@answers(400, 403, 413, 422)
def propose(text_body: dict[str, Any], file_body: dict[str, Any]) -> dict[str, Any]:
    """Propose the number, kind, issuer, date, title, tasks, units and deadlines of a
    directive from its text or file (clerk or supervisor); nothing is saved."""
    upload = file_body.get("file")
    source = ProposalSource(text=text_body.get("text") or "")  # empty: the domain says so
    if upload is not None and getattr(upload, "filename", None):
        source = ProposalSource(upload=Upload(upload.filename, upload.read()))
    return proposal_json(propose_directive(context.db(), caller_id(), source))
