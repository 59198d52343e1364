"""Retries racing each other against a live server, on SQLite and on PostgreSQL.

A phone that lost its connection sends the same change report again and again, at once;
a hospital's feed does the same with a notification. Exactly one request files it (201);
every other gets 200 with the same body; none gets a 500.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from renkou.api.tokens import token_create
from renkou.exchange.models import PushNotification, RosterRow
from renkou.exchange.push import sender_create
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, id_number, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
RETRIES = 12


def _at_once(url: str, token: str, body: dict[str, Any]) -> list[tuple[int, Any]]:
    """POST ``body`` RETRIES times, all released together; (status, JSON body) of each."""
    start = threading.Barrier(RETRIES)

    def one(_: int) -> tuple[int, Any]:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept-Language": "en",
            },
            method="POST",
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read()[:300]

    with ThreadPoolExecutor(RETRIES) as pool:
        return list(pool.map(one, range(RETRIES)))


def _one_created_rest_the_same(answers: list[tuple[int, Any]]) -> Any:
    codes = sorted(code for code, _body in answers)
    assert codes == [200] * (RETRIES - 1) + [201], answers
    bodies = {json.dumps(body, sort_keys=True) for _code, body in answers}
    assert len(bodies) == 1, bodies
    return answers[0][1]


def test_retries_of_one_client_ref_file_one_change(county: None, live_server: Any) -> None:
    reporter = user_with_role("r", "reporter", VILLAGE_A1)
    token = token_create(user=reporter, name="phone", actor="test")
    mother = Person.objects.get(person_ref="P2")
    body = {
        "kind": "birth",
        "client_ref": "phone-race-0001",
        "village": VILLAGE_A1,
        "effective_date": "2025-06-01",
        "name": "张小红",
        "sex": "F",
        "mother": mother.pk,
        "id_number": id_number("2025-06-01", 88),
    }
    answers = _at_once(f"{live_server.url}/api/changes/", token, body)
    change = _one_created_rest_the_same(answers)
    births = Event.objects.filter(kind="birth", external_ref__endswith=":phone-race-0001")
    assert list(births.values_list("pk", flat=True)) == [change["id"]]
    from renkou.core.models import AuditLog

    submitted = AuditLog.objects.filter(action="event.submit", object_id=str(change["id"]))
    assert submitted.count() == 1  # filed once, audited once


def test_retries_of_one_notification_id_stage_one_row(county: None, live_server: Any) -> None:
    _sender, token = sender_create(
        code="H001", name="县人民医院", orgunit=OrgUnit.objects.get(code=TOWNSHIP_A), actor="test"
    )
    body = {
        "id": "D-race-1",
        "kind": "death",
        "name": "张伟",
        "id_number": id_number("1990-03-05", 11),
        "sex": "男",
        "death_date": "2025-06-01",
    }
    answers = _at_once(f"{live_server.url}/api/notifications/", token, body)
    assert _one_created_rest_the_same(answers) == {"id": "D-race-1", "status": "received"}
    assert PushNotification.objects.filter(sender_ref="D-race-1").count() == 1
    assert RosterRow.objects.count() == 1


def test_a_birth_naming_a_mother_outside_the_reporters_area_is_refused(county: None) -> None:
    from django.test import Client

    reporter = user_with_role("west", "reporter", VILLAGE_A2)
    api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=reporter, name='t', actor='test')}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    mother = Person.objects.get(person_ref="P2")  # lives and is registered in 东村 (A1)
    body = {
        "kind": "birth",
        "client_ref": "west-0001",
        "village": VILLAGE_A2,
        "effective_date": "2025-06-01",
        "name": "赵小花",
        "sex": "F",
        "mother": mother.pk,
    }
    answer = api.post("/api/changes/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 400, answer.content
    text = json.dumps(answer.json(), ensure_ascii=False)
    assert "mother" in text and "not in the area you report for" in text
    assert not Event.objects.filter(external_ref__endswith=":west-0001").exists()  # nor without her
