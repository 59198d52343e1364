"""Arrivals from outside (流入): a new person entered by a move-in, a known one moved, the
phone number kept like the identity number, and the move counted by the statistics."""

from __future__ import annotations

import datetime
import json

import pytest

from renkou.analytics import indicators
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.registry.models import Event, Household, Person
from renkou.registry.rebuild import registry_rebuild
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    VILLAGE_A1,
    api_client,
    client_as,
    id_number,
    user_with_role,
)

pytestmark = pytest.mark.django_db

ORIGIN = "430521"  # 湖南省邵东县, outside the test county
NUMBER = id_number("1988-04-02", 13, region=ORIGIN)


def arrival_post(token: str = "a1", **extra: str) -> dict[str, str]:
    data = {
        "token": token,
        "village": VILLAGE_A1,
        "effective_date": "2025-03-10",
        "id_number": NUMBER,
        "name": "刘强",
        "sex": "M",
        "birth_date": "1988-04-02",
        "hukou_region": ORIGIN,
        "hukou_type": "rural",
        "ethnicity": "01",
        "marital_status": "married",
        "phone": "138 0013 8000",
        "household": "H-NEW-1",
    }
    data.update(extra)
    return data


def apply_as_statistician(event: Event) -> Event:
    statistician = client_as("statistician", TOWNSHIP_A, "stat")
    response = statistician.post(f"/changes/{event.pk}/decide/", {"decision": "apply"})
    assert response.status_code == 302
    event.refresh_from_db()
    if event.status != "applied":  # say why (the page shows the problems)
        page = statistician.get(response["Location"]).content.decode()
        raise AssertionError(page[page.find("<main") :][:3000])
    return event


def test_arrival_enters_a_new_person_once(county: None) -> None:
    persons_before = Person.objects.count()
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    assert reporter.get("/changes/new/arrival/").status_code == 200
    response = reporter.post("/changes/new/arrival/", arrival_post())
    assert response.status_code == 302, response.content[:2000]
    again = reporter.post("/changes/new/arrival/", arrival_post())  # double submit
    assert again.status_code == 302
    event = Event.objects.get(kind="move_in", historic=False)
    assert event.person is None and event.status == "submitted"
    state = event.payload["state"]
    assert state["phone_masked"] == "138****8000" and "13800138000" not in json.dumps(state)
    assert Person.objects.count() == persons_before  # nobody is entered before review

    event = apply_as_statistician(event)
    assert event.status == "applied"
    person = event.person
    assert Person.objects.count() == persons_before + 1
    assert (person.name, person.sex, person.birth_date) == ("刘强", "M", datetime.date(1988, 4, 2))
    assert person.hukou_orgunit_id is None and person.hukou_region == ORIGIN
    assert person.residence_orgunit_id == VILLAGE_A1 and person.hukou_type == "rural"
    assert person.household.number == "H-NEW-1" and person.household.orgunit_id == VILLAGE_A1
    assert person.id_number_masked == NUMBER[:6] + "********" + NUMBER[-4:]
    assert crypto.decrypt(person.id_number_enc) == NUMBER
    assert person.phone_masked == "138****8000"
    assert crypto.decrypt(person.phone_enc) == "13800138000"
    assert person.phone_hash == crypto.blind_index("13800138000", domain="phone")
    assert person.phone_hash != crypto.blind_index("13800138000")  # kept apart from ids
    # the register's history proves the state
    assert registry_rebuild(fix=False, actor="test").differences == []

    # the same person arriving again (another village's report) is moved, not entered twice
    second = client_as("reporter", VILLAGE_A1, "rep2")
    response = second.post("/changes/new/arrival/", arrival_post("a2", effective_date="2025-04-01"))
    assert response.status_code == 302
    moved = Event.objects.filter(kind="move_in", historic=False).exclude(pk=event.pk).get()
    assert moved.person_id == person.pk and "state" not in moved.payload
    assert Person.objects.count() == persons_before + 1


