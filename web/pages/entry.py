"""The entry page: paste or upload a directive for a proposal, correct it, save it or a draft.

Files chosen on the form are kept on the server under the form's token (`workflows.stash_files`)
the moment they arrive, so a validation error, a proposal or a draft never asks for them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from web import context
from web.entry_forms import EntryForm, as_formdata, entry_tasks, proposal_values, values_of
from web.messages import problems_of
from web.pages.formdata import unit_choices, uploads_from
from workflows import (
    DirectiveInput,
    InvalidInput,
    Message,
    Proposal,
    ProposalSource,
    Upload,
    create_directive,
    discard_stash,
    drop_stashed,
    list_templates,
    open_draft,
    propose_directive,
    save_draft,
    start_from_template,
    stash_files,
    stashed,
    unstash,
)

Page = Response | str | tuple[str, int]
NO_DATE = date(1900, 1, 1)  # stands for a missing issue date, which the domain refuses


def new_page() -> Page:
    """GET: an empty form, a draft or a template; POST: propose, save a draft, or save."""
    if not context.me().has("clerk", "supervisor"):
        abort(403)
    if request.method == "GET":
        form, token, draft_id = _initial_form()
        return _render(form, token, draft_id)
    form = EntryForm()
    token, draft_id = form.draft_token.data or "", _number(form.draft_id.data)
    if not form.validate_on_submit():
        return _render(form, token, draft_id, status=422)
    try:
        token = _keep_files(token)
        action = request.form.get("action", "save")
        if action == "propose":
            return _propose(form, token, draft_id)
        if action == "draft":
            return _save_draft(token, draft_id)
        if action == "keep":
            return _render(form, token, draft_id)
        return _save(form, token, draft_id)
    except InvalidInput as exc:
        return _render(form, token, draft_id, problems_of(exc), 422)


def _initial_form() -> tuple[EntryForm, str, int | None]:
    draft_id = request.args.get("draft", type=int)
    if draft_id:
        draft = open_draft(context.db(), context.my_id(), draft_id)
        return EntryForm(formdata=as_formdata(draft.form)), draft.token, draft.id
    template_id = request.args.get("template", type=int)
    if template_id:
        issued_on = _day(request.args.get("issued_on", "")) or date.today()
        start = start_from_template(context.db(), context.my_id(), template_id, issued_on)
        return EntryForm(formdata=as_formdata(_directive_values(start))), "", None
    return EntryForm(formdata=None), "", None


def _keep_files(token: str) -> str:
    """Keep newly chosen files under the token; drop those the clerk unticked."""
    dropped = request.form.getlist("drop_file")
    if dropped:
        drop_stashed(context.db(), context.my_id(), token, dropped)
    uploads = uploads_from(request.files.getlist("attachments"))
    if uploads:
        token = stash_files(context.db(), context.my_id(), token, uploads)
    return token


def _propose(form: EntryForm, token: str, draft_id: int | None) -> Page:
    text = (form.source_text.data or "").strip()
    upload = request.files.get("source_file")
    source = ProposalSource(text=text)
    if upload and upload.filename:
        source = ProposalSource(upload=Upload(upload.filename, upload.read()))
    elif not text:
        raise InvalidInput({"source": _("paste the directive or choose its file")})
    proposal = propose_directive(context.db(), context.my_id(), source)
    if source.upload is not None and source.upload.filename.lower().endswith((".docx", ".pdf")):
        token = stash_files(context.db(), context.my_id(), token, [source.upload])
    values = proposal_values(proposal, text)
    values.update(source_text=text, draft_token=token, draft_id=str(draft_id or ""))
    proposed = EntryForm(formdata=as_formdata(values))
    return _render(proposed, token, draft_id, proposal=proposal)


def _save_draft(token: str, draft_id: int | None) -> Response:
    values = values_of(MultiDict(request.form))
    draft_id = save_draft(context.db(), context.my_id(), values, token, draft_id)
    flash(_("Draft saved. Finish it later from “My drafts”."), "success")
    return redirect(url_for("directives.new", draft=draft_id))


def _save(form: EntryForm, token: str, draft_id: int | None) -> Page:
    data = DirectiveInput(
        number=form.number.data or "",
        kind=form.kind.data or "",
        issuer=form.issuer.data or "",
        issued_on=form.issued_on.data or NO_DATE,
        title=form.title.data or "",
        body=form.body.data or "",
        tasks=tuple(task for _id, task in entry_tasks(form.tasks, _tz())),
    )
    uploads = unstash(context.db(), context.my_id(), token) if token else []
    with issue_date_required(form.issued_on.data is None):
        directive_id = create_directive(
            context.db(), context.my_id(), data, uploads=uploads, draft_id=draft_id
        )
    discard_stash(context.db(), token)
    flash(
        _("Directive %(number)s entered; it now waits to be assigned.", number=data.number),
        "success",
    )
    return redirect(url_for("directives.detail", directive_id=directive_id))


def _render(
    form: EntryForm,
    token: str,
    draft_id: int | None,
    problems: dict[str, str] | None = None,
    status: int = 200,
    proposal: Proposal | None = None,
) -> tuple[str, int]:
    choose_units(form)
    problems = problems or {}
    show_problems(form, problems)
    form.draft_token.data, form.draft_id.data = token, str(draft_id or "")
    files = stashed(context.db(), context.my_id(), token) if token else []
    templates = list_templates(context.db(), context.my_id())
    page = render_template(
        "directives/new.html",
        form=form,
        problems=problems,
        files=files,
        draft_id=draft_id,
        proposal=proposal,
        templates=templates,
        today=date.today(),
    )
    return page, status


@contextmanager
def issue_date_required(missing: bool) -> Iterator[None]:
    """Report a missing issue date with the domain's other problems, all at once.

    The domain is handed NO_DATE, which it refuses as implausible; that is said as required.
    """
    try:
        yield
    except InvalidInput as exc:
        if missing:
            exc.field_messages["issued_on"] = Message("required")
        raise


def choose_units(form: EntryForm) -> None:
    """Offer the units a task can go to in every row."""
    choices = unit_choices(context.db(), context.my_id())
    for entry in form.tasks:
        entry.lead_units.choices = entry.coordinating_units.choices = choices


def show_problems(form: EntryForm, problems: dict[str, str]) -> None:
    """Put the domain's problems next to the fields they are about."""
    for name, text in problems.items():
        if name in form and hasattr(form[name], "errors"):
            errors = list(form[name].errors or [])
            form[name].errors = [*errors, text]


def _directive_values(data: DirectiveInput) -> dict[str, Any]:
    values: dict[str, Any] = {
        "number": data.number,
        "kind": data.kind,
        "issuer": data.issuer,
        "issued_on": data.issued_on.isoformat(),
        "title": data.title,
        "body": data.body,
    }
    for index, task in enumerate(data.tasks):
        prefix = f"tasks-{index}-"
        values[prefix + "content"] = task.content
        values[prefix + "lead_units"] = list(task.lead_units)
        values[prefix + "coordinating_units"] = list(task.coordinating_units)
        values[prefix + "due_on"] = task.due_on.isoformat() if task.due_on else ""
        values[prefix + "due_time"] = task.due_at.strftime("%H:%M") if task.due_at else ""
        values[prefix + "due_text"] = task.due_text
        values[prefix + "reporting"] = task.reporting
        until = task.reporting_until
        values[prefix + "reporting_until"] = until.isoformat() if until else ""
    return values


def _tz() -> ZoneInfo:
    return ZoneInfo(context.config().timezone)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
