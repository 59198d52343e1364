"""A fuzz of the API's bodies (issue 23): valid change reports and hospital notifications,
mutated byte by byte and value by value, are answered with JSON and never a 500; an error
has the API's error shape, and whatever was accepted is in the sender's area and counted
once.

The mutants are drawn from a seeded generator, so a failure names a mutant that can be
replayed. The suite's run is short; ``RENKOU_FUZZ_MUTANTS=2000`` is a longer hunt.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from django.test import Client

from renkou.exchange.models import RosterRow
from renkou.exchange.push import sender_create
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, VILLAGE_A1, api_client, id_number, user_with_role

pytestmark = pytest.mark.django_db

MUTANTS = int(os.environ.get("RENKOU_FUZZ_MUTANTS") or 120)

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5e308,
    "",
    " ",
    "\x00",
    "\ud800",  # a lone surrogate, written by json.dumps as \\ud800
    "=1+1",
    "2025-02-30",
    "9999-12-31",
    "0000-01-01",
    "张" * 5000,
    [],
    [1, 2],
    {},
    {"a": {"b": {"c": [1]}}},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
]


def _value_mutant(seed: dict[str, Any], rng: random.Random) -> bytes:
    body: Any = dict(seed)
    choice = rng.randrange(6)
    key = rng.choice(sorted(body))
    if choice == 0:
        body[key] = rng.choice(ODD_VALUES)
    elif choice == 1:
        del body[key]
    elif choice == 2:
        body[rng.choice(["extra", "__proto__", "id", "kind", ""])] = rng.choice(ODD_VALUES)
    elif choice == 3:
        body = rng.choice([[body], "body", 42, None, [], True])
    elif choice == 4:
        for other in rng.sample(sorted(body), k=min(3, len(body))):
            body[other] = rng.choice(ODD_VALUES)
    else:
        # JSON that Python writes and a strict parser refuses: NaN and Infinity
        return json.dumps({**body, key: rng.choice([float("nan"), float("inf")])}).encode()
    # a lone surrogate can only travel escaped (\\ud800): raw, it is no UTF-8 at all
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def _byte_mutant(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            break
        at = rng.randrange(len(out))
        kind = rng.randrange(6)
        if kind == 0:
            del out[at:]
        elif kind == 1:
            out[at] = rng.randrange(256)
        elif kind == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3:
            del out[at : at + rng.randint(1, 16)]
        elif kind == 4:
            span = bytes(out[at : at + rng.randint(1, 32)])
            out[at:at] = span * rng.randint(1, 50)
        else:
            out[at:at] = rng.choice([b"\xff\xfe", b"\xef\xbb\xbf", b"\\u0000", b'"', b"{", b"]"])
    return bytes(out)


def _mutants(seed: dict[str, Any], rng: random.Random) -> list[bytes]:
    valid = json.dumps(seed, ensure_ascii=False).encode()
    return [_value_mutant(seed, rng) if i % 2 else _byte_mutant(valid, rng) for i in range(MUTANTS)]


def _check(response: Any, i: int, body: bytes) -> int:
    """The answer is JSON; an error carries the error shape. Returns the status."""
    where = f"mutant {i}: {body[:200]!r}"
    assert response.status_code < 500, where
    assert response["Content-Type"].startswith("application/json"), where
    data = response.json()
    if response.status_code >= 400:
        assert isinstance(data.get("errors"), list) and data["errors"], where
        for error in data["errors"]:
            assert set(error) >= {"field", "code", "message"} and error["message"], where
    return int(response.status_code)


def test_mutated_change_reports_never_give_a_500(county: None) -> None:
    reporter = api_client(user_with_role("r-fuzz", "reporter", VILLAGE_A1))
    seed = {
        "kind": "birth",
        "client_ref": "fuzz-0001",
        "village": VILLAGE_A1,
        "effective_date": "2025-06-01",
        "name": "张小红",
        "sex": "F",
        "mother": Person.objects.get(person_ref="P2").pk,
        "father": Person.objects.get(person_ref="P1").pk,
    }
    before = Event.objects.count()
    first = reporter.post("/api/changes/", json.dumps(seed), content_type="application/json")
    assert first.status_code == 201
    rng = random.Random(2305)
    statuses: dict[int, int] = {}
    for i, body in enumerate(_mutants(seed, rng)):
        response = reporter.post("/api/changes/", body, content_type="application/json")
        status = _check(response, i, body)
        statuses[status] = statuses.get(status, 0) + 1
    created = Event.objects.filter(pk__gt=0).count() - before
    # each 201 made one report, and every report is the reporter's own village's
    assert created == 1 + statuses.get(201, 0)
    outside = Event.objects.filter(status="submitted").exclude(orgunit_id=VILLAGE_A1)
    assert not outside.exists()
    # both ends occurred: refusals, and mutants that still were the same report (200)
    assert statuses.get(400, 0) >= 10 and statuses.get(200, 0) >= 3, statuses


def test_mutated_hospital_notifications_never_give_a_500(county: None) -> None:
    _sender, token = sender_create(
        code="H-FUZZ", name="县人民医院", orgunit=OrgUnit.objects.get(code=TOWNSHIP_A), actor="t"
    )
    hospital = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    seed = {
        "id": "FUZZ-1",
        "kind": "death",
        "name": "张伟",
        "id_number": id_number("1990-03-05", 11),
        "sex": "男",
        "death_date": "2025-06-01",
    }
    first = hospital.post("/api/notifications/", json.dumps(seed), content_type="application/json")
    assert first.status_code == 201
    rng = random.Random(2306)
    statuses: dict[int, int] = {}
    for i, body in enumerate(_mutants(seed, rng)):
        response = hospital.post("/api/notifications/", body, content_type="application/json")
        status = _check(response, i, body)
        statuses[status] = statuses.get(status, 0) + 1
    # every notification received is one staged row: none lost, none twice
    assert RosterRow.objects.count() == 1 + statuses.get(201, 0)
    assert statuses.get(400, 0) >= 10 and statuses.get(200, 0) >= 3, statuses
