"""Patterns of form schemas matched by RE2, which never backtracks: time linear in the text.

Python's `re` (and so jsonschema's own `pattern` keyword) backtracks: `^(a+)+$` against thirty
characters runs for seconds. Every keyword that matches a pattern is replaced here by one using
RE2: `pattern` (and so `propertyNames`), `patternProperties`, `additionalProperties` (which skips
names matching a `patternProperties` pattern) and `format: "regex"`. RE2 refuses what it cannot
match in linear time (back-references, look-ahead and look-behind), so such a pattern is refused
when the form is saved. `unevaluatedProperties` would match `patternProperties` with `re`: the
form checks refuse the two together.

Linear is not yet cheap: a pattern whose automaton blows up runs RE2's slower NFA, in time
proportional to text times pattern, and references can apply one pattern many times. So one
validation (form_errors) makes each distinct match once and stops with TooSlow once past its
time budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry

MAX_PATTERN_LENGTH = 1_000
MATCH_BUDGET_SECONDS = 1.0  # for all the pattern matches of one submission
RE2_MAX_MEMORY = 8 << 20  # bytes per compiled pattern; RE2 refuses a pattern needing more
JsonValidator = Any  # jsonschema's validator instance: its typed protocol lacks descend()


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is our answer to the admin, not a log line
    options.max_mem = RE2_MAX_MEMORY
    options.never_capture = True  # we only ask whether it matches: RE2 can then use its DFA
    return options


@lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    """Compile a pattern with RE2 (cached); raise re2.error when RE2 cannot match it."""
    return re2.compile(pattern, options=_options())


def pattern_error(pattern: str) -> str | None:
    """Say why RE2 cannot use a pattern, or None when it can."""
    try:
        compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


def matches(pattern: str, text: str) -> bool:
    """Whether the pattern matches anywhere in the text (JSON Schema's unanchored search)."""
    budget = _BUDGET.get()
    return _search(pattern, text) if budget is None else budget.matches(pattern, text)


def _search(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None


class TooSlow(Exception):
    """Matching the patterns of a form against the values took longer than its budget."""


@dataclass
class _Budget:
    """One validation's deadline, and the matches it already made (references repeat them)."""

    deadline: float
    seen: dict[tuple[str, str], bool] = field(default_factory=dict)

    def matches(self, pattern: str, text: str) -> bool:
        key = (pattern, text)
        if key not in self.seen:
            if time.monotonic() > self.deadline:
                raise TooSlow(pattern)
            self.seen[key] = _search(pattern, text)
        return self.seen[key]


_BUDGET: ContextVar[_Budget | None] = ContextVar("form_match_budget", default=None)


def form_errors(
    schema: Mapping[str, Any], values: Any, budget_seconds: float = MATCH_BUDGET_SECONDS
) -> list[ValidationError]:
    """Validate values against a checked form; raise TooSlow once past the time budget.

    One RE2 search is linear in the text, so the budget is overrun by one search at most.
    """
    token = _BUDGET.set(_Budget(time.monotonic() + budget_seconds))
    try:
        return list(form_validator(schema).iter_errors(values))
    finally:
        _BUDGET.reset(token)


def _pattern(
    validator: JsonValidator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: JsonValidator, patterns: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            if matches(pattern, name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional_properties(
    validator: JsonValidator, extra_schema: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    named = schema.get("properties", {})
    patterns = tuple(schema.get("patternProperties", {}))
    extras = sorted(
        name
        for name in instance
        if name not in named and not any(matches(p, name) for p in patterns)
    )
    if validator.is_type(extra_schema, "object"):
        for name in extras:
            yield from validator.descend(instance[name], extra_schema, path=name)
    elif not extra_schema and extras:
        yield ValidationError(f"Additional properties are not allowed ({', '.join(extras)})")


def _is_regex(value: object) -> bool:
    # Not cached: the text is a submitted value, not one of the admin's patterns.
    return not isinstance(value, str) or re2.compile(value, options=_options()) is not None


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("regex", raises=re2.error)(_is_regex)
    return checker


FORMAT_CHECKER = _format_checker()
RE2_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}
# extend() is untyped in types-jsonschema; it returns a validator class.
FormValidator: type[Validator] = validators.extend(Draft202012Validator, RE2_KEYWORDS)  # type: ignore[no-untyped-call]


def form_validator(schema: Mapping[str, Any]) -> Validator:
    """A validator of submitted values: RE2 patterns, and no reference ever fetched."""
    return FormValidator(schema, format_checker=FORMAT_CHECKER, registry=Registry())
