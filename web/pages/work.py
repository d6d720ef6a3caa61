"""Step pages: assign, execute, report, sign off, accept or return, contribute, acknowledge,
hand over. Each shows what the person needs to decide: the files of the report in question
(with previews), the contributions, the previous round of a redo, the leader's instructions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

import workflows
from web import context
from web.context import login_required
from web.forms import (
    AssignForm,
    DecisionForm,
    ExtensionRequestForm,
    FlaskForm,
    HandOverForm,
    NoteForm,
    ReportForm,
    SignOffForm,
    options,
)
from web.messages import problems_of, translate
from web.pages.formdata import task_inputs, unit_choices, uploads_from
from web.safety import safe_next
from workflows import (
    BrokenForm,
    FormView,
    InvalidInput,
    Submission,
    TaskNoLongerReady,
    UserRow,
    WorkItemPage,
    complete_step,
    extension_requests,
    get_form,
    unit_members,
    work_item_page,
)

bp = Blueprint("work", __name__)

FORMS: dict[str, type[FlaskForm]] = {
    "assign": AssignForm,
    "execute": NoteForm,
    "report": ReportForm,
    "contribute": ReportForm,
    "sign_off": SignOffForm,
    "accept": DecisionForm,
    "acknowledge": DecisionForm,
}
TEMPLATES = {"contribute": "report", "acknowledge": "accept"}  # same page, other wording
DONE_MESSAGES = {
    "assign": _l("Tasks assigned to the units."),
    "execute": _l("Work started."),
    "report": _l("Report submitted for approval."),
    "contribute": _l("Contribution sent to the lead unit."),
    "sign_off": _l("Decision recorded."),
    "accept": _l("Decision recorded."),
    "acknowledge": _l("Decision recorded."),
}


def _build_form(page: WorkItemPage) -> FlaskForm:
    form_class = FORMS.get(page.step)
    if form_class is None:
        abort(404)
    if page.step == "acknowledge":
        decision = DecisionForm()
        decision.decision.choices = options(
            [("accept", _l("Acknowledge")), ("return", _l("Send back"))]
        )
        return decision
    if page.step in ("report", "contribute"):
        return _report_form(page)
    if page.step == "sign_off":
        pending = page.pending
        text = pending.text if pending is not None else ""
        return SignOffForm(data=None if request.method == "POST" else {"text": text})
    if page.step != "assign":
        return form_class()
    assign = AssignForm(data=None if request.method == "POST" else _assign_data(page))
    choices = unit_choices(context.db(), context.my_id())
    for entry in assign.tasks:
        entry.lead_units.choices = entry.coordinating_units.choices = choices
    return assign


def _report_form(page: WorkItemPage) -> FlaskForm:
    """A redo starts from the previous round's text, its files kept unless unticked."""
    previous = page.previous
    data = None
    if request.method != "POST" and previous is not None:
        data = {"text": previous.text, "keep": [str(f.id) for f in previous.files]}
    form = ReportForm(data=data)
    files = previous.files if previous is not None else ()
    form.keep.choices = options([(str(f.id), f.filename) for f in files])
    return form


def _assign_data(page: WorkItemPage) -> dict[str, Any]:
    return {
        "instruction": page.directive.instruction,
        "tasks": [
            {
                "content": task.content,
                "due_on": task.due_on,
                "reporting": task.reporting,
                "reporting_until": task.reporting_until,
                "lead_units": [a.unit_code for a in task.assignments if a.role == "lead"],
                "coordinating_units": [
                    a.unit_code for a in task.assignments if a.role == "coordinating"
                ],
                "instruction": task.instruction,
            }
            for task in page.directive.tasks
        ],
    }


def _apply(step: str, item_id: str, form: Any) -> None:
    complete_step(context.db(), context.my_id(), item_id, _submission(step, form))


def _submission(step: str, form: Any) -> Submission:
    """What the step's form carries, as the domain's one step use case takes it."""

    def text(name: str) -> str:
        field = getattr(form, name, None)
        return (field.data or "") if field is not None else ""

    decision = getattr(form, "decision", None)
    attachments = getattr(form, "attachments", None)
    keep = getattr(form, "keep", None)
    return Submission(
        step=step,
        note=text("note"),
        text=text("text"),
        decision=decision.data if decision is not None else None,
        comment=text("comment"),
        tasks=tuple(task_inputs(form.tasks)) if step == "assign" else None,
        uploads=tuple(uploads_from(request.files.getlist(attachments.name)))
        if attachments is not None
        else (),
        keep=tuple(int(v) for v in (keep.data or []) if str(v).isdigit()) if keep else (),
        instruction=text("instruction"),
    )


def _stale(exc: TaskNoLongerReady, step: str | None) -> tuple[str, int]:
    typed = {key: value for key, value in request.form.items() if key != "csrf_token"}
    return render_template("work/stale.html", exc=exc, typed=typed, step=step), 409


