"""The health services in the statistical forms (form 5), the work summary (section 九) and
the dashboard, with figures worked out by hand from a few records."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import get_template
from django.utils import translation

from renkou.analytics.periods import parse
from renkou.health import selectors
from renkou.health.services import figure_set
from renkou.orgunits.models import OrgUnit
from renkou.reports.data import ReportData
from renkou.reports.forms import health_form
from renkou.reports.summary import health_figures
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, client_as
from tests.health.build import open_record, step

pytestmark = pytest.mark.django_db


def _data(code: str) -> ReportData:
    unit = OrgUnit.objects.get(code=code)
    period = parse("2025")
    return ReportData(
        unit=unit,
        period=period,
        basis="registered",
        values={},
        other_basis={},
        previous={},
        previous_period=parse("2024"),
        children=list(unit.children.order_by("code")),
        child_values={},
        months={},
        health=selectors.rates_of(code, period),
    )


def _two_couples(staff: dict[str, Any]) -> None:
    """A1: the couple examined (high risk) and followed early; target couples A1 4, A2 1."""
    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc)
    step(svc, record, "enrolled", "2025-02-01", inst)
    step(svc, record, "examined", "2025-02-10", inst)
    step(svc, record, "risk_assessed", "2025-02-20", inst, outcome="high")
    step(svc, record, "early_followup", "2025-05-01", inst)
    for code, value in ((VILLAGE_A1, 4), (VILLAGE_A2, 1)):
        figure_set(
            orgunit=OrgUnit.objects.get(code=code),
            year=2025,
            kind="target_couples",
            value=value,
            actor=staff["admin"],
        )
    figure_set(
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        year=2025,
        kind="pregnancies",
        value=1,
        actor=staff["admin"],
    )


def test_form_five_rows_by_hand(staff: dict[str, Any]) -> None:
    _two_couples(staff)
    with translation.override("zh-hans"):
        form = health_form(_data(TOWNSHIP_A))
    keys = [c.key for c in form.columns]
    by_row = {r.code or r.kind: dict(zip(keys, r.values, strict=True)) for r in form.rows}
    # A1: 1 of 4 target couples = 25 %; A2: 0 of 1; township: 1 of 5 = 20 %
    assert (by_row[VILLAGE_A1]["coverage_n"], by_row[VILLAGE_A1]["coverage_d"]) == (1, 4)
    assert by_row[VILLAGE_A1]["coverage"] == pytest.approx(25.0)
    assert by_row[VILLAGE_A2]["coverage"] == pytest.approx(0.0)
    assert by_row["total"]["coverage"] == pytest.approx(20.0)
    assert by_row["total"]["early_followup"] == pytest.approx(100.0)  # 1 of 1
    assert by_row["total"]["high_risk"] == pytest.approx(100.0)  # 1 of 1 assessed
    assert by_row["total"]["premarital_d"] == 0  # no marriage in 2025
    assert form.title == "健康服务"


def test_summary_section_by_hand(staff: dict[str, Any], tmp_path: Path) -> None:
    _two_couples(staff)
    figures = health_figures(_data(TOWNSHIP_A))
    with translation.override("zh-hans"):
        text = get_template("reports/summary.zh-hans.txt").render(
            {"health": figures, "period_name": "2025年"}
        )
    line = next(x for x in text.splitlines() if x.startswith("2025年国家免费"))
    assert line.startswith(
        "2025年国家免费孕前优生健康检查夫妇1对，目标人群覆盖率20.00%；早孕随访1对，"
        "早孕随访率100.00%；妊娠结局随访0对；风险评估1对，其中高风险1对，占100.00%。"
    )
    assert "两癌筛查0人" in line and "婚前医学检查0对" in line
    assert "十、图表" in text


def test_the_dashboard_shows_the_rates_to_the_office(staff: dict[str, Any]) -> None:
    _two_couples(staff)
    client = client_as("county_admin", TOWNSHIP_A, "dash")
    page = client.get(f"/statistics/{TOWNSHIP_A}/?period=2025").content.decode()
    assert 'id="health"' in page and "目标人群覆盖率" in page and "(1/5)" in page
    assert datetime.date(2025, 1, 1)


def test_many_units_and_periods_at_once_equal_each_one_alone(staff: dict[str, Any]) -> None:
    from renkou.health.selectors import rates_many

    _two_couples(staff)
    periods = [parse("2025"), parse("2025Q1"), parse("202502"), parse("202505"), parse("2024")]
    codes = [COUNTY, TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2]
    many = rates_many(codes, periods)
    for code in codes:
        for period in periods:
            alone = rates_many([code], [period])[(code, period.id)]
            assert many[(code, period.id)] == alone, (code, period.id)
    # by hand: February 2025 holds the examination and the assessment, May the follow-up
    feb, may = many[(VILLAGE_A1, "202502")], many[(VILLAGE_A1, "202505")]
    assert (feb.coverage.numerator, feb.high_risk.numerator, feb.early_followup.numerator) == (
        1,
        1,
        0,
    )
    assert (may.coverage.numerator, may.early_followup.numerator) == (0, 1)
    assert many[(COUNTY, "2024")].coverage.numerator == 0
