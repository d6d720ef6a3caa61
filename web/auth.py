"""Sign-in and sign-out (Flask-Login) over server-side sessions; the domain checks passwords."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from web import context
from web.context import SignedIn, login_required
from web.forms import LoginForm
from web.messages import translate
from web.safety import safe_next
from workflows import (
    Attempt,
    SignInThrottled,
    end_session,
    session_user,
    sign_in,
    sign_out_everywhere,
    start_session,
)

bp = Blueprint("auth", __name__)
SESSION_KEY = "sid"


def load_user(user_id: str) -> SignedIn | None:
    """Flask-Login's loader: the user of a live server-side session, else nobody."""
    info = session_user(context.db(), str(session.get(SESSION_KEY, "")))
    if info is None or str(info.id) != user_id:
        return None
    return SignedIn(info)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    attempt = Attempt(form.username.data or "", form.password.data or "", request.remote_addr or "")
    try:
        info = sign_in(context.db(), attempt, throttle=context.config().rate_limits)
    except SignInThrottled as exc:
        flash(translate(exc.message), "danger")
        page = render_template("auth/login.html", form=form)
        return Response(page, 429, {"Retry-After": str(exc.retry_after_seconds)})
    if info is None:
        flash(_("Wrong username or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    session.clear()
    session[SESSION_KEY] = start_session(
        context.db(),
        info.id,
        address=request.remote_addr or "",
        user_agent=request.user_agent.string,
    )
    login_user(SignedIn(info))
    session["language"] = info.language
    return redirect(safe_next(form.next.data) or url_for("inbox.home"))


@bp.post("/logout")
@login_required
def logout() -> Response:
    end_session(context.db(), str(session.get(SESSION_KEY, "")))
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere() -> Response:
    ended, revoked = sign_out_everywhere(context.db(), context.my_id(), context.my_id())
    logout_user()
    session.clear()
    flash(
        _(
            "You have signed out everywhere: %(sessions)s sessions ended, %(tokens)s API tokens "
            "revoked.",
            sessions=ended,
            tokens=revoked,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))