def test_arrival_of_someone_in_the_register_moves_them(county: None) -> None:
    p1 = Person.objects.get(person_ref="P1")
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    data = arrival_post(
        id_number=id_number("1990-03-05", 11),
        name="张伟",
        birth_date="1990-03-05",
        household="",
        phone="13912345678",
    )
    response = reporter.post("/changes/new/arrival/", data)
    assert response.status_code == 302, response.content[:2000]
    event = Event.objects.get(kind="move_in", historic=False)
    assert event.person_id == p1.pk
    apply_as_statistician(event)
    p1.refresh_from_db()
    assert p1.phone_masked == "139****5678"
    assert crypto.decrypt(p1.phone_enc) == "13912345678"
    assert Person.objects.filter(name="张伟").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "zh_part"),
    [
        ({"id_number": NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")}, "id_number", "身份证号"),
        ({"hukou_region": "999999"}, "hukou_region", "地区代码"),
        ({"hukou_region": COUNTY}, "hukou_region", "本辖区"),
        ({"phone": "12-34"}, "phone", "电话号码"),
        ({"birth_date": "1988-04-03"}, "id_number", "出生日期"),
    ],
)
def test_bad_arrivals_are_refused_whole(
    county: None, changes: dict[str, str], field: str, zh_part: str
) -> None:
    events, households = Event.objects.count(), Household.objects.count()
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    response = reporter.post(
        "/changes/new/arrival/", arrival_post(**changes), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert zh_part in " ".join(errors[field]), errors
    # nothing half-written: no event, and the new household was not left behind
    assert (Event.objects.count(), Household.objects.count()) == (events, households)


def test_phone_is_shown_only_with_a_reason_and_audited(county: None) -> None:
    from renkou.registry import services

    p1 = Person.objects.get(person_ref="P1")
    event = services.arrival_submit(
        id_number=id_number("1990-03-05", 11),
        name="张伟",
        sex="M",
        birth_date=datetime.date(1990, 3, 5),
        hukou_region=ORIGIN,
        orgunit=p1.residence_orgunit,
        effective_date=datetime.date(2025, 3, 1),
        actor="test",
        phone="13912345678",
    )
    services.event_apply(event=event, actor="test")
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    page = reporter.get(f"/persons/{p1.pk}/")
    assert "139****5678" in page.content.decode() and "13912345678" not in page.content.decode()
    assert reporter.post(f"/persons/{p1.pk}/phone/", {"reason": "x"}).status_code == 403

    statistician = client_as("statistician", TOWNSHIP_A, "stat")
    no_reason = statistician.post(f"/persons/{p1.pk}/phone/", {"reason": " "})
    assert "13912345678" not in no_reason.content.decode()
    shown = statistician.post(f"/persons/{p1.pk}/phone/", {"reason": "回访"})
    assert "13912345678" in shown.content.decode()
    audit = AuditLog.objects.filter(action="person.unmask_phone", object_id=str(p1.pk))
    assert [(a.reason, a.actor.username) for a in audit] == [("回访", "stat")]

    api = api_client(user_with_role("stat-api", "statistician", TOWNSHIP_A))
    response = api.post(
        f"/api/persons/{p1.pk}/phone/",
        data=json.dumps({"reason": "核实"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"phone": "13912345678"}
    assert api.get(f"/api/persons/{p1.pk}/").json()["phone"] == "139****5678"


def test_arrival_through_the_api(county: None) -> None:
    api = api_client(user_with_role("rep-api", "reporter", VILLAGE_A1))
    body = {
        "kind": "arrival",
        "client_ref": "arrival-0001",
        "village": VILLAGE_A1,
        "effective_date": "2025-03-10",
        "id_number": NUMBER,
        "name": "刘强",
        "sex": "M",
        "birth_date": "1988-04-02",
        "hukou_region": ORIGIN,
        "ethnicity": "01",
        "marital_status": "single",
        "phone": "13800138000",
    }
    first = api.post("/api/changes/", data=json.dumps(body), content_type="application/json")
    assert first.status_code == 201, first.content
    retry = api.post("/api/changes/", data=json.dumps(body), content_type="application/json")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    bad = api.post(
        "/api/changes/",
        data=json.dumps({**body, "client_ref": "arrival-0002", "phone": "abc"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "phone" in json.dumps(bad.json())
    event = Event.objects.get(pk=first.json()["id"])
    assert event.payload["state"]["hukou_region"] == ORIGIN


def test_the_statistics_count_the_arrival(county: None, tmp_path) -> None:
    """Hand count: one person from outside now lives in A1 from 2025-03-10: one move into A1
    (and the township and the county) on the resident basis, one more floating person
    living in A1 at the end of 2025, and no one more registered in A1."""
    from renkou.registry import services

    def figures(snap: str) -> dict[tuple[str, str, str], float]:
        snapshot_refresh(tmp_path / snap)
        rows = indicators.compute(DuckDBEngine(), tmp_path / snap, [parse("2025")])
        return {(r[0], r[1], r[3]): r[4] for r in rows if r[2] == "2025"}

    before = figures("before")
    event = services.arrival_submit(
        id_number=NUMBER,
        name="刘强",
        sex="M",
        birth_date=datetime.date(1988, 4, 2),
        hukou_region=ORIGIN,
        orgunit=Person.objects.get(person_ref="P1").residence_orgunit,
        effective_date=datetime.date(2025, 3, 10),
        actor="test",
        ethnicity="01",
        marital_status="single",
        hukou_type="urban",
    )
    services.event_apply(event=event, actor="test")
    after = figures("after")

    def grew(indicator: str, unit: str, basis: str) -> float:
        return (after.get((indicator, unit, basis)) or 0) - (
            before.get((indicator, unit, basis)) or 0
        )

    for unit in (VILLAGE_A1, TOWNSHIP_A, COUNTY):
        assert grew("moves_in", unit, "resident") == 1, unit
        assert grew("population_end", unit, "resident") == 1, unit
        assert grew("floating_in", unit, "registered") == 1, unit
        assert grew("population_end", unit, "registered") == 0, unit


def test_a_rejected_arrival_is_corrected_and_submitted_again(county: None) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    reporter.post("/changes/new/arrival/", arrival_post(name="刘墙"))
    first = Event.objects.get(kind="move_in", historic=False)
    statistician = client_as("statistician", TOWNSHIP_A, "stat")
    statistician.post(f"/changes/{first.pk}/decide/", {"decision": "reject", "reason": "姓名写错"})
    form = reporter.get(f"/changes/{first.pk}/resubmit/")
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["name"] == "刘墙" and initial["hukou_region"] == ORIGIN
    assert "id_number" not in initial  # kept only masked: entered again
    response = reporter.post(f"/changes/{first.pk}/resubmit/", arrival_post("a9"))
    assert response.status_code == 302, response.content[:2000]
    again = Event.objects.get(replaces=first)
    assert again.payload["state"]["name"] == "刘强" and again.status == "submitted"


def test_keys_rotate_re_encrypts_phone_numbers(county: None) -> None:
    from django.conf import settings
    from django.test import override_settings

    from renkou.registry import services
    from renkou.registry.keyrotation import identity_tokens_rotate

    event = services.arrival_submit(
        id_number=NUMBER,
        name="刘强",
        sex="M",
        birth_date=datetime.date(1988, 4, 2),
        hukou_region=ORIGIN,
        orgunit=Person.objects.get(person_ref="P1").residence_orgunit,
        effective_date=datetime.date(2025, 3, 10),
        actor="test",
        ethnicity="01",
        marital_status="single",
        hukou_type="urban",
        phone="13800138000",
    )
    person = services.event_apply(event=event, actor="test").person
    old_key = person.phone_enc.partition("$")[0]
    with override_settings(
        RENKOU_ENCRYPTION_KEYS=crypto.add_new_key(settings.RENKOU_ENCRYPTION_KEYS)
    ):
        new_key = crypto.default_protector().primary_key_id
        # one person row; its event gets the same new token with it (nothing left after)
        assert identity_tokens_rotate(actor="test")["phones"] == 1
        person.refresh_from_db()
        event.refresh_from_db()
        assert person.phone_enc.partition("$")[0] == new_key != old_key
        assert event.payload["state"]["phone_enc"] == person.phone_enc
        assert crypto.decrypt(person.phone_enc) == "13800138000"
        assert registry_rebuild(fix=False, actor="test").differences == []
