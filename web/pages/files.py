"""Attachment downloads, only for people who may see the directive; PDF and images also inline
for the previews on the step and directive pages."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from workflows import PREVIEWABLE, open_attachment

bp = Blueprint("files", __name__)
# An inline file is shown by the browser itself or drawn by our pdf.js: it may run nothing.
INLINE_POLICY = "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"


@bp.get("/files/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    path, filename, content_type = open_attachment(context.db(), context.my_id(), attachment_id)
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/files/<int:attachment_id>/view")
@login_required
def view(attachment_id: int) -> Response:
    """Serve a PDF or an image inline (any other type has no preview: 404)."""
    path, filename, content_type = open_attachment(context.db(), context.my_id(), attachment_id)
    if content_type not in PREVIEWABLE:
        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=False, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = INLINE_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
