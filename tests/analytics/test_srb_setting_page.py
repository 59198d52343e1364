"""The sex ratio setting's page: everyone signed in reads the history; a county administrator
sets a new one (audited, then in force for the periods ending after its date); others may
not; a setting that cannot hold is refused with a message in the page's language."""

from __future__ import annotations

import datetime

import pytest

from renkou.analytics.models import SexRatioSetting, stored_srb_settings
from renkou.core.models import AuditLog
from tests.builders import client_as

pytestmark = pytest.mark.django_db
URL = "/statistics/settings/sex-ratio/"
COUNTY = "330122"


@pytest.fixture
def units(db):
    from renkou.orgunits.models import OrgUnit

    for code, name, level, parent in (
        ("33", "浙江省", 1, None),
        ("3301", "杭州市", 2, "33"),
        (COUNTY, "桐庐县", 3, "3301"),
    ):
        OrgUnit.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent}
        )


def test_a_county_administrator_sets_the_band_and_weights_from_a_date(units):
    client = client_as("county_admin", COUNTY)
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Y-3..Y-1=40,Y=60" in body and "103–107" in body  # the default
    answer = client.post(
        URL,
        {
            "valid_from": "2016-01-01",
            "normal_low": "102",
            "normal_high": "108",
            "weights": "Y-2..Y-1=30, Y=70",
            "reason": "县考评方案 2016",
        },
    )
    assert answer.status_code == 302
    row = SexRatioSetting.objects.get()
    assert (row.valid_from, row.normal_low, row.normal_high) == (
        datetime.date(2016, 1, 1),
        102.0,
        108.0,
    )
    assert stored_srb_settings().at(datetime.date(2016, 12, 31)).parts_text() == "Y-2..Y-1=30,Y=70"
    audit = AuditLog.objects.get(action="statistics.srb_setting")
    assert audit.actor.username == "u" and audit.reason == "县考评方案 2016"
    assert "102–108" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "此设置不成立"), ("en", "This setting cannot hold")],
)
def test_a_setting_that_cannot_hold_is_refused_in_the_page_language(units, language, message):
    client = client_as("county_admin", COUNTY)
    answer = client.post(
        URL,
        {
            "valid_from": "2016-01-01",
            "normal_low": "103",
            "normal_high": "107",
            "weights": "Y-3..Y-1=40,Y=50",
            "reason": "x",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 200 and message in answer.content.decode()
    assert not SexRatioSetting.objects.exists()


def test_a_statistician_reads_but_may_not_change(units):
    client = client_as("statistician", COUNTY)
    page = client.get(URL)
    assert (
        page.status_code == 200 and '<form method="post" class="card">' not in page.content.decode()
    )
    answer = client.post(
        URL,
        {
            "valid_from": "2016-01-01",
            "normal_low": "103",
            "normal_high": "107",
            "weights": "Y=100",
            "reason": "x",
        },
    )
    assert answer.status_code == 403
    assert not SexRatioSetting.objects.exists()
