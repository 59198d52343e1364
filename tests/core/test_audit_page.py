"""The auditor's page: only audit roles, filters, paging by id."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from renkou.core.audit import audit_record
from renkou.registry.loading import registry_load
from tests.builders import COUNTY, VILLAGE_A1, login_as, small_county, today, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(tmp_path: Path) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())


def as_user(role: str, code: str, name: str) -> Client:
    client = Client()
    login_as(client, user_with_role(name, role, code))
    return client


def test_only_audit_roles_see_the_trail(county: None) -> None:
    assert as_user("reporter", VILLAGE_A1, "rep").get("/audit/").status_code == 403
    auditor = as_user("auditor", COUNTY, "aud")
    page = auditor.get("/audit/")
    assert page.status_code == 200
    assert "registry.load" in [r.action for r in page.context["rows"]]
    assert 'href="/audit/"' in page.content.decode()  # the menu offers it to an auditor
    assert 'href="/changes/"' not in page.content.decode()  # but not change reports


def test_filters_and_paging(county: None) -> None:
    for i in range(120):
        audit_record(actor="x", action="person.view", object_type="person", object_id=i % 3)
    auditor = as_user("auditor", COUNTY, "aud")
    first = auditor.get("/audit/", {"action": "person.view"})
    assert len(first.context["rows"]) == 100 and first.context["older"]
    second = auditor.get("/audit/", {"action": "person.view", "before": first.context["older"]})
    assert len(second.context["rows"]) == 20
    one = auditor.get("/audit/", {"object_type": "person", "object_id": "2"})
    assert {r.object_id for r in one.context["rows"]} == {"2"} and len(one.context["rows"]) == 40
