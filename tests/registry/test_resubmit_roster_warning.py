"""A warning on a roster-originated birth is confirmed in one place: the reason given with
the decision to apply, not also a confirmation form on the warning's own card."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from renkou.exchange.models import RosterRow
from renkou.quality.models import Confirmation
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, client_as
from tests.exchange.test_pages import IMMEDIATE, P2, _csv, _upload

pytestmark = pytest.mark.django_db


@override_settings(TASKS=IMMEDIATE)
def test_the_warning_of_a_birth_from_a_hospital_roster_is_confirmed_once(
    county: None, django_capture_on_commit_callbacks: Any
) -> None:
    stat = client_as("statistician", TOWNSHIP_A, "stat-a")
    births = _csv(
        [
            ["婴儿姓名", "婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"],
            ["张小红", "女", "2025-03-01", "李丽", P2],
        ],
        "births.csv",
    )
    _upload(stat, django_capture_on_commit_callbacks, births, "hospital_births")
    row = RosterRow.objects.get()
    page = stat.post(f"/exchange/rows/{row.pk}/report/", follow=True)
    event = Event.objects.get(pk=RosterRow.objects.get().event_id)
    assert page.redirect_chain == [(f"/changes/{event.pk}/", 302)]
    assert [(f["rule"], f["severity"]) for f in page.context["findings"]] == [
        ("Q-REQ-ID-NUMBER", "warning")
    ]
    text = page.content.decode()
    # one place to confirm it: the reason beside "apply", no form on the warning's card
    assert f'action="/changes/{event.pk}/confirm/"' not in text
    assert text.count('name="warnings_reason"') == 1
    assert "李丽" in text and "330122********0220" in text  # the mother the roster named
    stat.post(
        f"/changes/{event.pk}/decide/", {"decision": "apply", "warnings_reason": "出生医学证明核实"}
    )
    event.refresh_from_db()
    assert event.status == "applied"
    child = Person.objects.get(pk=event.person_id)
    assert list(Confirmation.objects.filter(person=child).values_list("rule", "reason")) == [
        ("Q-REQ-ID-NUMBER", "出生医学证明核实")
    ]
