"""Schemathesis drives every operation of /api/schema with generated requests, in process,
against the real database: no request may end in a server error, and every response must
match what the schema says of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from renkou.api.tokens import token_create
from tests.builders import COUNTY, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(county: None) -> Iterator[Any]:
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the in-process requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(api_schema: Any) -> str:
    user = user_with_role("fuzz", "county_admin", COUNTY)
    return token_create(user=user, name="fuzz", actor="test")


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_api_never_fails_with_a_server_error(api_schema: Any, token: str) -> None:
    # Each operation gets its own Hypothesis run (schemathesis's pytest plugin needs an
    # older pytest, so the loop is written out).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    headers = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
