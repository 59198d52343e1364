"""Scoping rules behind the permission matrix (tests/web/test_matrix.py), and the lists each
caller sees (on the small county alone: the matrix adds records of its own)."""

from __future__ import annotations

import pytest

from renkou.core.scoping import restrict
from renkou.registry.models import Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    caller_client,
    client_as,
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
    response = client_as("reporter", VILLAGE_A2).get("/")
    assert response.context["persons_alive"] == 0  # only the dead grandmother lives there
    assert [u.code for u in response.context["roots"]] == [VILLAGE_A2]


EXPECTED_PERSONS = {
    "reporter_other_village": {"P4"},
    "reporter_this_village": {"P1", "P2", "P3", "P5"},
    "statistician_other_township": set(),
    "county_admin": {"P1", "P2", "P3", "P4", "P5"},
}


@pytest.mark.parametrize("caller", list(EXPECTED_PERSONS))
def test_lists_show_only_the_callers_area(county: None, caller: str) -> None:
    refs = dict(Person.objects.values_list("pk", "person_ref"))
    api = caller_client(caller, VIEWERS[caller], api=True)
    got = {refs[p["id"]] for p in api.get("/api/persons/?limit=200").json()["results"]}
    assert got == EXPECTED_PERSONS[caller]
    web = caller_client(caller, VIEWERS[caller], api=False)
    shown = {p.person_ref for p in web.get("/persons/?village=33").context["results"]}
    assert shown == EXPECTED_PERSONS[caller]
    villages = {h["orgunit"] for h in api.get("/api/households/").json()["results"]}
    assert villages <= {VILLAGE_A1, VILLAGE_A2} and (
        bool(villages) == (caller != "statistician_other_township")
    )
    assert VILLAGE_B1 not in villages
