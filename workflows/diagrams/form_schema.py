"""JSON Schema forms of generic steps: which schemas we accept, how fields render, posted values.

Pure rules, no database. A form is a Draft 2020-12 schema of `"type": "object"` whose
properties are flat fields the web page can render:

| property                                        | widget    |
|-------------------------------------------------|-----------|
| string with `enum`                              | select    |
| string with `format: "date"`                    | date      |
| string with `"x-multiline": true` or maxLength > 200 | textarea |
| other string                                    | text      |
| integer / number (`minimum`, `maximum`)         | integer / number |
| boolean                                         | checkbox  |
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from workflows.diagrams.form_limits import MAX_DEPTH, pointed, schema_problem
from workflows.diagrams.form_patterns import FORMAT_CHECKER, TooSlow, form_errors
from workflows.errors import InvalidInput
from workflows.messages import N_, Message

BUILTIN_FORMS = frozenset(
    {"assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge"}
)
FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
RESERVED_KEYS = frozenset({"new"})  # /admin/forms/new is the editor of a new form
RESERVED_FIELDS = frozenset({"csrf_token", "step"})  # names the step page posts itself
MAX_SCHEMA_BYTES = 64 * 1024
MAX_FIELDS = 50
MAX_TEXT_LENGTH = 20_000
TEXTAREA_FROM = 200
TYPES = ("string", "integer", "number", "boolean")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
TRUE_WORDS = frozenset({"on", "true", "1", "yes", "y"})


@dataclass(frozen=True)
class FormField:
    """One field of a form as the page renders it."""

    name: str
    title: str
    description: str
    widget: str  # text, textarea, select, date, integer, number, checkbox
    required: bool
    options: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None


def parse_schema(text: str) -> dict[str, Any]:
    """Parse and check a form's JSON Schema text; raise InvalidInput saying what is wrong."""
    if len(text.encode("utf-8")) > MAX_SCHEMA_BYTES:
        raise _bad(N_("the schema is larger than %(count)s kB", count=MAX_SCHEMA_BYTES // 1024))
    try:
        schema = json.loads(text)
    except RecursionError:
        raise _bad(
            N_("the schema is nested more than %(count)s levels deep", count=MAX_DEPTH)
        ) from None
    except json.JSONDecodeError as exc:
        raise _bad(
            N_(
                "the JSON is not valid at line %(line)s, column %(column)s: %(error)s",
                line=exc.lineno,
                column=exc.colno,
                error=exc.msg,
            )
        ) from exc
    check_schema(schema)
    return dict(schema)


def check_schema(schema: Any) -> None:
    """Raise InvalidInput unless the schema is a form we can render and validate."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise _bad(N_('the schema must be an object schema: "type": "object"'))
    problem = schema_problem(schema)  # first: the checks below recurse along the schema
    if problem is not None:
        raise _bad(problem)
    _check_json_schema(schema)
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        raise _bad(N_('the schema needs "properties": the fields of the form'))
    if len(properties) > MAX_FIELDS:
        raise _bad(N_("a form has at most %(count)s fields", count=MAX_FIELDS))
    for name, prop in properties.items():
        problem = _field_problem(schema, name, prop)
        if problem is not None:
            raise _bad(problem)
    for name in schema.get("required", ()):
        if name not in properties:
            raise _bad(N_("%(name)s is required but is not a field of the form", name=name))


def _check_json_schema(schema: dict[str, Any]) -> None:
    """Draft 2020-12 and valid against its meta-schema (patterns checked with RE2)."""
    try:
        Draft202012Validator.check_schema(schema, format_checker=FORMAT_CHECKER)
    except SchemaError as exc:
        raise _bad(
            N_(
                "the schema is not valid JSON Schema at %(where)s: %(error)s",
                where=exc.json_path.removeprefix("$") or "/",
                error=exc.message,
            )
        ) from exc
    if str(schema.get("$schema", SCHEMA_URI)).rstrip("#") != SCHEMA_URI:
        raise _bad(N_("the schema must use JSON Schema draft 2020-12"))


def form_fields(schema: Mapping[str, Any]) -> tuple[FormField, ...]:
    """Describe the fields of a checked schema in order, for rendering."""
    required = set(schema.get("required", ()))
    return tuple(
        _form_field(name, _resolved(schema, prop), name in required)
        for name, prop in schema["properties"].items()
    )


def values_from(schema: Mapping[str, Any], raw: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """Turn posted strings into typed values and validate them; InvalidInput names each field."""
    values: dict[str, Any] = {}
    problems: dict[str, Message] = {}
    for field in form_fields(schema):
        text = _posted(raw.get(field.name))
        try:
            value = _coerce(field, text)
        except ValueError as exc:
            problems[field.name] = exc.args[0]
            continue
        if value is not None:
            values[field.name] = value
    if not problems:
        problems = _schema_problems(schema, values)
    if problems:
        raise InvalidInput(problems)
    return values


def _bad(message: Message) -> InvalidInput:
    return InvalidInput({"schema": message})


def _resolved(schema: Mapping[str, Any], prop: Any, depth: int = 0) -> dict[str, Any]:
    """Follow a property's local $ref (#/...) to the definition it names."""
    if not isinstance(prop, dict) or "$ref" not in prop or depth > 10:
        return dict(prop) if isinstance(prop, dict) else {}
    target = pointed(schema, str(prop["$ref"]))
    merged = {
        **_resolved(schema, target, depth + 1),
        **{k: v for k, v in prop.items() if k != "$ref"},
    }
    return merged


def _field_problem(schema: Mapping[str, Any], name: str, raw_prop: Any) -> Message | None:
    if not FIELD_NAME.match(name) or name in RESERVED_FIELDS:
        return N_("%(name)s is not a usable field name (letters, digits, _)", name=name)
    prop = _resolved(schema, raw_prop)
    kind = prop.get("type")
    if kind not in TYPES:
        return N_(
            "field %(name)s: the type must be one of %(types)s", name=name, types=", ".join(TYPES)
        )
    if "enum" in prop and kind != "string":
        return N_("field %(name)s: a list of choices (enum) needs a string field", name=name)
    if "enum" in prop and not all(isinstance(v, str) for v in prop["enum"]):
        return N_("field %(name)s: the choices (enum) must be texts", name=name)
    if "format" in prop and (kind != "string" or prop["format"] != "date"):
        return N_('field %(name)s: the only format supported is "date" on a string', name=name)
    return None


def _form_field(name: str, prop: Mapping[str, Any], required: bool) -> FormField:
    kind = prop["type"]
    max_length = prop.get("maxLength")
    widget = {"integer": "integer", "number": "number", "boolean": "checkbox"}.get(kind, "text")
    if kind == "string" and "enum" in prop:
        widget = "select"
    elif kind == "string" and prop.get("format") == "date":
        widget = "date"
    elif kind == "string" and (prop.get("x-multiline") or (max_length or 0) > TEXTAREA_FROM):
        widget = "textarea"
    return FormField(
        name=name,
        title=str(prop.get("title") or name),
        description=str(prop.get("description") or ""),
        widget=widget,
        required=required,
        options=tuple(prop.get("enum", ())),
        max_length=max_length,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
    )


def _posted(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        value = value[-1] if value else None
    return None if value is None else value.strip()


def _coerce(field: FormField, text: str | None) -> Any:
    """Return the typed value of one posted field (None when left empty)."""
    if field.widget == "checkbox":
        return (text or "").lower() in TRUE_WORDS
    if not text:
        return None
    if field.widget == "integer":
        return _number(text, int, N_("Must be a whole number"))
    if field.widget == "number":
        return _number(text, float, N_("Must be a number"))
    if field.widget == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(N_("Enter a date as YYYY-MM-DD")) from None
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(N_("At most %(count)s characters", count=MAX_TEXT_LENGTH))
    return text


def _number(text: str, kind: type[int] | type[float], message: Message) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(message) from None
    if kind is int or not math.isfinite(value):
        raise ValueError(message)
    return value


def _schema_problems(schema: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Message]:
    try:
        errors = form_errors(schema, values)
    except TooSlow:
        return {"form": N_("these values took too long to check against the form's patterns")}
    problems: dict[str, Message] = {}
    for error in errors:
        if error.validator == "required" and isinstance(error.validator_value, list):
            for name in error.validator_value:
                if name not in values:
                    problems.setdefault(name, N_("This field is required"))
            continue
        name = str(error.path[0]) if error.path else "form"
        problems.setdefault(name, _message(error))
    return problems


def _message(error: ValidationError) -> Message:
    limit = error.validator_value
    messages = {
        "maxLength": N_("At most %(count)s characters", count=limit),
        "minLength": N_("At least %(count)s characters", count=limit)
        if limit != 1
        else N_("This field is required"),
        "minimum": N_("Must be at least %(limit)s", limit=limit),
        "exclusiveMinimum": N_("Must be more than %(limit)s", limit=limit),
        "maximum": N_("Must be at most %(limit)s", limit=limit),
        "exclusiveMaximum": N_("Must be less than %(limit)s", limit=limit),
        "enum": N_("Choose one of the options"),
        "format": N_("Enter a date as YYYY-MM-DD"),
        "pattern": N_("This does not have the expected form"),
        "multipleOf": N_("Must be a multiple of %(step)s", step=limit),
    }
    return messages.get(str(error.validator), N_("This value is not allowed"))
