"""Sign-in and sign-out (Flask-Login); passwords are checked by the domain (argon2id)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from web import context
from web.context import SignedIn
from web.extensions import limiter
from web.forms import LoginForm
from web.safety import safe_next
from workflows import org
from workflows.errors import DomainError

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> SignedIn | None:
    """Flask-Login's loader: the active user with this id, else nobody."""
    if not user_id.isdigit():
        return None
    db = context.db()
    try:
        with db.reading() as s:
            return SignedIn(org.user_info(org.load_actor(s, int(user_id))))
    except DomainError:
        return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        with context.db().reading() as s:
            info = org.authenticate(s, form.username.data or "", form.password.data or "")
        if info is not None:
            session.clear()
            login_user(SignedIn(info))
            session["language"] = info.language
            return redirect(safe_next(form.next.data) or url_for("inbox.index"))
        flash(_("Wrong username or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
