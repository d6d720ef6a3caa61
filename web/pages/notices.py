"""The notifications page behind the bell: list, mark read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from workflows import list_notifications, mark_notifications_read

bp = Blueprint("notices", __name__)


@bp.get("/notifications")
@login_required
def index() -> str:
    rows = list_notifications(context.db(), context.my_id())
    return render_template("notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def read() -> Response:
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()]
    mark_notifications_read(context.db(), context.my_id(), ids or None)
    return redirect(url_for("notices.index"))
