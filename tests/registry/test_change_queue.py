"""The review queue pages (issue 23's soak): fifty reports a page, newest first, the village
counts as the totals, and the village filter kept on every page link."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from tests.builders import TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, login_as, user_with_role

pytestmark = pytest.mark.django_db


def _births(code: str, n: int, start: int, actor: Any) -> list[str]:
    village = OrgUnit.objects.get(code=code)
    names = []
    for i in range(start, start + n):
        name = f"排队{i:03d}"
        services.birth_submit(
            name=name,
            sex="F",
            birth_date=datetime.date(2025, 6, 1),
            orgunit=village,
            actor=actor,
            external_ref=f"queue-{i}",
        )
        names.append(name)
    return names


def _names(html: str) -> list[str]:
    """The names of the listed reports, in order (a row names its person twice when it can be
    ticked: in the checkbox's label and in its cell)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return list(dict.fromkeys(re.findall(r"排队\d{3}", body)))


def test_the_queue_is_paged_newest_first_with_the_village_counts(county: None) -> None:
    reviewer = user_with_role("q-stat", "statistician", TOWNSHIP_A)
    a1 = _births(VILLAGE_A1, 70, 0, reviewer)
    a2 = _births(VILLAGE_A2, 50, 70, reviewer)
    newest_first = list(reversed(a1 + a2))
    client = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), reviewer)

    first = client.get("/changes/").content.decode()
    assert _names(first) == newest_first[:50]
    assert "1–50 of 120" in first
    third = client.get("/changes/", {"page": 3}).content.decode()
    assert _names(third) == newest_first[100:120]
    beyond = client.get("/changes/", {"page": 99}).content.decode()
    assert _names(beyond) == newest_first[100:120]  # the nearest page

    only_a1 = client.get("/changes/", {"village": VILLAGE_A1, "page": 2}).content.decode()
    assert _names(only_a1) == list(reversed(a1))[50:70]
    assert "51–70 of 70" in only_a1
    assert f"village={VILLAGE_A1}&amp;page=1" in only_a1  # the previous page keeps the filter

    zh = login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), reviewer)
    assert "下一页" in zh.get("/changes/").content.decode()
