"""Where the statistics page opens, how it names periods, the normal band it flags by, and
how a job's result reads (the shared job partial) in Chinese and English."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from renkou.analytics import srb_settings
from renkou.analytics.cache import indicators_refresh
from renkou.analytics.periods import parse
from renkou.analytics.services import srb_setting_set
from renkou.analytics.views import period_choices
from renkou.core.models import Job
from tests.analytics.hand_register import A1, COUNTY, TOWNSHIP_A, hand_register
from tests.builders import client_as, login_as, running_here
from tests.shared import shared_register

pytestmark = pytest.mark.django_db


def build(base: Path) -> None:
    """The hand register (births and deaths in 2023 and 2024, none in 2025) with three
    years computed."""
    hand_register(base / "load")
    indicators_refresh(periods=[parse(p) for p in ["2023", "2024", "2025"]])


register_built, register = shared_register(build)


def test_a_township_user_opens_at_their_township_and_the_latest_year_with_data(register):
    page = client_as("statistician", TOWNSHIP_A).get("/statistics/")
    assert page.status_code == 200
    assert page.context["unit"].code == TOWNSHIP_A
    # 2025 is computed but has no birth or death: 2024 is the latest year with data
    assert page.context["period"].id == "2024"
    assert page.context["headline"]


def test_the_superuser_opens_at_the_county_not_the_province(register):
    admin = get_user_model().objects.create_superuser("root", password="unused-Pass-2026")
    page = login_as(Client(), admin).get("/statistics/")
    # province 33 and prefecture 3301 have one sub-unit each; the county has two
    assert page.context["unit"].code == COUNTY
    assert page.context["period"].id == "2024"


def test_a_unit_with_nothing_computed_opens_at_the_last_whole_year(db):
    from renkou.orgunits.models import OrgUnit

    OrgUnit.objects.create(code="34", name="安徽省", level=1)
    page = client_as("county_admin", "34").get("/statistics/")
    assert page.context["unit"].code == "34"
    assert page.context["period"].id == str(timezone.localdate().year - 1)


def test_the_period_list_includes_the_current_year_and_statistical_year():
    today = datetime.date(2026, 12, 2)
    choices = period_choices(today)
    assert choices[0] == "2026"
    assert "2026Oct" in choices  # 2026-10-01 … 2027-09-30, running today
    assert "2026Q4" in choices and "2027Q1" not in choices
    assert choices.index("2025") < choices.index("2021")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "2024 统计年度 (2023-10-01 – 2024-09-30)"),
        ("en", "Statistical year 2024 (2023-10-01 – 2024-09-30)"),
    ],
)
def test_the_statistical_year_is_shown_by_its_name(register, language, expected):
    client = client_as("county_admin", COUNTY)
    page = client.get(
        f"/statistics/{COUNTY}/", {"period": "2023Oct"}, HTTP_ACCEPT_LANGUAGE=language
    )
    body = page.content.decode()
    assert expected in body
    half = "2024 统计年度上半年" if language == "zh-hans" else "Statistical year 2024, first half"
    page = client.get(
        f"/statistics/{COUNTY}/", {"period": "2023OctS1"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert f"{half} (2023-10-01 – 2024-03-31)" in page.content.decode()


def test_the_sex_ratio_is_flagged_only_when_its_interval_excludes_the_band(register):
    client = client_as("county_admin", COUNTY)
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2024"})
    srb = next(c for c in page.context["headline"] if c["name"] == "sex_ratio_at_birth")
    assert srb["flag"] == ""  # a handful of births: the interval overlaps 103–107
    low, high = float(srb["low"]), float(srb["high"])
    # A band the whole interval lies above, in force from 2024: now it is flagged.
    srb_setting_set(
        valid_from=datetime.date(2024, 1, 1),
        normal_low=low - 20,
        normal_high=low - 10,
        parts=srb_settings.DEFAULT_PARTS,
        actor="test",
        reason="test band",
    )
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2024"})
    srb = next(c for c in page.context["headline"] if c["name"] == "sex_ratio_at_birth")
    assert srb["flag"].startswith("高于正常范围")
    assert (float(srb["low"]), float(srb["high"])) == (low, high)
    # The year before is judged by the band of its own end: not flagged.
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2023"})
    srb = next(c for c in page.context["headline"] if c["name"] == "sex_ratio_at_birth")
    assert srb["flag"] == ""


def _job(**fields) -> Job:
    if fields.get("status") == "running":
        fields = running_here(**fields)
    return Job.objects.create(
        kind="indicators.compute", orgunit=COUNTY, params={"period": "2024"}, **fields
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["已计算的时期", "已存储的数字"]),
        ("en", ["Periods computed", "Figures stored"]),
    ],
)
def test_a_finished_job_reads_in_the_page_language_not_as_raw_keys(db, language, words):
    job = _job(status="done", result={"periods": 1, "stored": 40}, finished_at=timezone.now())
    client = client_as("county_admin", COUNTY)
    body = client.get(f"/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for word in words:
        assert word in body
    assert "<dt>periods</dt>" not in body and "<dt>stored</dt>" not in body


def test_a_quality_job_reads_translated_too(db):
    job = Job.objects.create(
        kind="quality.run",
        orgunit=COUNTY,
        status="done",
        result={"persons": 10, "findings": 2, "persons_with_error": 1, "seconds": 0.4},
    )
    client = client_as("county_admin", COUNTY)
    body = client.get(f"/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dt>findings</dt>" not in body and "<dt>persons</dt>" not in body
    running = _job(status="running", step="snapshot")
    body = client.get(f"/jobs/{running.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "snapshot" not in body


def test_the_poll_that_sees_the_job_end_reloads_the_page_content(db):
    page = f"http://testserver/statistics/{COUNTY}/?period=2024&basis=registered"
    client = client_as("county_admin", COUNTY)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": page}
    running = _job(status="running")
    body = client.get(f"/jobs/{running.pk}/?refresh=1", **hx).content.decode()
    assert 'hx-select="main.page"' not in body  # still running: keeps polling, asking again
    assert f'hx-get="/jobs/{running.pk}/?refresh=1"' in body
    done = _job(status="done", result={"periods": 1, "stored": 4}, finished_at=timezone.now())
    text = client.get(f"/jobs/{done.pk}/?refresh=1", **hx).content.decode()
    assert f'hx-get="/statistics/{COUNTY}/?period=2024&amp;basis=registered"' in text
    assert 'hx-select="main.page"' in text
    # a page that did not ask (its content holds script elements htmx would drop) is left
    assert "hx-select" not in client.get(f"/jobs/{done.pk}/", **hx).content.decode()
    # another site's address is never fetched
    other = client.get(
        f"/jobs/{done.pk}/?refresh=1",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://evil.example/x",
    )
    assert "hx-select" not in other.content.decode()


def test_the_statistics_page_asks_for_its_content_when_its_job_ends(register):
    _job(status="running")
    body = (
        client_as("county_admin", COUNTY)
        .get(f"/statistics/{COUNTY}/", {"period": "2024"})
        .content.decode()
    )
    assert "?refresh=1" in body


def test_the_page_shows_a_recent_job_with_its_result_and_does_not_reload_itself(register):
    _job(status="done", result={"periods": 1, "stored": 4}, finished_at=timezone.now())
    page = client_as("county_admin", COUNTY).get(
        f"/statistics/{A1}/", {"period": "2024"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert "Figures stored" in body
    assert "hx-select" not in body  # only a poll's answer reloads the page


def test_no_english_is_left_on_the_chinese_page(register):
    import re

    srb_setting_set(
        valid_from=datetime.date(2024, 1, 1),
        normal_low=80.0,
        normal_high=90.0,
        parts=srb_settings.DEFAULT_PARTS,
        actor="test",
        reason="a band that flags",
    )
    _job(status="done", result={"periods": 1, "stored": 4}, finished_at=timezone.now())
    page = client_as("county_admin", COUNTY).get(
        f"/statistics/{COUNTY}/", {"period": "2024"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = page.content.decode()
    html = re.sub(r"<div hidden[^>]*>.*?</div>", "", html, flags=re.S)  # chart data
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<head>.*?</head>", "", html, flags=re.S))
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"CSV", "PNG", "English"}
    assert not words, words


def test_a_statistical_year_that_has_only_begun_is_not_where_the_page_opens(register):
    # D1 died on 2024-12-31, the last event of the register: the statistical year 2025
    # (2024Oct: 2024-10-01 – 2025-09-30) holds it but has only three months of data, so
    # the page opens at the calendar year 2024, which its data reach the end of
    ids = ["2024Oct", "202410", "202411", "202412"]
    indicators_refresh(periods=[parse(p) for p in ids])
    page = client_as("statistician", TOWNSHIP_A).get("/statistics/")
    assert page.context["period"].id == "2024"
