"""The service pages: service staff record and read; everyone else sees rates and counts
only, and no page outside the service role shows a person's service data."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver

from renkou.core.models import AuditLog
from renkou.health.models import ServiceStep
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, login_as
from tests.health.build import couple, open_record, step

pytestmark = pytest.mark.django_db

STAFF_MARK = "标记医生甲"  # the staff name and advice of the records: found on no other page
ADVICE_MARK = "标记建议乙"


def _client(user: Any) -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), user)


def _records(staff: dict[str, Any]) -> Any:
    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc)
    step(svc, record, "enrolled", "2025-02-01", inst, staff_name=STAFF_MARK)
    step(svc, record, "examined", "2025-02-10", inst, staff_name=STAFF_MARK)
    step(
        svc,
        record,
        "risk_assessed",
        "2025-02-20",
        inst,
        staff_name=STAFF_MARK,
        outcome="high",
        advice=ADVICE_MARK,
    )
    return record


def test_service_staff_record_a_couple_check_through_the_pages(staff: dict[str, Any]) -> None:
    woman, man = couple()
    client = _client(staff["service_a"])
    page = client.get(f"/persons/{woman.pk}/").content.decode()
    assert f"/health/persons/{woman.pk}/" in page
    response = client.post(
        f"/health/persons/{woman.pk}/records/",
        {
            "token": "t-1",
            "programme": "pre_pregnancy",
            "man_id_number": "",
            "opened_on": "2025-02-01",
            "consent_on": "2025-02-01",
            "consent_scope": "服务",
            "consent_given": "on",
        },
    )
    # a couple's programme without the partner: refused, back on the person's page
    assert response.status_code == 302 and response["Location"].endswith(f"/{woman.pk}/")
    from renkou.core import crypto

    number = crypto.decrypt(man.id_number_enc)
    response = client.post(
        f"/health/persons/{woman.pk}/records/",
        {
            "token": "t-2",
            "programme": "pre_pregnancy",
            "man_id_number": number,
            "opened_on": "2025-02-01",
            "consent_on": "2025-02-01",
            "consent_scope": "服务",
            "consent_given": "on",
        },
    )
    assert response.status_code == 302 and "/health/records/" in response["Location"]
    url = response["Location"]
    for name, on in (("enrolled", "2025-02-01"), ("examined", "2025-02-10")):
        client.post(
            f"{url}steps/",
            {"step": name, "on": on, "institution": "MCH-330122", "staff_name": "王医生"},
        )
    client.post(
        f"{url}steps/",
        {
            "step": "risk_assessed",
            "on": "2025-02-20",
            "institution": "MCH-330122",
            "staff_name": "王医生",
            "outcome": "low",
            "advice": "孕前保健",
        },
    )
    assert ServiceStep.objects.count() == 3
    page = client.get(url).content.decode()
    assert "低风险" in page and "孕前保健" in page and "Low risk" not in page
    assert AuditLog.objects.filter(action="health.record.viewed").exists()


def test_other_roles_never_open_a_record(staff: dict[str, Any]) -> None:
    record = _records(staff)
    woman, _man = couple()
    for who in ("stat_a", "admin", "reporter", "service_b"):
        client = _client(staff[who])
        expected = 404 if who == "service_b" else 403
        assert client.get(f"/health/persons/{woman.pk}/").status_code in (expected, 404)
        assert client.get(f"/health/records/{record.pk}/").status_code == 404
    auditor = _client(staff["auditor"])
    page = auditor.get(f"/health/records/{record.pk}/").content.decode()
    assert ADVICE_MARK in page  # the auditor reads a record by its number (audited)
    assert AuditLog.objects.filter(action="health.record.viewed", actor=staff["auditor"]).exists()


def test_rates_page_counts_in_chinese(staff: dict[str, Any]) -> None:
    _records(staff)
    page = _client(staff["admin"]).get(f"/health/area/{COUNTY}/?period=2025").content.decode()
    assert "高风险比例" in page and "(1/1)" in page
    assert "Health services" not in page and "High-risk share" not in page
    assert STAFF_MARK not in page and ADVICE_MARK not in page


def _plain_urls() -> list[str]:
    def walk(patterns: Any, prefix: str = "") -> Any:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    skip = ("i18n/", "accounts/", "api/")
    return [
        "/" + u
        for u in walk(get_resolver().url_patterns)
        if "<" not in u and "^" not in u and not u.startswith(skip)
    ]


def test_no_page_outside_the_service_role_shows_service_data(staff: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    record = _records(staff)
    woman, man = couple()
    admin = get_user_model().objects.create_superuser(username="root", password="x-Pass-2026")
    urls = [
        *_plain_urls(),
        f"/persons/{woman.pk}/",
        f"/persons/{man.pk}/",
        f"/persons/?q={woman.name}",
        f"/households/{woman.household_id}/",
        f"/orgunits/{VILLAGE_A1}/",
        f"/statistics/{VILLAGE_A1}/",
        f"/reports/{TOWNSHIP_A}/",
        f"/health/area/{VILLAGE_A1}/?period=2025",
        f"/health/area/{VILLAGE_A1}/figures/",
        "/audit/?object_type=health.record",
    ]
    for who, user in [
        *((w, staff[w]) for w in ("stat_a", "admin", "reporter", "auditor")),
        ("sysadmin", admin),
    ]:
        client = _client(user)
        for url in urls:
            response = client.get(url)
            body = (
                response.content.decode("utf-8", "replace") if response.status_code == 200 else ""
            )
            assert STAFF_MARK not in body and ADVICE_MARK not in body, (who, url)
            assert not re.search(r"/health/(persons|records)/\d", body), (who, url)
        assert client.get(f"/health/persons/{woman.pk}/").status_code in (403, 404)
    assert datetime.date.today() and record.pk
