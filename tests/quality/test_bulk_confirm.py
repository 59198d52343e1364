"""Confirming several findings of one rule with one reason: each checked and audited alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages

from renkou.core.models import AuditLog
from renkou.quality.bulk import quality_run
from renkou.quality.models import Confirmation, Finding
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, VILLAGE_A2, client_as
from tests.quality.cases import person

pytestmark = pytest.mark.django_db
URL = "/quality/findings/confirm/"
RULE = "Q-REQ-ETHNICITY"


@pytest.fixture
def flagged(county: None) -> dict[str, Any]:
    people = {
        "a": person("甲一", "M", "1970-01-01", ethnicity=""),
        "b": person("甲二", "F", "1971-01-01", ethnicity=""),
        "c": person(
            "乙一",
            "F",
            "1972-01-01",
            ethnicity="",
            residence_orgunit_id=VILLAGE_A2,
            hukou_orgunit_id=VILLAGE_A2,
        ),
        "m": person("甲婚", "M", "1973-01-01", marital_status=""),
    }
    quality_run(actor="test")
    return {
        key: Finding.objects.get(person=p, rule=RULE if key != "m" else "Q-REQ-MARITAL").pk
        for key, p in people.items()
    }


def _texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_reviewer_confirms_several_and_is_told_which_were_refused(flagged: dict) -> None:
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    ids = [flagged["a"], flagged["b"], flagged["c"], flagged["m"], 999999]
    response = stat.post(
        URL,
        {
            "rule": RULE,
            "reason": "查实为汉族",
            "ids": [str(i) for i in ids],
            "next": "/quality/findings/?rule=" + RULE,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?rule=" + RULE)
    confirmed = Confirmation.objects.filter(rule=RULE)
    assert {c.person.name for c in confirmed} == {"甲一", "甲二", "乙一"}
    assert {c.reason for c in confirmed} == {"查实为汉族"}
    assert not Finding.objects.filter(rule=RULE).exists()
    assert Finding.objects.filter(pk=flagged["m"]).exists()  # the other rule's stays
    rows = AuditLog.objects.filter(action="quality.confirm")
    assert rows.count() == 3 and {r.reason for r in rows} == {"查实为汉族"}
    assert {r.actor_label for r in rows} == {"stat"}
    texts = _texts(response)
    assert "已完成 3 项。" in texts
    assert "甲婚 未处理：该问题属于其他规则" in texts
    assert "#999999 未处理：您的辖区内没有该未处理问题" in texts
    # again: nothing is confirmed twice
    again = stat.post(URL, {"rule": RULE, "reason": "再次", "ids": [str(flagged["a"])]})
    assert Confirmation.objects.filter(rule=RULE).count() == 3
    assert AuditLog.objects.filter(action="quality.confirm").count() == 3
    assert any("未处理" in t for t in _texts(again))


def test_without_a_reason_or_a_rule_nothing_changes(flagged: dict) -> None:
    admin = client_as("county_admin", COUNTY, "boss")
    ids = [str(flagged["a"]), str(flagged["b"])]
    for body in (
        {"rule": RULE, "reason": "  ", "ids": ids},
        {"rule": "nope", "reason": "x", "ids": ids},
    ):
        response = admin.post(URL, body, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        assert not Confirmation.objects.exists()
        assert Finding.objects.filter(rule=RULE).count() == 3
        assert any("refused" in t for t in _texts(response))


def test_a_reporter_and_another_township_confirm_nothing(flagged: dict) -> None:
    ids = [str(flagged["a"]), str(flagged["b"])]
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    texts = _texts(reporter.post(URL, {"rule": RULE, "reason": "x", "ids": ids}))
    assert texts == ["甲一 未处理：您不负责审核该村（居）", "甲二 未处理：您不负责审核该村（居）"]
    other = client_as("statistician", TOWNSHIP_B, "b")
    texts = _texts(other.post(URL, {"rule": RULE, "reason": "x", "ids": ids}))
    assert all("您的辖区内没有该未处理问题" in t for t in texts) and len(texts) == 2
    assert not Confirmation.objects.exists()
    assert not AuditLog.objects.filter(action="quality.confirm").exists()


def test_the_findings_page_offers_the_bulk_form_only_for_one_rule(flagged: dict) -> None:
    stat = client_as("statistician", TOWNSHIP_A, "stat")
    assert 'id="bulk-confirm"' not in stat.get("/quality/findings/").content.decode()
    html = stat.get("/quality/findings/", {"rule": RULE}).content.decode()
    assert 'id="bulk-confirm"' in html
    assert html.count('form="bulk-confirm"') == 3  # one box per finding
    reporter = client_as("reporter", VILLAGE_A1, "rep")
    assert (
        'id="bulk-confirm"'
        not in reporter.get("/quality/findings/", {"rule": RULE}).content.decode()
    )
