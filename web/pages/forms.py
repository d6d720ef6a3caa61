"""Administration of the JSON Schema forms that generic process steps show (admin only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from web import context
from web.context import login_required
from web.forms import FlaskForm
from web.messages import problems_of, translate
from workflows import (
    FormField,
    InvalidInput,
    delete_form,
    get_form,
    list_forms,
    preview_fields,
    save_form,
)

bp = Blueprint("forms", __name__, url_prefix="/admin/forms")


class StepFormForm(FlaskForm):
    """What the form editor posts; the domain checks the key, the title and the schema."""

    key = StringField(_l("Key"), validators=[Optional(), Length(max=63)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=255)])
    schema = TextAreaField(_l("JSON Schema"), validators=[Optional(), Length(max=70_000)])


@bp.before_request
@login_required
def only_admins() -> None:
    if not context.me().has("admin"):
        abort(403)


@bp.get("")
def index() -> str:
    return render_template("admin/forms.html", rows=list_forms(context.db()))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<key>", methods=["GET", "POST"])
def edit(key: str | None = None) -> Response | str | tuple[str, int]:
    existing = get_form(context.db(), key) if key is not None else None
    initial = None
    if existing is not None and request.method == "GET":
        initial = {"key": existing.key, "title": existing.title, "schema": existing.schema_text}
    form = StepFormForm(data=initial)
    preview: tuple[FormField, ...] = existing.fields if existing is not None else ()
    problems: dict[str, str] = {}
    if existing is not None and existing.problem is not None and request.method == "GET":
        problems = {"schema": translate(existing.problem)}  # stored before today's checks
    if form.validate_on_submit():
        wanted = key or (form.key.data or "").strip()
        title, text = form.title.data or "", form.schema.data or ""
        try:
            if request.form.get("action") == "preview":
                preview = preview_fields(wanted, title, text)
            else:
                save_form(context.db(), context.my_id(), wanted, title, text, new=not key)
                flash(_("Form saved."), "success")
                return redirect(url_for("forms.edit", key=wanted))
        except InvalidInput as exc:
            problems, preview = problems_of(exc), ()
    for name, text in problems.items():
        if name in form:
            form[name].errors = [text]
    labels = {name: str(form[name].label.text) for name in problems if name in form}
    status = 422 if request.method == "POST" and (problems or form.errors) else 200
    return render_template(
        "admin/form.html",
        form=form,
        existing=existing,
        preview=preview,
        problems={labels.get(name, name): text for name, text in problems.items()},
        delete=FlaskForm(),
    ), status


@bp.route("/<key>/delete", methods=["GET", "POST"])
def delete(key: str) -> Response | str:
    """Delete a form after a confirmation page (refused while a saved diagram names it)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            abort(400)
        existing = get_form(context.db(), key)
        return render_template("admin/form_delete.html", existing=existing, delete=form)
    try:
        delete_form(context.db(), context.my_id(), key)
    except InvalidInput as exc:
        flash(" ".join(problems_of(exc).values()), "danger")
        return redirect(url_for("forms.edit", key=key))
    flash(_("Form deleted."), "success")
    return redirect(url_for("forms.index"))
