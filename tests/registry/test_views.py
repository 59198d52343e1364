"""Person search (ID, characters, pinyin), the audited person page, unmasking with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renkou.core.models import AuditLog
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from renkou.registry.names import name_search_keys
from tests.builders import (
    COUNTY,
    VILLAGE_A1,
    VILLAGE_A2,
    client_as,
    id_number,
    person,
    small_county,
    today,
    write_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    extra = [
        person("Z1", "章伟", "M", "1988-08-08", 13),
        person("Z2", "曾丽", "F", "1985-05-05", 24),
    ]
    with (directory / "persons.csv").open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    path = tmp_path / "more.csv"
    write_csv(path, extra, columns=header)
    registry_load(path=directory, actor="test", today=today())
    registry_load(path=path, actor="test", today=today())


def names(response) -> list[str]:
    return [p.name for p in response.context["results"]]


def test_name_keys() -> None:
    assert name_search_keys("张伟") == ("zhangwei", "zw")
    assert name_search_keys("曾丽") == ("zengli", "zl")  # surname reading, not ceng
    assert name_search_keys(" 李 A ") == ("lia", "la")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zhang wei", ["张伟", "章伟"]),
        ("ZhangWei", ["张伟", "章伟"]),
        ("zw", ["张伟", "章伟"]),
        ("张伟", ["张伟"]),
        ("张", ["张伟", "张小明", "张奶奶"]),
        ("zeng", ["曾丽"]),
        (id_number("1990-03-05", 11), ["张伟"]),
        (
            id_number("1990-03-05", 11).lower()[:-1] + id_number("1990-03-05", 11)[-1].lower(),
            ["张伟"],
        ),
        ("110105194912310021", []),  # a valid-looking number nobody here has
        ("nobody", []),
    ],
)
def test_search(county: None, query: str, expected: list[str]) -> None:
    response = client_as("county_admin", COUNTY).get("/persons/", {"q": query})
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)


def test_search_is_scoped_and_uses_constant_queries(county: None) -> None:
    other = client_as("reporter", VILLAGE_A2)
    assert names(other.get("/persons/", {"q": "zhang"})) == ["张奶奶"]
    client = client_as("county_admin", COUNTY, "c2")
    client.get("/persons/")  # the first page renews the session (one write); measure after it
    with CaptureQueriesContext(connection) as few:
        client.get("/persons/", {"q": "z"})
    with CaptureQueriesContext(connection) as many:
        client.get("/persons/", {"q": "zhangwei"})
    assert len(few) == len(many)


def test_htmx_search_returns_only_the_results(county: None) -> None:
    response = client_as("county_admin", COUNTY).get(
        "/persons/", {"q": "zw"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "章伟" in body


def test_person_page_is_audited_and_masks_the_number(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    client = client_as("reporter", VILLAGE_A1)
    response = client.get(f"/persons/{p1.pk}/")
    body = response.content.decode()
    number = id_number("1990-03-05", 11)
    assert response.status_code == 200
    assert number not in body and p1.id_number_masked in body
    assert "张小明" in body  # child on the family list
    assert not response.context["can_reveal"]  # a village reporter may not unmask
    assert AuditLog.objects.filter(action="person.view", object_id=str(p1.pk)).count() == 1
    assert client.post(f"/persons/{p1.pk}/id-number/", {"reason": "x"}).status_code == 403
    outsider = client_as("reporter", VILLAGE_A2, "o")
    assert outsider.get(f"/persons/{p1.pk}/").status_code == 404


def test_unmasking_needs_a_reason_and_is_audited(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    client = client_as("statistician", VILLAGE_A1[:9])
    refused = client.post(f"/persons/{p1.pk}/id-number/", {"reason": " "})
    assert "id_number_masked" not in refused.content.decode()
    assert id_number("1990-03-05", 11) not in refused.content.decode()
    shown = client.post(f"/persons/{p1.pk}/id-number/", {"reason": "核对出生登记"})
    assert id_number("1990-03-05", 11) in shown.content.decode()
    audit = AuditLog.objects.get(action="person.unmask", object_id=str(p1.pk))
    assert audit.reason == "核对出生登记" and audit.actor.username == "u"


def test_household_page_lists_members_head_first(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    response = client_as("reporter", VILLAGE_A1).get(f"/households/{p1.household_id}/")
    assert [m.person_ref for m in response.context["members"]] == ["P1", "P2", "P3"]
    assert (
        client_as("reporter", VILLAGE_A2, "o").get(f"/households/{p1.household_id}/").status_code
        == 404
    )
