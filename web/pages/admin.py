"""Administration pages: users, units, the calendar, the audit log (admin only; the domain
checks it again)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from web import auditlog, context
from web.context import login_required
from web.forms import CalendarDayForm, UnitForm, UserForm
from web.messages import problems_of
from workflows import (
    AUDIT_ACTIONS,
    InvalidInput,
    UserRow,
    add_unit,
    add_user,
    audit_entries,
    calendar_days,
    list_incidents,
    list_units,
    list_users,
    retry_incident_now,
    set_calendar_day,
    sign_out_everywhere,
    update_unit,
    update_user,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def only_admins() -> None:
    if not context.me().has("admin"):
        abort(403)


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice(u.code, f"{u.code} — {u.name}") for u in list_units(context.db())]


@bp.get("/users")
def users() -> str:
    rows = list_users(context.db(), context.my_id(), request.args.get("unit") or None)
    return render_template("admin/users.html", rows=rows, units=list_units(context.db()))


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int | None = None) -> Response | str | tuple[str, int]:
    existing = None
    if user_id is not None:
        existing = next(
            (r for r in list_users(context.db(), context.my_id()) if r.id == user_id), None
        )
        if existing is None:
            abort(404)
    form = UserForm(obj=None if request.method == "POST" else _user_data(existing))
    form.unit.choices = _unit_choices()
    problems: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            _save_user(form, user_id)
        except InvalidInput as exc:
            problems = problems_of(exc)
        else:
            flash(_("User saved."), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/user.html", form=form, existing=existing, problems=problems
    ), status


@bp.post("/users/<int:user_id>/sign-out")
def sign_out_user(user_id: int) -> Response:
    ended, revoked = sign_out_everywhere(context.db(), context.my_id(), user_id)
    flash(
        _(
            "Signed out everywhere: %(sessions)s sessions ended, %(tokens)s API tokens revoked.",
            sessions=ended,
            tokens=revoked,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=user_id))


def _aliases() -> list[str] | None:
    """The other names posted (one a line); None when the form did not carry them."""
    if "aliases" not in request.form:
        return None
    return request.form.get("aliases", "").splitlines()


def _chosen_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _user_data(row: UserRow | None) -> object | None:
    if row is None:
        return None
    data: object = type(
        "UserData",
        (),
        {
            "username": row.username,
            "full_name": row.full_name,
            "title": row.title,
            "unit": row.unit_code,
            "roles": list(row.roles),
            "active": row.active,
            "email": row.email,
            "language": row.language,
            "password": "",
        },
    )()
    return data


def _save_user(form: UserForm, user_id: int | None) -> None:
    roles = list(form.roles.data or [])
    if user_id is None:
        add_user(
            context.db(),
            context.my_id(),
            form.username.data or "",
            form.full_name.data or "",
            form.unit.data or "",
            roles,
            form.password.data or "",
            form.title.data or "",
            email=form.email.data or "",
        )
        return
    update_user(
        context.db(),
        context.my_id(),
        user_id,
        full_name=form.full_name.data or "",
        title=form.title.data or "",
        unit_code=form.unit.data or "",
        roles=roles,
        active=bool(form.active.data),
        # A field the page did not post keeps its value (not the form's default).
        email=form.email.data or "" if "email" in request.form else None,
        language=form.language.data if "language" in request.form else None,
    )


@bp.get("/units")
def units() -> str:
    return render_template("admin/units.html", rows=list_units(context.db()))


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int | None = None) -> Response | str | tuple[str, int]:
    rows = list_units(context.db())
    existing = next((r for r in rows if r.id == unit_id), None)
    if unit_id is not None and existing is None:
        abort(404)
    form = UnitForm(obj=None if request.method == "POST" else existing)
    if existing is not None:
        form.kind.validate_choice = False  # the kind is fixed once a unit exists
    form.parent.choices = [SelectChoice("", "—")] + [
        SelectChoice(r.code, f"{r.code} — {r.name}") for r in rows
    ]
    form.leader.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(u.id), f"{u.full_name} ({u.title})" if u.title else u.full_name)
        for u in list_users(context.db(), context.my_id())
        if "supervisor" in u.roles and u.active
    ]
    if existing is not None and request.method == "GET":
        form.parent.data = existing.parent_code or ""
        form.leader.data = str(existing.leader_id or "")
        form.aliases.data = "\n".join(existing.aliases)
    problems: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            if existing is None:
                add_unit(
                    context.db(),
                    context.my_id(),
                    (form.code.data or "").upper(),
                    form.name.data or "",
                    form.kind.data or "division",
                    form.parent.data or None,
                )
            else:
                update_unit(
                    context.db(),
                    context.my_id(),
                    existing.id,
                    name=form.name.data or "",
                    active=bool(form.active.data),
                    parent_code=form.parent.data or None,
                    leader_id=_chosen_id(form.leader.data),
                    any_officer_drafts=bool(form.any_officer_drafts.data),
                    aliases=_aliases(),
                )
        except InvalidInput as exc:
            problems = problems_of(exc)
        else:
            flash(_("Unit saved."), "success")
            return redirect(url_for("admin.units"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/unit.html", form=form, existing=existing, problems=problems
    ), status


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> Response | str | tuple[str, int]:
    form = CalendarDayForm()
    if form.validate_on_submit() and form.day.data is not None:
        working = {"off": False, "work": True}.get(form.kind.data or "")
        set_calendar_day(
            context.db(), context.my_id(), form.day.data, working, form.note.data or ""
        )
        flash(_("Calendar saved."), "success")
        return redirect(url_for("admin.calendar"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/calendar.html", form=form, rows=calendar_days(context.db())
    ), status


@bp.get("/audit")
def audit_log() -> str:
    """The audit log of administrative changes, newest first, by action and target."""
    action = request.args.get("action") or ""
    action = action if action in AUDIT_ACTIONS else ""
    target = request.args.get("target", "").strip()[:100]
    result = audit_entries(
        context.db(),
        context.my_id(),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=50,
        action=action or None,
        target=target or None,
    )
    return render_template(
        "admin/audit.html",
        page=result,
        action=action,
        target=target,
        actions=AUDIT_ACTIONS,
        **auditlog.template_context(),
    )


@bp.get("/incidents")
def incidents() -> str:
    """Directives whose timers failed to fire: open ones first, each with its error."""
    return render_template(
        "admin/incidents.html", rows=list_incidents(context.db(), context.my_id())
    )


@bp.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> Response:
    """Try an incident's timers again at the scheduler's next turn."""
    retry_incident_now(context.db(), context.my_id(), incident_id)
    flash(_("The timers will be tried again within a minute."), "success")
    return redirect(url_for("admin.incidents"))
