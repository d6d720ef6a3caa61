"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template
from werkzeug.wrappers import Response

from web.config import Config, load_config
from workflows.db import Database
from workflows.overview import overview

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Flask:
    """Build the application; nothing is created at import time."""
    config = load_config(environ, overrides)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax"
    )
    app.extensions["dondoc.config"] = config
    app.extensions["dondoc.db"] = Database(config.database_url, config.domain_settings())
    _register_routes(app)
    app.after_request(_add_security_headers)
    return app


def database(app: Flask) -> Database:
    """Return the application's database."""
    db = app.extensions["dondoc.db"]
    assert isinstance(db, Database)
    return db


def app_config(app: Flask) -> Config:
    """Return the application's configuration."""
    config = app.extensions["dondoc.config"]
    assert isinstance(config, Config)
    return config


def _add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _register_routes(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("index.html", figures=overview(database(app)))

    @app.get("/healthz")
    def health() -> Response:
        return jsonify(status="ok")
