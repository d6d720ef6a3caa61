"""The JSON API under /api/v1, described by OpenAPI at /api/openapi.json (flask-smorest)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from web.api import (  # noqa: F401 - their routes join the blueprint
    directives,
    me,
    proposals,
    statistics,
    work,
)
from web.api.blueprint import bp
from web.api.errors import routing_error
from web.api.schemas import ErrorSchema
from web.extensions import csrf

__all__ = ["init_api"]

SETTINGS = {
    "API_TITLE": "Đôn đốc API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Directives, their tasks and the steps of their process. Authenticate with "
                "`Authorization: Bearer <token>` (`dondoc token create USERNAME`) or the session "
                "cookie plus an `X-CSRFToken` header on unsafe methods (token from `GET /me`). "
                'Errors are `{"error": {"code", "message", "details"}}`.'
            )
        },
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    },
}
TAGS = {
    "directives": "Directives: enter, list, read, cancel, history",
    "work": "The caller's inbox and the steps they complete",
    "me": "The caller",
    "statistics": "Where every directive stands: the counting grid and the report",
}


class DondocApi(Api):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest bound to the API blueprint only, with our error body."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Leave the app's handlers alone: the API blueprint answers its own errors."""


def init_api(app: Flask) -> None:
    """Register the API blueprint, its OpenAPI document and its error answers."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    api = DondocApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    cookie = app.config.get("SESSION_COOKIE_NAME", "session")
    api.spec.components.security_scheme(
        "sessionCookie", {"type": "apiKey", "in": "cookie", "name": cookie}
    )
    for name, description in TAGS.items():
        api.spec.tag({"name": name, "description": description})
    api.register_blueprint(bp)
    csrf.exempt(bp)
    app.before_request(routing_error)
    app.extensions["dondoc.api"] = api
