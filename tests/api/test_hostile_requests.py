"""Hostile API requests (issue 23): every error from 400 to 413 is the API's JSON error shape,
never HTML or a 500 — deeply nested bodies, malformed cursors, oversized bodies, unknown
addresses, NUL in a query."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from tests.builders import VILLAGE_A1, api_client, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporter(county: None) -> Any:
    return api_client(user_with_role("r-hostile", "reporter", VILLAGE_A1))


def _errors(response: Any, status: int) -> list[dict[str, str]]:
    """The body's errors, after checking the status and that the body is the JSON shape."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert set(error) >= {"field", "code", "message"} and error["message"]
    return body["errors"]


def test_a_deeply_nested_body_is_a_json_400(reporter: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000  # beyond Python's recursion limit
    errors = _errors(reporter.post("/api/changes/", body, content_type="application/json"), 400)
    assert errors[0]["code"] == "parse_error"
    assert "nested" in errors[0]["message"]


def test_a_body_nested_beyond_the_depth_limit_is_refused_before_any_view(reporter: Any) -> None:
    body = '{"kind": "birth", "name": ' + "[" * 40 + "1" + "]" * 40 + "}"
    response = reporter.post(
        "/api/changes/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    errors = _errors(response, 400)
    assert errors[0]["code"] == "parse_error" and "嵌套" in errors[0]["message"]


def test_a_malformed_json_body_is_a_json_400(reporter: Any) -> None:
    response = reporter.post("/api/changes/", '{"kind": ', content_type="application/json")
    assert _errors(response, 400)[0]["code"] == "parse_error"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        base64.b64encode(b"p=abc").decode(),  # a position that is no id
        base64.b64encode(b"p=99999999999999999999999").decode(),  # beyond a bigint
        base64.b64encode(b"o=-1").decode(),
        base64.b64encode(b"r=x").decode(),
        base64.b64encode(b"p=\x00").decode(),
    ],
)
def test_a_malformed_cursor_is_a_json_400(reporter: Any, cursor: str) -> None:
    errors = _errors(reporter.get("/api/persons/", {"cursor": cursor}), 400)
    assert errors[0]["code"] == "invalid_cursor" and errors[0]["field"] == "cursor"


def test_a_good_cursor_still_pages(reporter: Any) -> None:
    first = reporter.get("/api/persons/", {"limit": 1})
    assert first.status_code == 200
    following = first.json()["next"]
    assert following and reporter.get(following).status_code == 200


def test_an_oversized_body_is_a_json_413(reporter: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"kind": "birth", "name": "' + "张" * 20_000 + '"}'
    errors = _errors(reporter.post("/api/changes/", body, content_type="application/json"), 413)
    assert errors[0]["code"] == "payload_too_large"


def test_an_oversized_body_is_refused_without_a_token_too(county: None, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = "x" * 20_000
    response = Client().post("/api/notifications/", body, content_type="application/json")
    assert _errors(response, 413)[0]["code"] == "payload_too_large"


def test_errors_outside_the_views_are_json_too(reporter: Any) -> None:
    assert _errors(reporter.get("/api/no-such-thing/"), 404)[0]["code"] == "not_found"
    assert _errors(reporter.get("/api/persons/", {"name": "a\x00b"}), 400)
    assert _errors(reporter.delete("/api/persons/"), 405)[0]["code"] == "method_not_allowed"
    response = reporter.post("/api/changes/", "<a/>", content_type="application/xml")
    assert _errors(response, 415)