def _unconfirmed(page: WorkItemPage, form: Any) -> dict[str, str]:
    """Reporting before every coordinating unit has contributed needs a tick (a confirmation)."""
    if page.step == "report" and page.missing and not form.confirm.data:
        return {"confirm": _("tick the box to report before their contributions")}
    return {}


@bp.route("/work/<item_id>", methods=["GET", "POST"])
@login_required
def step(item_id: str) -> Response | str | tuple[str, int]:
    try:
        page = work_item_page(context.db(), context.my_id(), item_id)
    except TaskNoLongerReady as exc:
        return _stale(exc, request.form.get("step"))
    if page.step not in FORMS:
        return _form_step(page, item_id)
    form = _build_form(page)
    problems: dict[str, str] = {}
    if request.method == "POST":
        if not page.may_act:
            abort(403)
        if form.validate_on_submit():
            problems = _unconfirmed(page, form)
        if form.validate_on_submit() and not problems:
            try:
                _apply(page.step, item_id, form)
            except InvalidInput as exc:
                problems = problems_of(exc)
            except TaskNoLongerReady as exc:
                return _stale(exc, page.step)
            else:
                flash(str(DONE_MESSAGES[page.step]), "success")
                return redirect(url_for("inbox.index"))
    status = 422 if request.method == "POST" else 200
    return render_step(page, form, problems), status


def render_step(
    page: WorkItemPage,
    form: Any,
    problems: dict[str, str],
    extension: Any | None = None,
    extension_problems: dict[str, str] | None = None,
) -> str:
    """The page of a built-in step (also shown again when an extension request is refused)."""
    members = _members(page)
    may_extend = (
        page.assignment is not None
        and page.assignment.due_at is not None
        and page.assignment.unit_code == context.me().info.unit_code
        and context.me().has("unit_head")
        and page.step in ("execute", "report", "contribute")
    )
    asked = [
        r
        for r in extension_requests(context.db(), context.my_id(), directive_id=page.directive.id)
        if page.assignment is not None and r.assignment_id == page.assignment.id
    ]
    return render_template(
        f"work/{TEMPLATES.get(page.step, page.step)}.html",
        asked=asked,
        extension=(extension or ExtensionRequestForm()) if may_extend else None,
        extension_problems=extension_problems or {},
        page=page,
        form=form,
        problems=problems,
        members=members,
        handover=HandOverForm(),
    )


def step_page_again(item_id: str, extension: Any, problems: dict[str, str]) -> tuple[str, int]:
    """Show a step's page again with the refused extension request and why (422)."""
    page = work_item_page(context.db(), context.my_id(), item_id)
    if page.step not in FORMS:
        abort(404)
    return render_step(page, _build_form(page), {}, extension, problems), 422


def _form_step(page: WorkItemPage, item_id: str) -> Response | tuple[str, int]:
    """A generic step: its JSON Schema form rendered, posted values checked by the domain."""
    spec = get_form(context.db(), page.step)
    form = FlaskForm()  # no fields: CSRF only; the domain checks the values against the schema
    problems: dict[str, str] = {}
    broken = spec.problem is not None  # stored before today's checks: wait for an admin's fix
    if request.method == "POST" and not page.may_act:
        abort(403)
    if request.method == "POST" and not broken and form.validate_on_submit():
        posted = {f.name: request.form.getlist(f.name) for f in spec.fields}
        try:
            complete_step(
                context.db(), context.my_id(), item_id, Submission(step=page.step, values=posted)
            )
        except InvalidInput as exc:
            problems = problems_of(exc)
        except BrokenForm:
            broken = True
        except TaskNoLongerReady as exc:
            return _stale(exc, page.step)
        else:
            flash(_("%(step)s: done.", step=page.title), "success")
            return redirect(url_for("inbox.index"))
    if broken:
        problems = {"form": translate(BrokenForm(spec.key).message)}
    return render_template(
        "work/form.html",
        asked=[],
        extension=None,
        page=page,
        spec=spec,
        broken=broken,
        form=form,
        problems={_label(spec, name): text for name, text in problems.items()},
        field_problems=problems,
        values=request.form if request.method == "POST" else {},
        members=_members(page),
        handover=HandOverForm(),
    ), 409 if broken else 422 if request.method == "POST" else 200


def _label(spec: FormView, name: str) -> str:
    title = spec.title_of(name)
    return _("The form as a whole") if title == "form" and name == "form" else title


def _members(page: WorkItemPage) -> list[UserRow]:
    me = context.me()
    mine = page.assignment is not None and page.assignment.unit_code == me.info.unit_code
    if not (mine and me.has("unit_head")):
        return []
    return unit_members(context.db(), me.info.id)


@bp.post("/assignments/<int:assignment_id>/hand-over")
@login_required
def hand_over(assignment_id: int) -> Response:
    form = HandOverForm()
    back = safe_next(request.form.get("back")) or url_for("inbox.index")
    if form.validate_on_submit():
        value = form.assignee.data or ""
        assignee = int(value) if value.isdigit() else None
        workflows.hand_over(context.db(), context.my_id(), assignment_id, assignee)
        flash(_("Assignment handed over."), "success")
    return redirect(back)
