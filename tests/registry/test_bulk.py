"""Bulk apply and reject on the change list: each change decided and audited on its own."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from renkou.core.models import AuditLog
from renkou.notifications.models import Notification, Verb
from renkou.orgunits.models import OrgUnit
from renkou.quality.models import Confirmation
from renkou.registry import services
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, login_as, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(county: None) -> dict[str, Any]:
    """Three births reported in A1, of no mother in the register (else the second and third
    come too soon after the first), each with a warning: no identity number over a year
    after the birth."""
    reporter = user_with_role("rep-a1", "reporter", VILLAGE_A1)
    a1 = OrgUnit.objects.get(code=VILLAGE_A1)
    births = [
        services.birth_submit(
            name=name,
            sex="F",
            birth_date=datetime.date(2024, 5, i + 1),
            orgunit=a1,
            actor=reporter,
        )
        for i, name in enumerate(["张一", "张二", "张三"])
    ]
    return {
        "reporter": reporter,
        "stat": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "births": births,
    }


def client(user: Any) -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), user)


def statuses(events: list[Event]) -> list[str]:
    return [Event.objects.get(pk=e.pk).status for e in events]


def test_the_list_offers_a_selection_to_a_reviewer_only(queue: dict[str, Any]) -> None:
    page = client(queue["stat"]).get("/changes/").content.decode()
    for e in queue["births"]:
        assert f'name="event" value="{e.pk}"' in page
    assert 'action="/changes/bulk/"' in page
    mine = client(queue["reporter"]).get("/changes/").content.decode()
    assert 'name="event"' not in mine and "/changes/bulk/" not in mine


def test_warnings_need_their_reason_in_bulk_as_on_the_single_page(queue: dict[str, Any]) -> None:
    stat = client(queue["stat"])
    ids = [e.pk for e in queue["births"]]
    refused = stat.post("/changes/bulk/", {"event": ids, "decision": "apply"})
    assert refused.status_code == 200
    assert statuses(queue["births"]) == ["submitted"] * 3
    assert len(refused.context["refused"]) == 3 and refused.context["decided"] == []
    assert "身份证" in refused.content.decode()  # the warning, in words
    done = stat.post(
        "/changes/bulk/", {"event": ids, "decision": "apply", "warnings_reason": "补报，尚未办证"}
    )
    assert statuses(queue["births"]) == ["applied"] * 3
    assert "已生效：3 条" in done.content.decode()
    # each one audited on its own, its warning confirmed with the reason
    applied = AuditLog.objects.filter(action="event.apply", object_id__in=[str(i) for i in ids])
    assert applied.count() == 3
    children = Person.objects.filter(name__in=["张一", "张二", "张三"])
    assert Confirmation.objects.filter(person__in=children, reason="补报，尚未办证").count() >= 3
    assert Notification.objects.filter(recipient=queue["reporter"], verb=Verb.APPLIED).count() == 3


def test_one_refused_does_not_hold_up_the_others(queue: dict[str, Any]) -> None:
    first, second, third = queue["births"]
    services.event_reject(event=second, actor=queue["stat"], reason="重复")
    stat = client(queue["stat"])
    done = stat.post(
        "/changes/bulk/",
        {"event": [first.pk, second.pk, third.pk], "decision": "apply", "warnings_reason": "核实"},
    )
    assert statuses([first, second, third]) == ["applied", "rejected", "applied"]
    assert [e.pk for e in done.context["decided"]] == [first.pk, third.pk]
    [(event, reasons)] = done.context["refused"]
    assert event.pk == second.pk and reasons == ["当前状态 rejected 不允许此操作"]
    text = done.content.decode()
    assert "已生效：2 条" in text and "未通过：1 条" in text and "张二" in text


def test_bulk_reject_with_one_reason(queue: dict[str, Any]) -> None:
    stat = client(queue["stat"])
    ids = [e.pk for e in queue["births"][:2]]
    nothing = stat.post("/changes/bulk/", {"event": ids, "decision": "reject"}, follow=True)
    assert "请填写退回原因" in nothing.content.decode()
    assert statuses(queue["births"]) == ["submitted"] * 3
    stat.post("/changes/bulk/", {"event": ids, "decision": "reject", "reason": "请补充出生证明"})
    assert statuses(queue["births"]) == ["rejected", "rejected", "submitted"]
    assert {Event.objects.get(pk=i).reject_reason for i in ids} == {"请补充出生证明"}
    assert AuditLog.objects.filter(action="event.rejected").count() == 2
    told = Notification.objects.filter(recipient=queue["reporter"], verb=Verb.REJECTED)
    assert sorted(int(n.object_id) for n in told) == ids


def test_changes_outside_the_reviewers_area_are_refused(queue: dict[str, Any]) -> None:
    ids = [e.pk for e in queue["births"]]
    other = client(user_with_role("stat-b", "statistician", TOWNSHIP_B))
    response = other.post("/changes/bulk/", {"event": ids, "decision": "reject", "reason": "x"})
    assert response.status_code == 200 and response.context["decided"] == []
    assert [pk for pk, _r in response.context["refused"]] == ids  # by number only
    assert "张一" not in response.content.decode()
    assert statuses(queue["births"]) == ["submitted"] * 3
    reporter = client(queue["reporter"])
    assert reporter.post("/changes/bulk/", {"event": ids, "decision": "apply"}).status_code == 403
