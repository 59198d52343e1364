"""Hospitals push notifications through the API: scoped tokens, idempotent ids, the same
validation, staging and linkage as an uploaded roster."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from renkou.core.models import AuditLog
from renkou.exchange.models import Outcome, PushNotification, RosterImport, RosterRow
from renkou.exchange.push import sender_create
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.builders import COUNTY, TOWNSHIP_A, api_client, id_number, user_with_role

pytestmark = pytest.mark.django_db

P1 = id_number("1990-03-05", 11)  # 张伟, alive
P2 = id_number("1992-07-20", 22)  # 李丽, mother of 张小明 born 2021-01-15


@pytest.fixture
def hospital(county: None) -> Client:
    _sender, token = sender_create(
        code="H001", name="县人民医院", orgunit=OrgUnit.objects.get(code=TOWNSHIP_A), actor="test"
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/notifications/", json.dumps(body), content_type="application/json")


def test_a_death_is_staged_and_linked_and_a_repeat_is_recognised(hospital: Client) -> None:
    body = {
        "id": "D-1",
        "kind": "death",
        "name": "张伟",
        "id_number": P1,
        "sex": "男",
        "death_date": "2025-06-01",
    }
    first = _post(hospital, body)
    assert first.status_code == 201 and first.json() == {"id": "D-1", "status": "received"}
    row = RosterRow.objects.get()
    assert row.roster_import.kind == "hospital_deaths"
    assert row.roster_import.orgunit_id == TOWNSHIP_A
    assert row.outcome == Outcome.CONFLICTS and row.person == Person.objects.get(person_ref="P1")
    assert P1 not in json.dumps(row.values) and P1 not in row.original_enc
    again = _post(hospital, body)
    assert again.status_code == 200 and RosterRow.objects.count() == 1
    changed = _post(hospital, {**body, "death_date": "2025-06-02"})
    assert changed.status_code == 400 and changed.json()["errors"][0]["code"] == "conflict"
    assert RosterRow.objects.count() == 1
    assert AuditLog.objects.filter(action="exchange.push", object_id=str(row.pk)).exists()


def test_notifications_of_a_day_share_one_roster_and_births_link_through_the_mother(
    hospital: Client,
) -> None:
    born = {
        "kind": "birth",
        "sex": "M",
        "birth_date": "2021-01-15",
        "mother_name": "李丽",
        "mother_id": P2,
    }
    assert _post(hospital, {"id": "B-1", **born}).status_code == 201
    assert _post(hospital, {"id": "B-2", **born, "birth_date": "2025-05-01"}).status_code == 201
    imp = RosterImport.objects.get()
    assert (imp.rows_total, imp.rows_staged) == (2, 2)
    outcomes = dict(imp.rows.values_list("row_number", "outcome"))
    assert outcomes == {1: Outcome.MATCHED, 2: Outcome.MISSING}  # B-2: a birth not reported
    assert set(PushNotification.objects.values_list("sender_ref", flat=True)) == {"B-1", "B-2"}


def test_bad_notifications_are_refused_whole_with_reasons(hospital: Client) -> None:
    response = _post(
        hospital,
        {
            "id": "D-9",
            "kind": "death",
            "name": "张伟",
            "id_number": "1.10105E+17",
            "death_date": "2099-01-01",
        },
    )
    assert response.status_code == 400
    errors = {e["code"]: e for e in response.json()["errors"]}
    assert set(errors) == {"id_as_number", "future_date"}
    assert "身份证号" in errors["id_as_number"]["message_zh"]
    assert "lost its last digits" in errors["id_as_number"]["message"]
    assert _post(hospital, {"id": "X", "kind": "marriage"}).status_code == 400
    assert _post(hospital, {"kind": "death"}).status_code == 400
    assert RosterRow.objects.count() == 0 and PushNotification.objects.count() == 0


def test_only_hospital_tokens_push_and_they_read_nothing(hospital: Client) -> None:
    admin = api_client(user_with_role("c", "county_admin", COUNTY))
    body = {
        "id": "D-1",
        "kind": "death",
        "name": "张伟",
        "id_number": P1,
        "death_date": "2025-06-01",
    }
    assert _post(admin, body).status_code == 403
    assert _post(Client(), body).status_code == 401
    assert hospital.get("/api/persons/?q=张").json()["results"] == []
    assert (
        hospital.get(f"/api/persons/{Person.objects.get(person_ref='P1').pk}/").status_code == 404
    )


def test_sender_command_prints_a_working_token(
    county: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "exchange", "sender", "--code", "H9", "--name", "乡卫生院", "--orgunit", TOWNSHIP_A
    )
    token = capsys.readouterr().out.strip().split()[-1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"id": "1", "kind": "death", "name": "张伟", "id_number": P1, "death_date": "2025-06-01"}
    assert _post(client, body).status_code == 201
