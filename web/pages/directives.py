"""Directive pages: the list, the clerk's entry form, the detail page, cancelling."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from web.forms import CancelForm, TemplateForm
from web.pages import entry, oversight_args
from workflows import (
    DirectiveFilter,
    cancel_directive,
    directive_detail,
    directive_trail,
    extension_requests,
    list_directives,
    list_units,
    resume_directive,
    suspend_directive,
)

bp = Blueprint("directives", __name__, url_prefix="/directives")
STATUSES = ("assigning", "in_progress", "suspended", "completed", "cancelled")


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def directive_filter() -> DirectiveFilter:
    """The list's filters as this request's arguments give them."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    return DirectiveFilter(
        status=status,
        unit_code=request.args.get("unit") or None,
        issuer=request.args.get("issuer") or None,
        issued_from=_date_arg("from"),
        issued_to=_date_arg("to"),
        overdue_only=request.args.get("overdue") == "1",
        query=request.args.get("q", "")[:200],
    )


@bp.get("/")
@login_required
def index() -> str:
    flt = directive_filter()
    page = request.args.get("page", 1, type=int) or 1
    result = list_directives(context.db(), context.my_id(), flt, page=page, per_page=20)
    units = list_units(context.db(), context.my_id())
    return render_template(
        "directives/list.html",
        page=result,
        flt=flt,
        statuses=STATUSES,
        units=units,
        export_note=oversight_args.cut_note(oversight_args.MAX_DIRECTIVE_ROWS, result.total),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str | tuple[str, int]:
    """The entry page (web/pages/entry.py): propose from a document, save, or keep a draft."""
    return entry.new_page()


@bp.get("/<int:directive_id>")
@login_required
def detail(directive_id: int) -> str:
    found = directive_detail(context.db(), context.my_id(), directive_id)
    leader = context.me().has("supervisor", "admin")
    may_cancel = leader and found.status in ("assigning", "in_progress", "suspended")
    may_suspend = leader and found.status in ("assigning", "in_progress")
    may_resume = leader and found.status == "suspended"
    asked = extension_requests(context.db(), context.my_id(), directive_id=directive_id)
    may_correct = context.me().has("clerk", "supervisor") and found.status != "cancelled"
    return render_template(
        "directives/detail.html",
        d=found,
        may_cancel=may_cancel,
        may_suspend=may_suspend,
        may_resume=may_resume,
        asked=asked,
        may_correct=may_correct,
        template_form=TemplateForm() if may_correct else None,
    )


@bp.route("/<int:directive_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(directive_id: int) -> Response | str | tuple[str, int]:
    found = directive_detail(context.db(), context.my_id(), directive_id)
    if not context.me().has("supervisor", "admin"):
        abort(403)
    form = CancelForm()
    if form.validate_on_submit():
        cancel_directive(context.db(), context.my_id(), directive_id, form.reason.data or "")
        flash(_("Directive %(number)s cancelled.", number=found.number), "warning")
        return redirect(url_for("directives.detail", directive_id=directive_id))
    status = 422 if request.method == "POST" else 200
    return render_template("directives/cancel.html", d=found, form=form), status


HOLD_ACTIONS = {
    "suspend": (suspend_directive, _l("Directive %(number)s suspended.")),
    "resume": (resume_directive, _l("Directive %(number)s resumed.")),
}


@bp.route("/<int:directive_id>/<any(suspend, resume):action>", methods=["GET", "POST"])
@login_required
def hold(directive_id: int, action: str) -> Response | str | tuple[str, int]:
    """Suspend or resume a directive, after a confirmation page asking for the reason."""
    found = directive_detail(context.db(), context.my_id(), directive_id)
    if not context.me().has("supervisor", "admin"):
        abort(403)
    form = CancelForm()
    use_case, done = HOLD_ACTIONS[action]
    if form.validate_on_submit():
        use_case(context.db(), context.my_id(), directive_id, form.reason.data or "")
        flash(str(done) % {"number": found.number}, "info")
        return redirect(url_for("directives.detail", directive_id=directive_id))
    status = 422 if request.method == "POST" else 200
    return render_template("directives/hold.html", d=found, form=form, action=action), status


@bp.get("/<int:directive_id>/trail.json")
@login_required
def trail(directive_id: int) -> Response:
    """The instance view's data: the diagram the directive runs on and what to mark on it."""
    found = directive_trail(context.db(), context.my_id(), directive_id)
    response = jsonify(
        version=found.version_number,
        xml=found.xml,
        elements=[asdict(e) for e in found.elements],
        flows=[asdict(f) for f in found.flows],
    )
    response.headers["Cache-Control"] = "no-store"
    return response
