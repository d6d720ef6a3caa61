"""Who calls the API: a bearer token, or the session cookie plus an X-CSRFToken header."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from werkzeug.wrappers import Response

from web import context
from web.api.errors import error_response
from web.context import SignedIn
from workflows import UserInfo, user_for_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY_BYTES = 2 * 1024 * 1024
CSRF_HEADER = "X-CSRFToken"


def authenticate() -> Response | None:
    """Find the caller before any API view runs; answer 401 or 400 (CSRF) when it fails."""
    request.max_content_length = MAX_BODY_BYTES
    if request.method == "OPTIONS":
        return None
    if request.is_json and request.content_length:
        try:  # parse once with the app's bounded parser: too deep a body is a 400, not a 500
            current_app.json.loads(request.get_data(cache=True))
        except ValueError as exc:
            return error_response(400, "invalid_json", f"The body is not valid JSON: {exc}")
    header = request.headers.get("Authorization")
    if header is not None:
        return _by_token(header)
    user = current_user._get_current_object()
    if not isinstance(user, SignedIn):
        return _unauthorized("unauthorized", "Sign in or send Authorization: Bearer <token>.")
    g.api_user, g.api_by_session = user.info, True
    if request.method not in SAFE_METHODS:
        return _check_csrf()
    return None


def _by_token(header: str) -> Response | None:
    scheme, _, token = header.strip().partition(" ")
    info = user_for_token(context.db(), token.strip()) if scheme.lower() == "bearer" else None
    if info is None:
        message = "The bearer token is not valid."
        return _unauthorized("invalid_token", message, 'error="invalid_token"')
    g.api_user, g.api_by_session = info, False
    return None


def _check_csrf() -> Response | None:
    try:
        validate_csrf(request.headers.get(CSRF_HEADER))
    except ValidationError as exc:
        return error_response(400, "csrf_failed", f"{exc} Send it in the {CSRF_HEADER} header.")
    return None


def _unauthorized(code: str, message: str, challenge: str = "") -> Response:
    value = f"Bearer {challenge}".strip()
    return error_response(401, code, message, headers={"WWW-Authenticate": value})


def caller() -> UserInfo:
    """The authenticated caller of this request."""
    info = g.api_user
    assert isinstance(info, UserInfo)
    return info


def caller_id() -> int:
    """The authenticated caller's user id."""
    return caller().id


def by_session() -> bool:
    """Tell whether the caller came in with the session cookie rather than a token."""
    return bool(g.get("api_by_session", False))
