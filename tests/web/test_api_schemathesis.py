"""Schemathesis drives the real app from /api/openapi.json: no 5xx, every answer as documented.

Schemathesis 4.32's own pytest loader (`from_fixture`) touches `Node._nodeid`, which pytest 9.2
no longer has, so each operation runs here as a plain Hypothesis test over its strategy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web.app import create_app, database
from workflows.access.tokens import create_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/directives"),
    ("POST", "/api/v1/directives"),
    ("GET", "/api/v1/directives/{directive_id}"),
    ("GET", "/api/v1/directives/{directive_id}/history"),
    ("POST", "/api/v1/directives/{directive_id}/cancel"),
    ("GET", "/api/v1/inbox"),
    ("POST", "/api/v1/work-items/{work_item_id}/complete"),
    ("POST", "/api/v1/assignments/{assignment_id}/hand-over"),
    ("GET", "/api/v1/statistics"),
    ("GET", "/api/v1/reports/tasks.xlsx"),
    ("POST", "/api/v1/directives/proposal"),
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "test",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    yield application
    application.extensions["dondoc.db"].dispose()


@pytest.fixture
def api_schema(app: Flask) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, loaded through its WSGI interface."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def bearer(app: Flask, assigned_small: int) -> dict[str, str]:
    """The director's bearer header, with a directive already assigned to read and act on."""
    return {"Authorization": f"Bearer {create_token(database(app), 'giamdoc')}"}


def test_the_list_covers_every_documented_operation(api_schema) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in api_schema.raw_schema["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_as_its_document_says(
    api_schema, bearer, method: str, path: str, mode: schemathesis.GenerationMode
) -> None:
    operation = api_schema[path][method]

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=bearer, checks=CHECKS)

    call()
