"""The findings page: scoped like persons, filtered, and confirming by a reviewer only."""

from __future__ import annotations

import pytest

from renkou.quality.bulk import quality_run
from renkou.quality.models import Confirmation, Finding
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, client_as
from tests.quality.cases import person

pytestmark = pytest.mark.django_db
URL = "/quality/findings/"


@pytest.fixture
def flagged(county):
    a1 = person("甲村缺族", "M", "1970-01-01", ethnicity="")
    a2 = person(
        "乙村缺族",
        "F",
        "1970-01-01",
        ethnicity="",
        marital_status="",
        residence_orgunit_id=VILLAGE_A2,
        hukou_orgunit_id=VILLAGE_A2,
    )
    quality_run(actor="test")
    return a1, a2


def _names(response) -> set[str]:
    return {f.person.name for f in response.context["rows"]}


def test_anonymous_is_sent_to_sign_in(flagged) -> None:
    from django.test import Client

    response = Client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_each_user_sees_the_findings_of_their_area_only(flagged) -> None:
    assert _names(client_as("reporter", VILLAGE_A1, "r1").get(URL)) == {"甲村缺族"}
    assert _names(client_as("reporter", VILLAGE_A2, "r2").get(URL)) == {"乙村缺族"}
    county_page = client_as("county_admin", COUNTY, "c").get(URL)
    assert _names(county_page) == {"甲村缺族", "乙村缺族"}
    assert "民族未填写" in county_page.content.decode()


def test_filters_by_rule_severity_and_village(flagged) -> None:
    client = client_as("county_admin", COUNTY, "c")
    assert _names(client.get(URL, {"rule": "Q-REQ-MARITAL"})) == {"乙村缺族"}
    assert _names(client.get(URL, {"unit": VILLAGE_A1})) == {"甲村缺族"}
    assert _names(client.get(URL, {"severity": "error"})) == set()
    assert len(client.get(URL, {"severity": "warning"}).context["rows"]) == 3


def test_a_reviewer_confirms_with_a_reason_and_a_reporter_cannot(flagged) -> None:
    a1, _ = flagged
    finding = Finding.objects.get(person=a1)
    reporter = client_as("reporter", VILLAGE_A1, "r1")
    assert reporter.post(f"{URL}{finding.pk}/confirm/", {"reason": "x"}).status_code == 403
    other = client_as("statistician", "330122101", "s-b")
    assert other.post(f"{URL}{finding.pk}/confirm/", {"reason": "x"}).status_code == 404
    reviewer = client_as("statistician", TOWNSHIP_A, "s-a")
    reviewer.post(f"{URL}{finding.pk}/confirm/", {"reason": " "})
    assert Finding.objects.filter(pk=finding.pk).exists()
    response = reviewer.post(
        f"{URL}{finding.pk}/confirm/",
        {"reason": "少数民族待定", "next": f"{URL}?rule=Q-REQ-ETHNICITY"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?rule=Q-REQ-ETHNICITY")
    assert not Finding.objects.filter(pk=finding.pk).exists()
    assert Confirmation.objects.get(person=a1).reason == "少数民族待定"


def test_query_count_does_not_grow_with_the_findings(flagged) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("county_admin", COUNTY, "c")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(10):
        person(f"又{n}", "M", "1970-01-01", ethnicity="")
    quality_run(actor="test")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["rows"]) == 13
    assert len(many) == len(few)


def test_overview_shows_rates_per_child_unit_within_the_users_area(flagged) -> None:
    county_admin = client_as("county_admin", COUNTY, "c")
    page = county_admin.get("/quality/")
    assert page.status_code == 200
    assert page.context["unit"].code == COUNTY
    assert page.context["total"].persons == 7
    assert [r.orgunit for r in page.context["children"]] == [TOWNSHIP_A, "330122101"]
    assert '"type": "bar"' in page.context["chart"]
    town = county_admin.get(f"/quality/{TOWNSHIP_A}/")
    assert [r.orgunit for r in town.context["children"]] == [VILLAGE_A1, VILLAGE_A2]
    reporter = client_as("reporter", VILLAGE_A2, "r2")
    own = reporter.get("/quality/")
    assert own.context["unit"].code == VILLAGE_A2
    assert own.context["total"].persons_with_error == 0
    assert own.context["total"].filled_fields == own.context["total"].required_fields - 2
    assert reporter.get(f"/quality/{VILLAGE_A1}/").status_code == 404
    assert client_as("auditor", COUNTY, "a").get("/quality/").status_code == 200
