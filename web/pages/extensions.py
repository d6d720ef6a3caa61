"""Extension pages: a unit head asks for more time (on the step's page, which shows what is
wrong with a refused request); a leader grants or refuses."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from web.forms import ExtensionDecisionForm, ExtensionRequestForm
from web.messages import problems_of
from web.pages.work import step_page_again
from web.safety import safe_next
from workflows import InvalidInput, decide_extension, extension_requests, request_extension

bp = Blueprint("extensions", __name__)
STEP_PAGE = re.compile(r"^/work/([0-9a-fA-F-]{36})$")


@bp.post("/assignments/<int:assignment_id>/extension")
@login_required
def ask(assignment_id: int) -> Response | tuple[str, int]:
    form = ExtensionRequestForm()
    back = safe_next(request.form.get("back")) or url_for("inbox.index")
    problems: dict[str, str] = {}
    if form.validate_on_submit() and form.proposed_due_on.data is not None:
        try:
            request_extension(
                context.db(),
                context.my_id(),
                assignment_id,
                form.reason.data or "",
                form.proposed_due_on.data,
            )
        except InvalidInput as exc:
            problems = problems_of(exc)
        else:
            flash(_("Extension requested; a leader will decide."), "success")
            return redirect(back)
    else:
        problems = {name: "; ".join(errors) for name, errors in form.errors.items()}
    step = STEP_PAGE.match(back)
    if step:
        return step_page_again(step.group(1), form, problems)
    return render_template("extensions/problem.html", problems=problems, back=back), 422


@bp.route("/extensions/<int:request_id>", methods=["GET", "POST"])
@login_required
def decide(request_id: int) -> Response | str | tuple[str, int]:
    if not context.me().has("supervisor"):
        abort(403)
    found = [r for r in extension_requests(context.db(), context.my_id()) if r.id == request_id]
    if not found:
        abort(404)
    form = ExtensionDecisionForm(
        data=None if request.method == "POST" else {"due_on": found[0].proposed_due_on}
    )
    problems: dict[str, str] = {}
    if request.method == "POST" and not form.validate_on_submit():
        problems = {name: "; ".join(errors) for name, errors in form.errors.items()}
    elif form.validate_on_submit():
        try:
            decide_extension(
                context.db(),
                context.my_id(),
                request_id,
                form.decision.data == "grant",
                form.due_on.data,
                form.reason.data or "",
            )
        except InvalidInput as exc:
            problems = problems_of(exc)
        else:
            flash(_("Decision recorded."), "success")
            return redirect(url_for("inbox.index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "extensions/decide.html", r=found[0], form=form, problems=problems
    ), status
