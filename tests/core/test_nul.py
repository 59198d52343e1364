"""A NUL character in a query string is refused with 400 on every database (PostgreSQL
cannot compare text holding one: the API fuzz test found a server error there)."""

from __future__ import annotations

import pytest

from tests.builders import VILLAGE_A1, api_client, client_as, user_with_role

pytestmark = pytest.mark.django_db


def test_nul_in_a_query_parameter_is_a_bad_request(county: None) -> None:
    api = api_client(user_with_role("api", "county_admin", "330122"))
    assert api.get("/api/events/?village=w%00").status_code == 400
    assert api.get("/api/events/?kind=%00&village=33").status_code == 400
    assert api.get(f"/api/events/?village={VILLAGE_A1}").status_code == 200
    web = client_as("reporter", VILLAGE_A1)
    refused = web.get("/persons/?q=%E5%BC%A0%00")
    assert refused.status_code == 400 and "NUL" in refused.content.decode()
    assert web.get("/persons/?q=%E5%BC%A0").status_code == 200
