"""``renkou indicators``: computes an uncached period on demand and prints it in each format."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from renkou.analytics.cache import recent_periods
from renkou.analytics.models import IndicatorValue
from renkou.analytics.tasks import indicators_refresh_task
from tests.analytics.hand_register import B1, COUNTY, hand_register
from tests.shared import shared_register

pytestmark = pytest.mark.django_db


register_built, register = shared_register(lambda base: hand_register(base / "load"))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_json_has_every_indicator_with_counts_intervals_and_flags(register):
    records = json.loads(
        run("--orgunit", COUNTY, "--period", "2024", "--format", "json", "--language", "zh-hans")
    )
    by_name = {r["indicator"]: r for r in records}
    assert by_name["births"]["value"] == 5
    cbr = by_name["crude_birth_rate"]
    assert (cbr["numerator"], cbr["denominator"], cbr["count"]) == (5, 11.5, 5)
    assert cbr["interval"][0] < cbr["value"] < cbr["interval"][1]
    assert cbr["small_numbers"] is True
    assert by_name["births"]["small_numbers"] is False  # a count, not a rate
    assert by_name["population_end"]["interval"] is None
    assert by_name["sex_ratio_at_birth"]["label"] == "出生人口性别比（每100名女婴对应男婴数）"


def test_resident_basis_csv_and_english_table(register):
    rows = list(
        csv.DictReader(
            io.StringIO(
                run("--orgunit", B1, "--period", "2024", "--basis", "resident", "--format", "csv")
            )
        )
    )
    births = next(r for r in rows if r["indicator"] == "births")
    assert births["value"] == "3.0"
    table = run("--orgunit", B1, "--period", "2024Q3", "--language", "en")
    assert "Live births" in table and "Interval (95 per cent)" in table
    assert "fewer than 100 events" in table


def test_bad_arguments_are_refused(register):
    with pytest.raises(CommandError, match="2024Q5"):
        run("--orgunit", COUNTY, "--period", "2024Q5")
    with pytest.raises(CommandError, match="999999"):
        run("--orgunit", "999999", "--period", "2024")


def test_refresh_task_takes_in_new_events(register):
    run("--orgunit", COUNTY, "--period", "2024")
    result = indicators_refresh_task.call()
    # no new event; and the worker's task computes every recent period missing from the
    # cache (this year and the last, which the command above did not compute)
    assert result["events"] == 0 and result["stored"] > 0
    have = set(IndicatorValue.objects.values_list("period", flat=True))
    assert {p.id for p in recent_periods()} | {"2024"} <= have
    again = indicators_refresh_task.call()
    assert again == {"events": 0, "invalidated": 0, "stored": 0}
