"""The API's one blueprint, and helpers its views share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

import flask
from flask import current_app
from werkzeug.wrappers import Response

from web.api import auth, errors
from web.api.schemas import ErrorSchema

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from marshmallow import Schema

    SchemaArg = type[Schema] | Schema | None

    class Blueprint(flask.Blueprint):
        """flask-smorest's blueprint as our views use it (flask-smorest ships no type hints)."""

        def __init__(self, *args: Any, description: str = "", **kwargs: Any) -> None: ...
        def route(
            self, rule: str, *, tags: list[str] | None = None, **options: Any
        ) -> Callable[[F], F]: ...
        def arguments(
            self,
            schema: SchemaArg,
            *,
            location: str = "json",
            required: bool = True,
            **kwargs: Any,
        ) -> Callable[[F], F]: ...
        def response(
            self,
            status_code: int,
            schema: SchemaArg = None,
            *,
            headers: Mapping[str, Any] | None = None,
            **kwargs: Any,
        ) -> Callable[[F], F]: ...
        def alt_response(
            self,
            status_code: int,
            response: str | None = None,
            *,
            schema: SchemaArg = None,
            description: str | None = None,
            headers: Mapping[str, Any] | None = None,
            **kwargs: Any,
        ) -> Callable[[F], F]: ...

else:
    from flask_smorest import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Đôn đốc JSON API, version 1")
bp.before_request(auth.authenticate)
errors.register(bp)

UNAUTHORIZED_HEADERS = {
    "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}},
}


def answers(*statuses: int) -> Callable[[F], F]:
    """Document the error responses an operation may give besides 401 and 500."""

    def decorate(view: F) -> F:
        for status in (*statuses, 401, 500):
            if status == 401:
                view = bp.alt_response(
                    401,
                    schema=ErrorSchema,
                    description="Missing or invalid credentials",
                    headers=UNAUTHORIZED_HEADERS,
                )(view)
            else:
                view = bp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate


def no_content() -> Response:
    """An empty 204 answer."""
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response
