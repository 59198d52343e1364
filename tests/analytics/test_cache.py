"""The indicator cache: a full refresh fills it; a new applied event makes the cells it can
change stale, and the next refresh recomputes exactly those."""

from __future__ import annotations

import datetime
import json

import pytest

from renkou.analytics import indicators
from renkou.analytics.cache import cached, counts_load, indicators_refresh
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.indicators import INDICATORS
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from renkou.analytics.signals import refresh_enqueue
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from tests.analytics.hand_register import A1, B1, COUNTY, TOWNSHIP_B, hand_register

pytestmark = pytest.mark.django_db
PERIODS = [parse(p) for p in ("2024Q1", "2024Q3", "2024")]


def cell(indicator, unit, period, basis="registered"):
    return IndicatorValue.objects.get(indicator=indicator, orgunit=unit, period=period, basis=basis)


def test_full_refresh_then_a_new_death_invalidates_and_recomputes(tmp_path):
    hand_register(tmp_path / "load")
    snap = tmp_path / "snap"
    result = indicators_refresh(directory=snap, full=True, periods=PERIODS)
    assert result.stored == IndicatorValue.objects.count() > 0
    assert cell("population_end", B1, "2024").value == 4
    seq_before = cell("population_end", A1, "2024").snapshot_seq

    m4 = Person.objects.get(person_ref="M4")
    death = services.event_submit(
        kind="death",
        person=m4,
        orgunit=OrgUnit.objects.get(code=B1),
        effective_date=datetime.date(2024, 8, 1),
        source="village",
        actor="test",
    )
    services.event_apply(event=death, actor="test")

    again = indicators_refresh(directory=snap)
    assert again.snapshot.events == 1
    # B1 and its ancestors, in periods ending after 1 August: Q3 and the year, both bases
    touched = {B1, TOWNSHIP_B, COUNTY, COUNTY[:4], COUNTY[:2]}
    # every indicator of the year; of Q3 all but the weighted SRB (a figure of years)
    assert again.invalidated == len(touched) * 2 * (2 * len(INDICATORS) - 1)
    assert sorted(again.periods) == ["2024", "2024Q3"]
    assert not IndicatorValue.objects.filter(stale=True).exists()
    assert cell("population_end", B1, "2024").value == 3
    assert cell("deaths", B1, "2024").value == 2
    assert cell("deaths", COUNTY, "2024Q3").value == 1
    # Q1 ended before the death, A1 never saw M4: neither was recomputed
    assert cell("population_end", B1, "2024Q1").snapshot_seq == seq_before
    assert cell("population_end", A1, "2024").snapshot_seq == seq_before
    assert cell("population_end", B1, "2024").snapshot_seq > seq_before
    values = cached(orgunit=B1, period=parse("2024"), basis="registered")
    assert values[0].indicator == "population_start"
    assert {v.indicator for v in values} >= {"crude_birth_rate", "sex_ratio_at_birth"}


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_applied_events_queue_one_refresh_after_commit(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.DATA_DIR = tmp_path
    settings.TASKS = IMMEDIATE
    # the test runs in one transaction: everything applied in it queues a single refresh
    with django_capture_on_commit_callbacks() as callbacks:
        hand_register(tmp_path / "load")
        indicators_refresh(full=True, periods=PERIODS)
        assert cell("population_end", B1, "2024").value == 4
        m6 = Person.objects.get(person_ref="M6")
        for day in (datetime.date(2024, 8, 1), datetime.date(2024, 8, 2)):
            child = services.birth_submit(
                name="人N",
                sex="F",
                birth_date=day,
                orgunit=OrgUnit.objects.get(code=B1),
                actor="test",
                mother=m6,
            )
            services.event_apply(event=child, actor="test", warnings_reason="核实无误")
    assert [c for c in callbacks if c is refresh_enqueue] == [refresh_enqueue]
    assert cell("births", B1, "2024").value == 1  # not yet: the refresh runs after commit
    refresh_enqueue()  # what the commit runs; the immediate backend runs the task at once
    assert cell("births", B1, "2024").value == 3
    assert cell("population_end", B1, "2024").value == 6
    assert not IndicatorValue.objects.filter(stale=True).exists()


@pytest.mark.parametrize("compact_every", [1, 20])
def test_incremental_refresh_from_kept_counts_equals_counting_again(
    tmp_path, monkeypatch, compact_every
):
    """After a full refresh the counts are kept; new events update them by the touched
    persons' contributions (regrouped, or appended as rows of their own), and every figure
    equals a recount from scratch."""
    from renkou.analytics import cache

    monkeypatch.setattr(cache, "COMPACT_EVERY", compact_every)
    hand_register(tmp_path / "load")
    snap = tmp_path / "snap"
    periods = [parse(p) for p in ("2024Q3", "2024Q4", "2024", "202409", "2023Oct")]
    indicators_refresh(directory=snap, full=True, periods=periods)
    assert counts_load(snap) is not None
    b1, a1 = OrgUnit.objects.get(code=B1), OrgUnit.objects.get(code=A1)
    m6 = Person.objects.get(person_ref="M6")
    child = services.birth_submit(
        name="人Q", sex="M", birth_date=datetime.date(2024, 9, 20), orgunit=b1,
        actor="test", mother=m6,
    )  # fmt: skip
    services.event_apply(event=child, actor="test", warnings_reason="核实无误")
    for ref, kind, day, unit, payload in (
        ("C2", "death", datetime.date(2024, 10, 5), a1, None),  # M2's child dies
        ("W1", "move_out", datetime.date(2024, 8, 1), a1, {"to_orgunit": B1}),
        ("G1", "death", datetime.date(2024, 11, 30), a1, None),
    ):
        event = services.event_submit(
            kind=kind, person=Person.objects.get(person_ref=ref), orgunit=unit,
            effective_date=day, source="village", actor="test", payload=payload,
        )  # fmt: skip
        services.event_apply(event=event, actor="test", warnings_reason="核实无误")

    again = indicators_refresh(directory=snap)
    assert again.snapshot.events == 4
    kept = counts_load(snap)
    assert kept is not None and kept.seq == again.snapshot.last_seq  # the delta path ran
    assert kept.updates == (0 if compact_every == 1 else 1)
    # the steps of the incremental refresh were compiled by the full one, and kept
    compiled = json.loads((snap.parent / "snap-counts" / "duckdb-sql.json").read_text())
    assert any(key.startswith("some:") for key in compiled["entries"])
    cached_rows = {
        (v.indicator, v.orgunit, v.period, v.basis): (
            v.value, v.numerator, v.denominator, v.count, v.low, v.high, v.detail
        )
        for v in IndicatorValue.objects.all()
    }  # fmt: skip
    fresh = {r[:4]: tuple(r[4:]) for r in indicators.compute(DuckDBEngine(), snap, periods)}
    assert cached_rows.keys() == fresh.keys()
    differ = [k for k in fresh if cached_rows[k] != fresh[k]]
    assert differ == []
    # not vacuous: the new birth, the deaths and the move changed figures
    assert (
        cell("births", B1, "2024Q3").value == 1 + 0
    )  # the twins were born in B1 on the resident basis only
    assert cell("deaths", COUNTY, "2024Q4").value == 3  # D1 on 31 December, C2 and G1
    married = json.loads(cell("married_women_15_49", A1, "2024").detail)
    assert married == [0, 2, 1, 0]  # M2 lost C2: one living child left

    # A second round reads the kept counts back (with the appended rows) and updates again;
    # its SQL is compiled afresh (as after an upgrade), so the incremental steps come first.
    (snap.parent / "snap-counts" / "duckdb-sql.json").unlink()
    event = services.event_submit(
        kind="death", person=Person.objects.get(person_ref="M2"), orgunit=a1,
        effective_date=datetime.date(2024, 12, 1), source="village", actor="test",
    )  # fmt: skip
    services.event_apply(event=event, actor="test", warnings_reason="核实无误")
    indicators_refresh(directory=snap)
    kept = counts_load(snap)
    assert kept is not None and kept.updates == (0 if compact_every == 1 else 2)
    cached_rows = {
        (v.indicator, v.orgunit, v.period, v.basis): (
            v.value, v.numerator, v.denominator, v.count, v.low, v.high, v.detail
        )
        for v in IndicatorValue.objects.all()
    }  # fmt: skip
    fresh = {r[:4]: tuple(r[4:]) for r in indicators.compute(DuckDBEngine(), snap, periods)}
    assert [k for k in fresh if cached_rows.get(k) != fresh[k]] == []
    assert cell("deaths", COUNTY, "2024Q4").value == 4

    # A full refresh after incremental ones (the same kept SQL file) counts everyone again:
    # each step's SQL is kept under its own mode and window, never another run's.
    indicators_refresh(directory=snap, full=True, periods=periods)
    compiled = json.loads((snap.parent / "snap-counts" / "duckdb-sql.json").read_text())
    assert {k.split(":")[0] for k in compiled["entries"]} == {"all", "some"}
    cached_rows = {
        (v.indicator, v.orgunit, v.period, v.basis): (
            v.value, v.numerator, v.denominator, v.count, v.low, v.high, v.detail
        )
        for v in IndicatorValue.objects.all()
    }  # fmt: skip
    assert cached_rows == fresh
