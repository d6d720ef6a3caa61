"""Every API error is JSON `{"error": {"code", "message", "details"}}` with the right status."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, default_exceptions
from werkzeug.wrappers import Response

from web.statuses import answer_for
from workflows import DomainError, InvalidInput, RoleRequired, StorageUnavailable, TaskNoLongerReady

log = logging.getLogger(__name__)

API_PATH_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 30
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the JSON answer of an error."""
    response = jsonify(error={"code": code, "message": message, "details": dict(details or {})})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def field_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into {"tasks.0.content": ["..."]}."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(field_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, list):
        return field_messages(dict(enumerate(messages)), prefix)
    return {prefix or "_schema": [str(messages)]}


def domain_error(exc: DomainError) -> Response:
    """Answer a domain error with its status, code and details."""
    status = answer_for(exc).status
    if isinstance(exc, StorageUnavailable):  # logged where it was classified
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return error_response(status, exc.code, str(exc), {"reason": exc.reason}, headers)
    if status >= 500:
        log.error("the process failed", exc_info=exc)
    return error_response(status, exc.code, str(exc), _domain_details(exc))


def _domain_details(exc: DomainError) -> dict[str, Any]:
    if isinstance(exc, TaskNoLongerReady):
        done_at = exc.done_at.isoformat() if exc.done_at else None
        return {"done_by": exc.done_by, "done_at": done_at}
    if isinstance(exc, InvalidInput):
        return {"fields": {name: [problem] for name, problem in exc.fields.items()}}
    if isinstance(exc, RoleRequired):
        return {"roles": list(exc.roles)}
    return {}


def http_error(exc: HTTPException) -> Response:
    """Answer an HTTP error (webargs' validation errors included) as JSON."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    if "messages" in data:
        return _validation_error(status, data["messages"])
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type",)}
    details = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        details["allowed"] = sorted(exc.valid_methods)
    code = HTTP_CODES.get(status, exc.name.lower().replace(" ", "_"))
    return error_response(status, code, exc.description or exc.name, details, headers)


def _validation_error(status: int, messages: Mapping[str, Any]) -> Response:
    location = next(iter(messages), "json")
    if status == 400 and messages.get("json") == ["Invalid JSON body."]:
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    code = "invalid_query" if status == 400 else "validation_error"
    message = f"Some {'query parameters' if location == 'query' else 'fields'} are not valid."
    fields = field_messages(messages.get(location, messages))
    return error_response(status, code, message, {"fields": fields})


def unexpected_error(exc: Exception) -> Response:
    """Answer anything unexpected with a plain 500, and log it."""
    log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", HTTPStatus.INTERNAL_SERVER_ERROR.description)


def register(bp: Blueprint) -> None:
    """Install the API's error handlers on its blueprint."""
    bp.register_error_handler(DomainError, domain_error)
    bp.register_error_handler(HTTPException, http_error)
    # Code-specific handlers outrank class ones, so claim every code for the API's own routes.
    for code in default_exceptions:
        bp.register_error_handler(code, http_error)
    bp.register_error_handler(Exception, unexpected_error)


def routing_error() -> Response | None:
    """Answer unknown routes and methods under /api/ with JSON (they reach no blueprint)."""
    exc = request.routing_exception
    if isinstance(exc, NotFound | MethodNotAllowed) and request.path.startswith(API_PATH_PREFIX):
        return http_error(exc)
    return None
