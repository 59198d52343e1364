"""``renkou quality run`` and ``renkou quality report`` on the small county."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from renkou.quality.models import Finding, Tally
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A2, id_number
from tests.quality.cases import person

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("quality", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_run_then_report_rates_with_counts(county) -> None:
    bad = id_number("1970-01-01", 11)[:17]
    bad += "0" if id_number("1970-01-01", 11)[17] != "0" else "1"
    person("坏号", "M", "1970-01-01", number=bad, residence_orgunit_id=VILLAGE_A2)
    person("缺族", "F", "1971-01-01", ethnicity="", residence_orgunit_id=VILLAGE_A2)
    text = _run("run", "--as-of", "2025-06-30")
    assert "7 persons checked, 2 findings, 1 persons with an error" in text
    assert "Q-ID-CHECKSUM" in text and "Q-REQ-ETHNICITY" in text
    assert "quality" in text and "4/4" in text  # the progress bar reached its end
    assert Finding.objects.count() == 2
    assert Tally.objects.filter(day="2025-06-30").count() == 2

    rows = json.loads(
        _run("report", "--orgunit", COUNTY, "--format", "json", "--date", "2025-07-01")
    )
    assert [r["orgunit"] for r in rows] == [COUNTY, TOWNSHIP_A, TOWNSHIP_B]
    county_row, town_a, town_b = rows
    assert county_row["persons"] == 7 and county_row["persons_with_error"] == 1
    assert county_row["logic_accuracy_percent"] == pytest.approx(100 * 6 / 7, abs=1e-4)
    assert county_row["required_fields"] > county_row["filled_fields"]
    assert county_row["filled_fields"] == county_row["required_fields"] - 1
    assert town_a == {**town_a, "persons": 7, "name": "甲镇"}
    assert town_b["persons"] == 0 and town_b["logic_accuracy_percent"] is None
    # Before the run there was nothing to report.
    before = json.loads(_run("report", "--orgunit", COUNTY, "--date", "2025-06-29"))
    assert before[0]["persons"] == 0

    table = list(
        csv.DictReader(io.StringIO(_run("report", "--orgunit", TOWNSHIP_A, "--format", "csv")))
    )
    assert table[0]["orgunit"] == TOWNSHIP_A and table[0]["persons"] == "7"
    assert {r["orgunit"] for r in table[1:]} == {"330122100201", VILLAGE_A2}


def test_unknown_orgunit_is_refused(county) -> None:
    with pytest.raises(CommandError, match="330199"):
        _run("report", "--orgunit", "330199")
    with pytest.raises(CommandError):
        _run("run", "--orgunit", "330199")
