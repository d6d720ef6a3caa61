"""Random schemas: checking one, and validating values with one that passed, only ever says no.

Whatever an admin writes, the save answers with InvalidInput (422) or accepts the form, and a
form it accepted never fails a submission with anything but InvalidInput.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.diagrams.form_schema import parse_schema, values_from
from workflows.errors import InvalidInput

REFS = ("#", "#/$defs/a", "#/$defs/b", "#/$defs/a/allOf/0", "#/properties/x", "#/nope", "#a")
PATTERNS = ("^(a+)+$", "(a)\\1", "(?=a)", "^[A-Z]{2}-\\d+$", "(", "a{2,1}", "\\pL+")

leaves = st.one_of(
    st.just({}),
    st.booleans(),
    st.sampled_from(REFS).map(lambda ref: {"$ref": ref}),
    st.sampled_from(PATTERNS).map(lambda pattern: {"pattern": pattern}),
    st.sampled_from(({"minLength": 2}, {"type": "string"}, {"maxLength": 3}, {"format": "regex"})),
)


def _with_ref(schema: Any, ref: str) -> Any:
    return {**schema, "$ref": ref} if isinstance(schema, dict) else schema


schemas = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda all_of: {"allOf": all_of}),
        st.lists(inner, min_size=1, max_size=3).map(lambda any_of: {"anyOf": any_of}),
        inner.map(lambda schema: {"not": schema}),
        st.builds(_with_ref, inner, st.sampled_from(REFS)),
    ),
    max_leaves=20,
)
forms = st.builds(
    lambda x, a, b, top: {
        "type": "object",
        "$defs": {"a": a, "b": b},
        "properties": {"x": {"type": "string", "allOf": [x]}},
        "allOf": [top],
    },
    schemas,
    schemas,
    schemas,
    schemas,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=forms, value=st.sampled_from(("", "a" * 25 + "!", "AB-12", "x" * 300)))
def test_any_schema_is_refused_or_validates_cleanly(schema: dict[str, Any], value: str) -> None:
    try:
        checked = parse_schema(json.dumps(schema))
    except InvalidInput:
        return
    with contextlib.suppress(InvalidInput):
        values_from(checked, {"x": value})
