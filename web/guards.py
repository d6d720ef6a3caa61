"""Bad input that must never reach a view: huge ids, deeply nested JSON, NUL characters."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest id a database column holds here
MAX_JSON_DEPTH = 32


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids beyond any stored id simply match no page (404)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """Parse request bodies refusing nesting deeper than any of our documents needs (400)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; too deep a document is a ValueError, which Flask answers with 400."""
        try:
            value = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("the JSON document is nested too deeply") from exc
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON document is nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def _depth(value: Any) -> int:
    """Return how deeply lists and objects nest in a parsed document (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def refuse_nul_characters() -> None:
    """No form field, query value or file name may carry a NUL character (400).

    The JSON API checks its own bodies (it takes no forms), and reading a form here would
    open the body before the API sets its smaller size limit.
    """
    if request.path.startswith("/api/"):
        return
    values = [*request.args.values(), *request.form.values()]
    values += [upload.filename or "" for upload in request.files.values()]
    if any("\x00" in value for value in values):
        abort(400, _("The form holds a character that cannot be stored (NUL). Remove it."))


def install(app: Flask) -> None:
    """Install the id converter and the JSON parser before any route is added."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
