"""Aggregate checks: outlying monthly counts, villages filing nothing, timeliness, late births."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command

from renkou.orgunits.models import OrgUnit
from renkou.quality.aggregates import aggregate_checks
from renkou.registry.models import ChangeReport
from tests.builders import COUNTY, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1
from tests.quality.cases import event, orgunits, person

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def register():
    orgunits()
    mother = person("母", "F", "1960-01-01", marital_status="married")
    for month in range(1, 13):
        births = 20 if month == 7 else 2 + month % 2  # July is far outside 2-3 a month
        for n in range(births):
            event(mother, "birth", f"2024-{month:02d}-{n + 1:02d}")
    # Village A2: one birth in the year (median 0, MAD 0: nothing is an outlier), late.
    other = person("二", "F", "1990-01-01", residence_orgunit_id=VILLAGE_A2)
    event(other, "birth", "2023-12-20", reported="2024-01-10", unit=VILLAGE_A2)
    event(other, "move_in", "2024-03-01", reported="2024-05-01", unit=VILLAGE_A2)


def _source(kind: str = "village") -> None:
    from renkou.registry.models import Event

    Event.objects.update(source=kind)


def test_a_spike_is_an_outlier_and_a_flat_series_is_not(register) -> None:
    result = aggregate_checks(
        orgunit=OrgUnit.objects.get(code=COUNTY), first=D(2024, 1, 1), last=D(2024, 12, 1)
    )
    assert [(o["orgunit"], o["kind"], o["month"], o["count"]) for o in result.outliers] == [
        (VILLAGE_A1, "birth", "2024-07", 20)
    ]
    assert result.outliers[0]["z"] > 3.5
    stricter = aggregate_checks(
        orgunit=OrgUnit.objects.get(code=COUNTY),
        first=D(2024, 1, 1),
        last=D(2024, 12, 1),
        threshold=100,
    )
    assert stricter.outliers == []


def test_missing_reports_count_village_events_and_change_reports(register) -> None:
    _source("village")
    ChangeReport.objects.create(orgunit_id=VILLAGE_B1)
    today = datetime.date.today().replace(day=1)
    result = aggregate_checks(orgunit=OrgUnit.objects.get(code=COUNTY), first=today, last=today)
    missing = {(m["orgunit"], m["month"]) for m in result.missing_reports}
    assert (VILLAGE_B1, today.isoformat()[:7]) not in missing
    assert (VILLAGE_A1, today.isoformat()[:7]) in missing
    year = aggregate_checks(
        orgunit=OrgUnit.objects.get(code=COUNTY), first=D(2024, 1, 1), last=D(2024, 12, 1)
    )
    a2 = sorted(m["month"] for m in year.missing_reports if m["orgunit"] == VILLAGE_A2)
    # A change counts for the month it is dated in (not the month it was reported in): A2's
    # move of 2024-03-01, reported in May, makes March received; January and May are missing.
    assert len(a2) == 11 and "2024-03" not in a2 and "2024-05" in a2
    # The village merged away in 2019 is not expected to report in 2024.
    assert not [m for m in year.missing_reports if m["orgunit"] == "330122100299"]


def test_timeliness_and_late_births(register) -> None:
    result = aggregate_checks(
        orgunit=OrgUnit.objects.get(code=COUNTY), first=D(2024, 1, 1), last=D(2024, 12, 1)
    )
    by_unit = {t["orgunit"]: t for t in result.timeliness}
    assert by_unit[VILLAGE_A2] == {**by_unit[VILLAGE_A2], "events": 1, "timely": 0}
    assert by_unit[VILLAGE_A1]["timely_percent"] == 100.0
    assert [(b["effective_date"], b["report_date"]) for b in result.late_births] == [
        ("2023-12-20", "2024-01-10")
    ]


def test_command_prints_json(register) -> None:
    out = io.StringIO()
    call_command(
        "quality", "aggregates", "--orgunit", COUNTY, "--from", "2024-01", "--to", "2024-12",
        stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["first_month"] == "2024-01" and len(data["outliers"]) == 1
