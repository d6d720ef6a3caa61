"""Delegation (ủy quyền): a head or a leader names a deputy for some days, and sees the
delegations given and received."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from web import context
from web.context import login_required
from web.forms import ConfirmForm, DelegationForm
from web.messages import problems_of
from workflows import InvalidInput, delegate, delegations, deputies, end_delegation

bp = Blueprint("delegations", __name__)


@bp.route("/delegations", methods=["GET", "POST"])
@login_required
def index() -> Response | str | tuple[str, int]:
    may_delegate = context.me().has("unit_head", "supervisor")
    form = DelegationForm()
    form.deputy.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(d.id), f"{d.full_name} ({d.title})" if d.title else d.full_name)
        for d in (deputies(context.db(), context.my_id()) if may_delegate else [])
    ]
    problems: dict[str, str] = {}
    if request.method == "POST":
        if not may_delegate:
            abort(403)
        if form.validate_on_submit():
            try:
                delegate(
                    context.db(),
                    context.my_id(),
                    int(form.deputy.data) if (form.deputy.data or "").isdigit() else None,
                    form.starts_on.data,
                    form.ends_on.data,
                    form.reason.data or "",
                )
            except InvalidInput as exc:
                problems = problems_of(exc)
            else:
                flash(_("Delegation saved."), "success")
                return redirect(url_for("delegations.index"))
        else:
            problems = {name: "; ".join(errors) for name, errors in form.errors.items()}
    status = 422 if request.method == "POST" else 200
    return render_template(
        "delegations.html",
        form=form,
        may_delegate=may_delegate,
        rows=delegations(context.db(), context.my_id()),
        problems=problems,
        end=ConfirmForm(),
    ), status


@bp.post("/delegations/<int:delegation_id>/end")
@login_required
def finish(delegation_id: int) -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        end_delegation(context.db(), context.my_id(), delegation_id)
        flash(_("Delegation ended."), "success")
    return redirect(url_for("delegations.index"))
