"""The reports name a statistical year as people do, and judge the sex ratio by the band in
force at the period's end."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from renkou.analytics import srb_settings
from renkou.analytics.periods import parse
from renkou.analytics.services import srb_setting_set
from renkou.reports.data import ReportData
from renkou.reports.forms import _header_period
from renkou.reports.prose import Fig, srb_status
from renkou.reports.summary import period_name


@pytest.mark.parametrize(
    ("period", "language", "header", "sentence"),
    [
        ("2023Oct", "zh-hans", "2024 统计年度 (2023-10-01 – 2024-09-30)", "2024 统计年度"),
        (
            "2023Oct",
            "en",
            "Statistical year 2024 (2023-10-01 – 2024-09-30)",
            "the statistical year 2024",
        ),
        (
            "2023OctS1",
            "zh-hans",
            "2024 统计年度上半年 (2023-10-01 – 2024-03-31)",
            "2024 统计年度上半年",
        ),
        (
            "2023OctS2",
            "en",
            "Statistical year 2024, second half (2024-04-01 – 2024-09-30)",
            "the second half of the statistical year 2024",
        ),
        ("202403D2", "zh-hans", "2024年3月中旬 (2024-03-11 – 2024-03-20)", "2024年3月中旬"),
        ("202402D3", "en", "2024-02, days 21 to the end (2024-02-21 – 2024-02-29)", None),
    ],
)
def test_forms_and_summary_name_the_statistical_year(period, language, header, sentence):
    with translation.override(language):
        assert _header_period(SimpleNamespace(period=parse(period))) == header
        assert period_name(parse(period)) == (sentence or header.split(" (")[0])


def test_the_sex_ratio_is_judged_by_the_band_in_force_at_the_period_end(db):
    fig = Fig(raw=112.0, low_raw=107.5, high_raw=117.0)
    assert srb_status(fig) == "above"  # the default band 103–107
    srb_setting_set(
        valid_from=datetime.date(2024, 1, 1),
        normal_low=100.0,
        normal_high=110.0,
        parts=srb_settings.DEFAULT_PARTS,
        actor="test",
        reason="test",
    )

    def band(period):
        return ReportData.srb_band.fget(SimpleNamespace(period=parse(period)))

    assert band("2023") == (103.0, 107.0)
    assert band("2024") == (100.0, 110.0)
    assert band("2023Oct") == (100.0, 110.0)  # ends 2024-09-30
    assert srb_status(fig, band("2024")) == "uncertain"
    assert srb_status(Fig(raw=95.0, low_raw=90.0, high_raw=99.0), band("2024")) == "below"
