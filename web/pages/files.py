"""Attachment downloads, only for people who may see the directive."""

from __future__ import annotations

from flask import Blueprint, send_file
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from workflows import open_attachment

bp = Blueprint("files", __name__)


@bp.get("/files/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    path, filename, content_type = open_attachment(context.db(), context.my_id(), attachment_id)
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
