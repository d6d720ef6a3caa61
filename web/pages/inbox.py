"""The inbox (Việc cần làm): what the signed-in person has to do now."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from workflows import FORM_KEY, extension_requests, inbox

bp = Blueprint("inbox", __name__)
STEPS = ("assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge")


@bp.get("/")
def home() -> Response:
    if current_user.is_authenticated:
        if context.me().has("supervisor"):  # the leaders' home page is the dashboard
            return redirect(url_for("oversight.show_dashboard"))
        return redirect(url_for("inbox.index"))
    return redirect(url_for("auth.login"))


@bp.get("/inbox")
@login_required
def index() -> str:
    wanted = request.args.get("step") or ""
    step = wanted if wanted in STEPS or FORM_KEY.match(wanted) else None
    sort = request.args.get("sort", "due")
    page = request.args.get("page", 1, type=int) or 1
    overdue = request.args.get("overdue") == "1"
    result = inbox(
        context.db(),
        context.my_id(),
        step=step,
        page=page,
        per_page=20,
        sort=sort,
        overdue_only=overdue,
    )
    pending = []
    if context.me().has("supervisor"):
        pending = extension_requests(context.db(), context.my_id(), pending_only=True)
    return render_template(
        "inbox.html",
        page=result,
        step=step,
        sort=sort,
        overdue=overdue,
        steps=STEPS,
        pending_extensions=pending,
    )
