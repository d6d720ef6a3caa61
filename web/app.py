"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from web import entry_labels, filters, guards, i18n
from web.auth import bp as auth_bp
from web.auth import load_user
from web.config import Config, load_config
from web.extensions import babel, csrf, login_manager
from web.pages import (
    admin,
    corrections,
    delegations,
    directives,
    errors,
    extensions,
    files,
    forms,
    inbox,
    models,
    notices,
    oversight,
    work,
)
from workflows import Database, Settings, check_health, unread_notifications

VENDOR = Path(__file__).resolve().parent / "node_modules"
DIAGRAM_PATHS = ("/admin/models",)
MAX_DIAGRAM_REQUEST = 6 * 1024 * 1024  # the engine refuses diagrams over 5 MB
VENDOR_FILES = {
    "bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap-icons.min.css": "bootstrap-icons/font/bootstrap-icons.min.css",
    "fonts/bootstrap-icons.woff2": "bootstrap-icons/font/fonts/bootstrap-icons.woff2",
    "fonts/bootstrap-icons.woff": "bootstrap-icons/font/fonts/bootstrap-icons.woff",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
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
    # Escape in every template, whatever its file name: mails and partials carry user text too.
    app.jinja_options = {**app.jinja_options, "autoescape": True}
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=(config.max_upload_mb * 10 + 1) * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=config.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
    )
    app.extensions["dondoc.config"] = config
    if config.trusted_proxies:
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.extensions["dondoc.db"] = Database(config.database_url, _settings(config))
    guards.install(app)
    _init_extensions(app)
    _register(app)
    app.context_processor(lambda: {"config_max_mb": config.max_upload_mb})
    app.context_processor(_bell)
    app.after_request(_add_security_headers)
    return app


def _settings(config: Config) -> Settings:
    base = config.domain_settings()
    upload_dir = config.upload_dir or config.instance_dir / "uploads"
    return Settings(
        timezone=base.timezone,
        due_soon_days=base.due_soon_days,
        reminder_days=base.reminder_days,
        upload_dir=upload_dir,
        max_upload_bytes=config.max_upload_mb * 1024 * 1024,
        mail_enabled=bool(config.smtp_url),
        late_extension_requests=config.late_extensions,
    )


def _limit_diagram_bodies() -> None:
    """Diagrams are at most 5 MB: refuse larger bodies before anything reads them (413)."""
    if request.path.startswith(DIAGRAM_PATHS):
        request.max_content_length = MAX_DIAGRAM_REQUEST


def _init_extensions(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    app.before_request(_limit_diagram_bodies)  # before CSRF, which reads the body
    app.before_request(guards.refuse_nul_characters)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    filters.register(app)
    entry_labels.register(app)


def _register(app: Flask) -> None:
    for blueprint in (
        auth_bp,
        inbox.bp,
        directives.bp,
        corrections.bp,
        work.bp,
        files.bp,
        admin.bp,
        i18n.bp,
        notices.bp,
        extensions.bp,
        delegations.bp,
        forms.bp,
        models.bp,
        oversight.bp,
    ):
        app.register_blueprint(blueprint)
    errors.register(app)
    _register_api(app)

    @app.get("/vendor/<path:name>")
    def vendor(name: str) -> Response:
        target = VENDOR_FILES.get(name)
        if target is None:
            abort(404)
        return send_from_directory(VENDOR, target, max_age=86400)

    @app.get("/healthz")
    def health() -> tuple[dict[str, object], int, dict[str, str]]:
        from web.scheduler import LEASE

        report = check_health(database(app), LEASE)
        return report.as_json(), 503 if report.failing else 200, {"Cache-Control": "no-store"}


def _register_api(app: Flask) -> None:
    try:
        from web.api import init_api
    except ImportError:  # the JSON API lands in its own change
        return
    init_api(app)


def _bell() -> dict[str, int]:
    from flask_login import current_user

    from web import context

    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_notifications(context.db(), context.my_id())}


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
