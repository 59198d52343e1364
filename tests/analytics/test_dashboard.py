"""The statistics dashboard: cached figures of a unit and period, charts with tables and CSV,
drill-down, scoping, and computing a period in the background."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from renkou.core.models import AuditLog, Job
from tests.analytics.hand_register import A1, COUNTY, TOWNSHIP_A, TOWNSHIP_B, hand_register
from tests.builders import client_as
from tests.shared import shared_register

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MONTHS = [f"2024{m:02d}" for m in range(1, 13)]


def build(base: Path) -> None:
    """The hand register with 2024 and its months computed (once per module)."""
    hand_register(base / "load")
    indicators_refresh(periods=[parse(p) for p in ["2024", *MONTHS]])


register_built, register = shared_register(build)


def test_headline_charts_and_sub_units(register: None) -> None:
    page = client_as("county_admin", COUNTY).get(f"/statistics/{COUNTY}/", {"period": "2024"})
    headline = {c["name"]: c for c in page.context["headline"]}
    assert headline["births"]["value"] == "5"
    assert headline["sex_ratio_at_birth"]["small"] is True  # five births: read with care
    charts = {c["key"]: c for c in page.context["charts"]}
    by_month = dict(charts["births_by_month"]["rows"])
    assert (by_month["202402"], by_month["202403"], by_month["202407"]) == (1, 1, 2)
    assert by_month["202412"] == 0
    assert '"type": "bar"' in charts["births_by_month"]["json"]
    assert [r["unit"].code for r in page.context["children"]] == [TOWNSHIP_A, TOWNSHIP_B]
    assert f"/statistics/{TOWNSHIP_A}/?period=2024" in page.content.decode()


def test_population_pyramid_and_married_women_by_living_children(register: None) -> None:
    page = client_as("county_admin", COUNTY).get(f"/statistics/{A1}/", {"period": "2024"})
    charts = {c["key"]: c for c in page.context["charts"]}
    pyramid = {r[0]: (r[1], r[2]) for r in charts["pyramid"]["rows"]}
    # A1 registered at the end of 2024 (see hand_register): boys C1 T1, girls C2 T2 under 5
    assert pyramid["0–4"] == (2, 2)
    assert pyramid["30–34"] == (0, 2) and pyramid["60–64"] == (0, 1)
    assert pyramid["100+"] == (0, 0)
    assert (
        '"stack": "p"' in charts["pyramid"]["json"]
        and '"absolute": true' in charts["pyramid"]["json"]
    )
    married = [r[1] for r in charts["married_women"]["rows"]]
    assert married == [0, 1, 2, 0]
    headline = {c["name"]: c for c in page.context["headline"]}
    assert headline["married_women_15_49"]["value"] == "3"
    html = page.content.decode()
    assert "0–4" in html  # the age column is shown as text, not run through a number filter


def test_each_chart_downloads_as_csv_and_the_export_is_audited(register: None) -> None:
    client = client_as("county_admin", COUNTY)
    response = client.get(f"/statistics/{COUNTY}/", {"period": "2024", "csv": "births_by_month"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 13  # the header and twelve months
    assert ["202407", "2"] in rows and ["202412", "0"] in rows
    audit = AuditLog.objects.get(action="statistics.export")
    assert audit.after["table"] == "births_by_month" and audit.object_id == COUNTY


def test_dashboard_is_scoped(register: None) -> None:
    reporter = client_as("reporter", A1)
    assert reporter.get(f"/statistics/{COUNTY}/").status_code == 404
    assert reporter.get("/statistics/").context["unit"].code == A1


@override_settings(TASKS=IMMEDIATE)
def test_an_uncomputed_period_is_computed_in_the_background(
    register: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as("county_admin", COUNTY)
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2024Q3"})
    assert page.context["headline"] == [] and page.context["can_compute"]
    assert (
        client_as("reporter", A1, name="r")
        .post(f"/statistics/{A1}/compute/", {"period": "2024Q3"})
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/statistics/{COUNTY}/compute/", {"period": "2024Q3"})
    assert Job.objects.get(kind="indicators.compute").status == "done"
    births = IndicatorValue.objects.get(
        orgunit=COUNTY, period="2024Q3", basis="registered", indicator="births"
    )
    assert births.value == 2  # the twins


@pytest.mark.parametrize("text", ["2025-13", "202513", "2024Q5", "20x4"])
def test_a_period_that_does_not_exist_is_refused_naming_it(register: None, text: str) -> None:
    client = client_as("county_admin", COUNTY)
    page = client.get(f"/statistics/{COUNTY}/", {"period": text})
    assert page.status_code == 400
    body = page.content.decode()
    assert f"不是有效的统计时期：{text}" in body
    assert "headline" not in (page.context or {})  # no other period's figures instead
    english = client.get(f"/statistics/{COUNTY}/", {"period": text}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and f"not a period: {text}" in english.content.decode()
    computed = client.post(f"/statistics/{COUNTY}/compute/", {"period": text})
    assert computed.status_code == 400 and text in computed.content.decode()
    assert not Job.objects.filter(kind="indicators.compute").exists()
    # outside the user's area it is still "not found"
    other = client_as("statistician", TOWNSHIP_B, name="b").get(
        f"/statistics/{TOWNSHIP_A}/", {"period": text}
    )
    assert other.status_code == 404
