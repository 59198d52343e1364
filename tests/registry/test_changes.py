"""Change reports through the web: file, check, double submit, stale form, review, outcome."""

from __future__ import annotations

import pytest

from renkou.core.models import AuditLog
from renkou.registry.models import Event, Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    client_as,
    id_number,
)

pytestmark = pytest.mark.django_db


def birth_post(token: str = "t1", **extra: str) -> dict[str, str]:
    mother = Person.objects.get(person_ref="P2")
    data = {
        "token": token,
        "village": VILLAGE_A1,
        "effective_date": "2024-08-08",
        "name": "张小红",
        "sex": "F",
        "id_number": id_number("2024-08-08", 24),
        "mother": str(mother.pk),
        "father": "",
    }
    data.update(extra)
    return data


def test_birth_filed_by_reporter_applied_by_statistician(county: None) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    response = reporter.post("/changes/new/birth/", birth_post())
    assert response.status_code == 302
    event = Event.objects.get(kind="birth", historic=False)
    assert event.status == "submitted" and event.reporter.username == "rep"
    again = reporter.post("/changes/new/birth/", birth_post())  # double submit
    assert (
        again.status_code == 302 and Event.objects.filter(kind="birth", historic=False).count() == 1
    )

    other = client_as("statistician", TOWNSHIP_B, "other")
    assert other.get(f"/changes/{event.pk}/").status_code == 404
    assert other.post(f"/changes/{event.pk}/decide/", {"decision": "apply"}).status_code == 404
    assert reporter.post(f"/changes/{event.pk}/decide/", {"decision": "apply"}).status_code == 403

    statistician = client_as("statistician", TOWNSHIP_A, "stat")
    queue = statistician.get("/changes/")
    assert [e.pk for e in queue.context["events"]] == [event.pk]
    assert queue.context["by_village"][0]["orgunit_id"] == VILLAGE_A1
    statistician.post(f"/changes/{event.pk}/decide/", {"decision": "apply"})
    event.refresh_from_db()
    assert event.status == "applied" and event.person.name == "张小红"
    assert event.person.mother.person_ref == "P2" and event.person.birth_order == 2
    outcome = reporter.get("/changes/?status=decided")
    assert [e.status for e in outcome.context["events"]] == ["applied"]


def test_check_shows_problems_without_filing(county: None) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    bad = reporter.post(
        "/changes/new/birth/", birth_post(id_number=id_number("2024-08-08", 23), check="1")
    )
    assert bad.status_code == 200
    assert "id_number" in bad.context["form"].errors
    assert "身份证号与性别不符" in bad.content.decode()
    good = reporter.post("/changes/new/birth/", birth_post(check="1"))
    assert good.context["checked"]
    assert not Event.objects.filter(kind="birth", historic=False).exists()
    assert not AuditLog.objects.filter(action="event.submit").exists()  # the trial left nothing


def test_rejection_reaches_the_reporter_with_its_reason(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    reporter.post(
        "/changes/new/death/",
        {
            "token": "d1",
            "village": VILLAGE_A1,
            "effective_date": "2024-02-02",
            "person": f"{p1.pk}@{p1.version}",
        },
    )
    event = Event.objects.get(kind="death", historic=False)
    county_admin = client_as("county_admin", COUNTY, "cty")
    county_admin.post(f"/changes/{event.pk}/decide/", {"decision": "reject", "reason": ""})
    event.refresh_from_db()
    assert event.status == "submitted"  # no reason, no rejection
    county_admin.post(f"/changes/{event.pk}/decide/", {"decision": "reject", "reason": "人还健在"})
    event.refresh_from_db()
    assert event.status == "rejected"
    page = reporter.get("/changes/?status=decided").content.decode()
    assert "人还健在" in page
    p1.refresh_from_db()
    assert p1.status == "alive"


def test_stale_form_is_refused_with_an_explanation(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    seen = f"{p1.pk}@{p1.version}"
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    reporter.post(
        "/changes/new/correction/",
        {
            "token": "c1",
            "village": VILLAGE_A1,
            "effective_date": "2024-02-02",
            "person": seen,
            "field": "name",
            "value": "张玮",
            "reason": "户口本",
        },
    )
    first = Event.objects.get(kind="correction")
    client_as("statistician", TOWNSHIP_A, "stat").post(
        f"/changes/{first.pk}/decide/", {"decision": "apply"}
    )
    stale = reporter.post(
        "/changes/new/correction/",
        {
            "token": "c2",
            "village": VILLAGE_A1,
            "effective_date": "2024-02-03",
            "person": seen,
            "field": "name",
            "value": "张卫",
            "reason": "x",
        },
    )
    assert stale.status_code == 200
    assert "已被修改" in stale.content.decode()
    assert Person.objects.get(pk=p1.pk).name == "张玮"


def test_reporter_cannot_file_for_another_village(county: None) -> None:
    reporter = client_as("reporter", VILLAGE_A2, "rep2")
    response = reporter.post("/changes/new/birth/", birth_post(token="x9"))
    assert response.status_code == 200 and "village" in response.context["form"].errors
    assert not Event.objects.filter(kind="birth", historic=False).exists()


def test_person_picker_is_scoped_and_filters_mothers(county: None) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    body = reporter.get("/persons/pick/", {"field": "mother", "mother_q": "li"}).content.decode()
    assert "李丽" in body and "张伟" not in body
    other = client_as("reporter", VILLAGE_A2, "rep2")
    assert (
        "李丽"
        not in other.get("/persons/pick/", {"field": "mother", "mother_q": "li"}).content.decode()
    )
