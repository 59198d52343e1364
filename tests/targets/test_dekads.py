"""Ten-day periods (旬) in the indicator cache: computed on demand from counts kept per ten
days, they add up to their months, and the hand register's events fall in the ten days of
their dates."""

from __future__ import annotations

import datetime

import pytest

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import dekads_of, parse
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from renkou.targets.jobs import targets_compute_job
from tests.analytics.hand_register import A1, B1, COUNTY, hand_register

pytestmark = pytest.mark.django_db


def value(indicator, unit, period, basis="registered"):
    return IndicatorValue.objects.get(
        indicator=indicator, orgunit=unit, period=period, basis=basis
    ).value


def test_ten_day_figures_add_up_to_their_months_and_match_the_dates(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"  # the snapshot and kept counts of this test
    hand_register(tmp_path / "load")
    year = parse("2024")
    months = [parse(f"2024{m:02d}") for m in range(1, 13)]
    indicators_refresh(full=True, periods=[year, *months])
    # asked for later, as a scorecard's "compute" asks (the job the worker runs): the year's
    # quarters, months and ten days, beside the kept monthly counts
    result = targets_compute_job(progress=lambda *args: None, year=2024)
    assert result["periods"] == 1 + 4 + 12 + 36
    assert len(dekads_of(year)) == 36
    for month in months:
        parts = [f"{month.id}D{n}" for n in (1, 2, 3)]
        for name in ("births", "deaths", "moves_in", "moves_out"):
            for unit in (A1, B1, COUNTY):
                for basis in ("registered", "resident"):
                    total = sum(value(name, unit, p, basis) for p in parts)
                    assert total == value(name, unit, month.id, basis), (name, unit, month.id)
        # the stock at the end of the third ten days is the month's
        end = value("population_end", COUNTY, month.id)
        assert value("population_end", COUNTY, parts[2]) == end
        assert value("population_start", COUNTY, parts[0]) == value(
            "population_start", COUNTY, month.id
        )
    # C1 born 31 March (A1), I1 born 10 February and died 20 May (B1), twins 15 July (to
    # M3, registered in A1), D1 died 31 December (A1)
    assert value("births", A1, "202403D3") == 1
    assert value("births", A1, "202403D2") == 0
    assert value("births", B1, "202402D1") == 1
    assert value("deaths", B1, "202405D2") == 1
    assert value("infant_deaths", B1, "202405D2") == 1
    assert value("births", A1, "202407D2") == 2
    assert value("sex_ratio_at_birth", A1, "202407D2") == 100.0
    assert value("deaths", A1, "202412D3") == 1

    # a new death (M4, B1, 1 August) makes the cached ten days stale; the next refresh
    # computes them again from counts per ten days
    death = services.event_submit(
        kind="death",
        person=Person.objects.get(person_ref="M4"),
        orgunit=OrgUnit.objects.get(code=B1),
        effective_date=datetime.date(2024, 8, 1),
        source="village",
        actor="test",
    )
    services.event_apply(event=death, actor="test")
    indicators_refresh()
    assert not IndicatorValue.objects.filter(stale=True).exists()
    assert value("deaths", B1, "202408D1") == 1
    assert value("deaths", B1, "202408D2") == 0
    assert value("deaths", B1, "202408") == 1
    assert value("population_end", B1, "202407D3") - value("population_end", B1, "202408D1") == 1
