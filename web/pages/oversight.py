"""Oversight pages: the dashboard, the lists behind its figures and their exports, the
province's report (Excel, Word, print view), đôn đốc (nudging a unit), opening a notification."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from web import context, i18n
from web.context import login_required
from web.forms import FlaskForm
from web.messages import problems_of, translate
from web.pages import oversight_args as args
from web.pages.directives import directive_filter
from web.safety import safe_next
from workflows import (
    DIRECTIVE_HEAD,
    MAX_EXPORT_ROWS,
    TASK_HEAD,
    InvalidInput,
    csv_text,
    dashboard,
    directive_values,
    list_directives,
    list_units,
    mark_notifications_read,
    notice_target,
    nudge_assignment,
    percent,
    report_data,
    report_document,
    report_workbook,
    sheet,
    task_list,
    task_values,
)

bp = Blueprint("oversight", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class NudgeForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the unit"), validators=[DataRequired(), Length(max=2000)]
    )
    back = HiddenField()


@bp.app_template_filter("rate")
def rate_filter(rate: Fraction | None) -> str:
    """A rate as a percentage with one decimal in the reader's language, "—" when undefined."""
    shown = percent(rate)
    return "—" if shown is None else format_decimal(shown, format="0.0") + "%"


@bp.app_template_filter("rate_change")
def rate_change(rates: tuple[Fraction, Fraction]) -> str:
    """The change between two rates in percentage points, signed."""
    now, before = (percent(r) or Decimal(0) for r in rates)
    points = format_decimal(abs(now - before), format="0.0")
    return str(_("%(sign)s%(points)s points", sign="+" if now >= before else "−", points=points))


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "PERIOD_LABELS": args.PERIOD_LABELS,
        "BASIS_LABELS": args.BASIS_LABELS,
        "CATEGORY_LABELS": args.CATEGORY_LABELS,
        "LIST_LABELS": args.LIST_LABELS,
        "qa": args.query_args,
    }


