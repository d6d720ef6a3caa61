"""Pages around entry: correcting a saved directive, drafts, templates, the task spreadsheet."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from web.entry_forms import EntryForm, as_formdata, entry_tasks
from web.forms import ConfirmForm, TemplateForm
from web.messages import problems_of
from web.pages.entry import NO_DATE, choose_units, issue_date_required, show_problems
from workflows import (
    Correction,
    DirectiveDetail,
    InvalidInput,
    NotFound,
    TaskCorrection,
    correct_directive,
    delete_draft,
    delete_template,
    directive_detail,
    list_drafts,
    list_templates,
    save_template,
    task_sheet,
)

bp = Blueprint("entry", __name__, url_prefix="/directives")
Page = Response | str | tuple[str, int]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enterer() -> None:
    if not context.me().has("clerk", "supervisor"):
        abort(403)


@bp.route("/<int:directive_id>/correct", methods=["GET", "POST"])
@login_required
def correct(directive_id: int) -> Page:
    """Correct a saved directive: every change goes to its history."""
    _enterer()
    found = directive_detail(context.db(), context.my_id(), directive_id)
    if found.status == "cancelled":
        abort(404)
    if request.method == "GET":
        form = EntryForm(formdata=as_formdata(_values_of(found, _tz())))
        return _render(form, found, {}, 200)
    form = EntryForm()
    if not form.validate_on_submit():
        return _render(form, found, {}, 422)
    try:
        with issue_date_required(form.issued_on.data is None):
            correct_directive(context.db(), context.my_id(), directive_id, _correction(form))
    except InvalidInput as exc:
        return _render(form, found, problems_of(exc), 422)
    flash(_("Directive %(number)s corrected.", number=form.number.data), "success")
    return redirect(url_for("directives.detail", directive_id=directive_id))


def _correction(form: EntryForm) -> Correction:
    return Correction(
        number=form.number.data or "",
        kind=form.kind.data or "",
        issuer=form.issuer.data or "",
        issued_on=form.issued_on.data or NO_DATE,
        title=form.title.data or "",
        body=form.body.data or "",
        tasks=tuple(TaskCorrection(i, t) for i, t in entry_tasks(form.tasks, _tz())),
        reason=form.reason.data or "",
    )


def _render(
    form: EntryForm, found: DirectiveDetail, problems: dict[str, str], status: int
) -> tuple[str, int]:
    choose_units(form)
    show_problems(form, problems)
    page = render_template("directives/correct.html", form=form, d=found, problems=problems)
    return page, status


def _values_of(found: DirectiveDetail, tz: ZoneInfo) -> dict[str, Any]:
    values: dict[str, Any] = {
        "number": found.number,
        "kind": found.kind,
        "issuer": found.issuer,
        "issued_on": found.issued_on.isoformat(),
        "title": found.title,
        "body": found.body,
    }
    live = [task for task in found.tasks if task.withdrawn_at is None]
    for index, task in enumerate(live):
        prefix = f"tasks-{index}-"
        units = [a for a in task.assignments if a.state != "cancelled"]
        values[prefix + "task_id"] = str(task.id)
        values[prefix + "content"] = task.content
        values[prefix + "lead_units"] = [a.unit_code for a in units if a.role == "lead"]
        values[prefix + "coordinating_units"] = [
            a.unit_code for a in units if a.role == "coordinating"
        ]
        values[prefix + "due_on"] = task.due_on.isoformat() if task.due_on else ""
        values[prefix + "due_time"] = (
            task.due_at.astimezone(tz).strftime("%H:%M") if task.due_at else ""
        )
        values[prefix + "due_text"] = task.due_text
        values[prefix + "reporting"] = task.reporting
        until = task.reporting_until
        values[prefix + "reporting_until"] = until.isoformat() if until else ""
    return values


@bp.get("/drafts")
@login_required
def drafts() -> str:
    """The drafts of the signed-in person, to finish or delete."""
    _enterer()
    rows = list_drafts(context.db(), context.my_id())
    return render_template("directives/drafts.html", rows=rows, form=ConfirmForm())


@bp.post("/drafts/<int:draft_id>/delete")
@login_required
def delete_draft_page(draft_id: int) -> Response:
    _enterer()
    if ConfirmForm().validate_on_submit():
        try:
            delete_draft(context.db(), context.my_id(), draft_id)
        except NotFound:
            flash(_("This draft no longer exists."), "warning")
        else:
            flash(_("Draft deleted."), "info")
    return redirect(url_for("entry.drafts"))


@bp.get("/templates")
@login_required
def templates() -> str:
    """Templates of recurring directives, each ready to start a new directive from."""
    _enterer()
    rows = list_templates(context.db(), context.my_id())
    return render_template(
        "directives/templates.html", rows=rows, form=ConfirmForm(), today=date.today()
    )


@bp.post("/templates/<int:template_id>/delete")
@login_required
def delete_template_page(template_id: int) -> Response:
    _enterer()
    if ConfirmForm().validate_on_submit():
        try:
            delete_template(context.db(), context.my_id(), template_id)
        except NotFound:
            flash(_("This template no longer exists."), "warning")
        else:
            flash(_("Template deleted."), "info")
    return redirect(url_for("entry.templates"))


@bp.post("/<int:directive_id>/template")
@login_required
def save_as_template(directive_id: int) -> Page:
    """Keep a directive as a template under a name."""
    _enterer()
    form = TemplateForm()
    if not form.validate_on_submit():
        flash(_("Give the template a name."), "danger")
        return redirect(url_for("directives.detail", directive_id=directive_id))
    try:
        save_template(context.db(), context.my_id(), directive_id, form.name.data or "")
    except InvalidInput as exc:
        flash("; ".join(problems_of(exc).values()), "danger")
        return redirect(url_for("directives.detail", directive_id=directive_id))
    flash(_("Saved as the template “%(name)s”.", name=form.name.data), "success")
    return redirect(url_for("entry.templates"))


@bp.get("/import-template.xlsx")
@login_required
def sheet() -> Response:
    """The spreadsheet template for entering tasks as rows."""
    _enterer()
    data = task_sheet(context.db(), context.my_id())
    return send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="mau-nhiem-vu.xlsx"
    )


def _tz() -> ZoneInfo:
    return ZoneInfo(context.config().timezone)
