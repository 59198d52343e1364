"""The auditor's page: only audit roles, filters, paging by id."""

from __future__ import annotations

import pytest

from renkou.core.audit import audit_record
from tests.builders import (
    COUNTY,
    VILLAGE_A1,
    client_as,
)

pytestmark = pytest.mark.django_db


def test_only_audit_roles_see_the_trail(county: None) -> None:
    assert client_as("reporter", VILLAGE_A1, "rep").get("/audit/").status_code == 403
    auditor = client_as("auditor", COUNTY, "aud")
    page = auditor.get("/audit/")
    assert page.status_code == 200
    assert "registry.load" in [r.action for r in page.context["rows"]]
    assert 'href="/audit/"' in page.content.decode()  # the menu offers it to an auditor
    assert 'href="/changes/"' not in page.content.decode()  # but not change reports


def test_filters_and_paging(county: None) -> None:
    for i in range(120):
        audit_record(actor="x", action="person.view", object_type="person", object_id=i % 3)
    auditor = client_as("auditor", COUNTY, "aud")
    first = auditor.get("/audit/", {"action": "person.view"})
    assert len(first.context["rows"]) == 100 and first.context["page"].pages == 2
    second = auditor.get("/audit/", {"action": "person.view", "page": "2"})
    assert len(second.context["rows"]) == 20
    one = auditor.get("/audit/", {"object_type": "person", "object_id": "2"})
    assert {r.object_id for r in one.context["rows"]} == {"2"} and len(one.context["rows"]) == 40
