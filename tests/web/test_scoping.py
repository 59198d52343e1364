"""Who sees what: every page as anonymous, other village, this village, other township, county."""

from __future__ import annotations

import pytest
from django.test import Client

from renkou.core.scoping import restrict
from renkou.registry.models import Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    login_as,
    user_with_role,
)

pytestmark = pytest.mark.django_db

VIEWERS = {
    "anonymous": None,
    "reporter_other_village": ("reporter", VILLAGE_A2),
    "reporter_this_village": ("reporter", VILLAGE_A1),
    "statistician_other_township": ("statistician", TOWNSHIP_B),
    "county_admin": ("county_admin", COUNTY),
}

# page -> viewers who may open it (the page is about village A1 or above it)
PAGES = {
    f"/orgunits/{VILLAGE_A1}/": {"reporter_this_village", "county_admin"},
    f"/orgunits/{TOWNSHIP_A}/": {"county_admin"},
    f"/orgunits/{COUNTY}/": {"county_admin"},
    f"/orgunits/{VILLAGE_B1}/": {"statistician_other_township", "county_admin"},
}


def client_for(viewer: str) -> Client:
    client = Client()
    spec = VIEWERS[viewer]
    if spec:
        login_as(client, user_with_role(viewer, *spec))
    return client


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("page", list(PAGES))
def test_page_matrix(county: None, viewer: str, page: str) -> None:
    response = client_for(viewer).get(page)
    if viewer == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif viewer in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404  # changing the code in the URL shows nothing


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("reporter_other_village", {"P4"}),
        ("reporter_this_village", {"P1", "P2", "P3", "P5"}),
        ("statistician_other_township", set()),
        ("county_admin", {"P1", "P2", "P3", "P4", "P5"}),
    ],
)
def test_persons_are_scoped_by_residence_or_registration(
    county: None, viewer: str, expected: set[str]
) -> None:
    user = user_with_role(viewer, *VIEWERS[viewer])
    seen = set(restrict(Person.objects.all(), user).values_list("person_ref", flat=True))
    assert seen == expected


def test_overview_counts_only_the_users_area(county: None) -> None:
    response = client_for("reporter_other_village").get("/")
    assert response.context["persons_alive"] == 0  # only the dead grandmother lives there
    assert [u.code for u in response.context["roots"]] == [VILLAGE_A2]
