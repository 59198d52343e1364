"""Scoping rules behind the permission matrix (tests/web/test_matrix.py)."""

from __future__ import annotations

import pytest

from renkou.core.scoping import restrict
from renkou.registry.models import Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
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
