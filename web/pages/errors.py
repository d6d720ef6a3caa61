"""Error pages: domain errors and HTTP errors become a clear page (JSON under /api)."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.extensions import login_manager
from web.messages import translate
from web.statuses import answer_for
from workflows import DomainError, StorageUnavailable

log = logging.getLogger(__name__)


def _json(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message, "details": {}}), status


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def _before_page(exc: DomainError, status: int) -> None:
    if isinstance(exc, StorageUnavailable):  # logged where it was classified
        if "_login_user" not in g:
            # Loading the signed-in user is what failed: show the page as to a visitor, or
            # rendering it would ask the database again (Flask-Login keeps the user in g).
            g._login_user = login_manager.anonymous_user()
    elif status >= 500:
        log.exception("domain failure", exc_info=exc)


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> tuple[str | Response, int]:
        answer = answer_for(exc)
        _before_page(exc, answer.status)
        if request.path.startswith("/api/"):
            return _json(exc.code, str(exc), answer.status)
        message = _("There is no such page, or it is not addressed to you.")
        if answer.status != 404:
            message = translate(exc.message)
        return _page(answer.status, str(answer.title), message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str | Response, int]:
        if request.path.startswith("/api/"):
            return _json("csrf_failed", str(exc.description), 400)
        message = _("The form expired or was sent from elsewhere. Go back, reload and try again.")
        return _page(400, _("The form could not be accepted"), message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str | Response, int] | HTTPException:
        status = exc.code or 500
        if request.path.startswith("/api/"):
            return _json(exc.name.lower().replace(" ", "_"), str(exc.description), status)
        titles = {
            400: _("Bad request"),
            403: _("Not allowed"),
            404: _("Not found"),
            405: _("Not allowed"),
            413: _("Too large"),
            429: _("Too many attempts"),
        }
        messages = {
            400: _("The request could not be understood."),
            403: _("You may not open this page."),
            404: _("There is no such page, or it is not addressed to you."),
            405: _("This page cannot be used that way."),
            413: _("The upload is too large."),
            429: _("Too many attempts. Wait a minute and try again."),
        }
        if status >= 500:
            return _page(
                status,
                _("Something went wrong"),
                _("The error was recorded. Please try again in a moment."),
            )
        message = messages.get(status, _("Error"))
        if exc.description != type(exc).description:  # a view said exactly what is wrong
            message = str(exc.description)
        return _page(status, titles.get(status, _("Error")), message)