def _download(body: bytes | str, name: str, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return datetime.now(UTC).astimezone(context.db().settings.tz).strftime("%Y%m%d-%H%M")


@bp.get("/dashboard")
@login_required
def show_dashboard() -> str:
    wanted = args.asked()
    found = dashboard(context.db(), context.my_id(), wanted.query)
    chart = {
        "units": [row.name for row in found.units.rows],
        "codes": [row.key for row in found.units.rows],
        "series": {
            column: [row.grid.count(column) for row in found.units.rows]
            for column in ("completed_on_time", "completed_late", "open_in_term", "open_overdue")
        },
        "labels": {key: str(label) for key, label in args.CATEGORY_LABELS.items()},
        "months": [f"{p.month:%m/%Y}" for p in found.trend],
        "rates": [_number(p.grid.completion_rate) for p in found.trend],
        "on_time": [_number(p.grid.on_time_rate) for p in found.trend],
        "rate_label": str(_("Completion rate (%)")),
        "on_time_label": str(_("On-time rate (%)")),
    }
    return render_template(
        "oversight/dashboard.html",
        d=found,
        asked=wanted,
        chart=Markup(json.dumps(chart, ensure_ascii=True).replace("<", "\\u003c")),
        units=list_units(context.db(), context.my_id()),
        may_nudge=context.me().has("supervisor", "clerk"),
    )


def _number(rate: object) -> float | None:
    shown = percent(rate)  # type: ignore[arg-type]
    return None if shown is None else float(shown)


@bp.get("/tasks")
@login_required
def tasks() -> str:
    wanted = args.asked()
    flt = args.task_filter(wanted.query)
    page = request.args.get("page", 1, type=int) or 1
    try:
        found = task_list(context.db(), context.my_id(), flt, page=page, per_page=50)
    except InvalidInput:
        abort(404)
    extra = {
        "category": flt.category,
        "level": flt.level,
        "in_unit": flt.unit_code,
        "role": flt.role,
        "directive": flt.directive_id,
        "issuer": flt.issuer,
        "leader": flt.leader,
    }
    return render_template(
        "oversight/tasks.html",
        page=found,
        flt=flt,
        export_note=args.cut_note(MAX_EXPORT_ROWS, found.total),
        extra_fields={k: v for k, v in extra.items() if v is not None},
        asked=wanted,
        units=list_units(context.db(), context.my_id()),
        may_nudge=context.me().has("supervisor", "clerk"),
    )


@bp.get("/tasks.<any(xlsx, csv):kind>")
@login_required
def export_tasks(kind: str) -> Response:
    wanted = args.asked()
    flt = args.task_filter(wanted.query)
    try:
        found = task_list(context.db(), context.my_id(), flt, per_page=MAX_EXPORT_ROWS)
    except InvalidInput:
        abort(404)
    tz = context.db().settings.tz
    states = {key: str(label) for key, label in args.CATEGORY_LABELS.items()}
    rows = [task_values(line, tz, states) for line in found.lines]
    return _export(kind, "nhiem-vu", _("Tasks"), TASK_HEAD, rows, found.total)


@bp.get("/directives/export.<any(xlsx, csv):kind>")
@login_required
def export_directives(kind: str) -> Response:
    """The directive list with the list page's filters, every page of it (10,000 at most)."""
    flt = directive_filter()
    statuses = {key: str(label) for key, label in i18n.STATUS_LABELS.items()}
    rows: list[list[Any]] = []
    page = 1
    while len(rows) < args.MAX_DIRECTIVE_ROWS:
        found = list_directives(context.db(), context.my_id(), flt, page=page, per_page=100)
        rows += [directive_values(row, statuses) for row in found.rows]
        if page * found.per_page >= found.total:
            break
        page += 1
    rows = rows[: args.MAX_DIRECTIVE_ROWS]
    return _export(kind, "van-ban", _("Directives"), DIRECTIVE_HEAD, rows, found.total)


def _export(
    kind: str, stem: str, title: str, head: Any, rows: list[list[Any]], total: int
) -> Response:
    names = [(translate(name), width) for name, width in head]
    note = args.cut_note(len(rows), total)
    name = f"{stem}-{_stamp()}.{kind}"
    if kind == "csv":
        return _download(csv_text(names, rows, note), name, "text/csv; charset=utf-8")
    return _download(sheet(title, names, rows, note), name, XLSX)


@bp.get("/reports")
@login_required
def reports() -> str:
    wanted = args.asked(default_kind="quarter")
    return render_template(
        "oversight/reports.html",
        asked=wanted,
        units=[u for u in list_units(context.db(), context.my_id()) if u.parent_code],
    )


@bp.get("/reports/tasks.<any(xlsx, docx):kind>")
@login_required
def report_file(kind: str) -> Response:
    wanted = args.asked(default_kind="quarter")
    try:
        data = report_data(context.db(), context.my_id(), wanted.query)
    except InvalidInput:
        abort(404)
    tz = context.db().settings.tz
    name = f"bao-cao-nhiem-vu-{_stamp()}.{kind}"
    if kind == "docx":
        return _download(report_document(data, tz), name, DOCX)
    return _download(report_workbook(data, tz), name, XLSX)


@bp.get("/reports/print")
@login_required
def report_print() -> str:
    wanted = args.asked(default_kind="quarter")
    try:
        data = report_data(context.db(), context.my_id(), replace(wanted.query))
    except InvalidInput:
        abort(404)
    return render_template("oversight/print.html", r=data, asked=wanted)


@bp.route("/assignments/<int:assignment_id>/nudge", methods=["GET", "POST"])
@login_required
def nudge(assignment_id: int) -> Response | str | tuple[str, int]:
    if not context.me().has("supervisor", "clerk"):
        abort(403)
    form = NudgeForm(back=request.args.get("back", ""))
    problems: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            nudge_assignment(context.db(), context.my_id(), assignment_id, form.message.data or "")
        except InvalidInput as exc:
            problems = problems_of(exc)
        else:
            flash(_("The reminder was sent to the unit."), "success")
            return redirect(_back(form.back.data))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "oversight/nudge.html",
        form=form,
        assignment_id=assignment_id,
        problems=problems,
        back=_back(form.back.data),
    ), status


def _back(value: str | None) -> str:
    return safe_next(value) or url_for("oversight.show_dashboard")


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> Response:
    """Mark the notification read and go where its action is."""
    target = notice_target(context.db(), context.my_id(), notification_id)
    mark_notifications_read(context.db(), context.my_id(), [notification_id])
    if target.page == "work":
        return redirect(url_for("work.step", item_id=target.key))
    if target.page == "extension":
        return redirect(url_for("extensions.decide", request_id=int(target.key)))
    if target.page == "directive":
        anchor = f"a{target.assignment_id}" if target.assignment_id else None
        return redirect(url_for("directives.detail", directive_id=int(target.key), _anchor=anchor))
    return redirect(url_for("inbox.index"))
