"""Every indicator of a few-hundred-person register against the conventions worked out by
hand (tests/analytics/definitions_register.py), for every unit, many periods and both
bases. The Spark engine is held to the same figures in tests/analytics/test_spark.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from renkou.analytics import indicators
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.analytics import definitions_register as reg
from tests.builders import today

PERIODS = [
    "2022", "2023", "2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "202401",
    "202402", "202412", "202501", "202506", "2022Oct", "2023Oct", "2023OctS1", "2023OctS2",
    "2024OctS1",
]  # fmt: skip
COUNTED = (
    "population_start",
    "population_end",
    "births",
    "births_male",
    "births_female",
    "deaths",
    "infant_deaths",
    "moves_in",
    "moves_out",
    "late_births_reported",
    "women_15_49",
    "married_women_15_49",
)


def build_register(directory: Path) -> list[reg.Spec]:
    """Load the register, then apply the deaths reported after the load (widowing)."""
    spec = reg.build()
    later = reg.write_load(spec, directory)
    result = registry_load(path=directory, actor="test", today=today())
    assert result.errors == 0, result.problems
    for p in later:
        assert p.death is not None
        person = Person.objects.get(person_ref=p.ref)
        unit = reg.place_at(p, "residence", p.death)
        death = services.event_submit(
            kind="death",
            person=person,
            orgunit=OrgUnit.objects.get(code=unit),
            effective_date=p.death,
            source="village",
            actor="test",
        )
        services.event_apply(event=death, actor="test")
    # the services widowed the wife: the analytics read that event
    assert Person.objects.get(person_ref="WM").marital_status == "widowed"
    return spec


def computed_rows(engine, directory: Path) -> dict[tuple[str, str, str, str], tuple]:
    rows = indicators.compute(engine, directory, [parse(p) for p in PERIODS])
    return {(r[0], r[1], r[2], r[3]): r for r in rows}


_STATE: dict[str, object] = {}


@pytest.fixture
def figures(db, tmp_path):
    if not _STATE:
        spec = build_register(tmp_path / "load")
        snapshot_refresh(tmp_path / "snap")
        _STATE["spec"] = spec
        _STATE["rows"] = computed_rows(DuckDBEngine(), tmp_path / "snap")
        _STATE["expected"] = reg.expected(spec, [parse(p) for p in PERIODS])
    return _STATE


def mismatches(rows, want) -> list[str]:
    """Every difference between computed rows and the hand-worked counts and rates."""
    wrong: list[str] = []
    for period in PERIODS:
        for basis in ("registered", "resident"):
            for unit in reg.UNITS:
                wrong += cell_mismatches(rows, want, (unit, period, basis))
    return wrong


def cell_mismatches(rows, want, cell: tuple[str, str, str]) -> list[str]:
    """The differences in one (unit, period, basis)."""
    wrong = []

    def row(name):
        return rows[(name, *cell)]

    def exp(name):
        return want.get((name, *cell), 0)

    def check(what, value, expected):
        if value != pytest.approx(expected, rel=1e-9, abs=1e-9):
            wrong.append(f"{what} {' '.join(cell)}: {value} != {expected}")

    def bounded(name, top):
        low, high = row(name)[8:10]
        if not 0 <= low <= high <= top:
            wrong.append(f"{name} interval {' '.join(cell)}: {low} {high}")

    for name in COUNTED:
        check(name, row(name)[4], exp(name))
    children = json.loads(row("married_women_15_49")[10])
    check("married by children", children, [exp(f"married_children_{n}") for n in range(4)])
    births, start, end = exp("births"), exp("population_start"), exp("population_end")
    avg = (start + end) / 2
    if avg:
        check("crude_birth_rate", row("crude_birth_rate")[4], births / avg * 1000)
        check("crude_death_rate", row("crude_death_rate")[4], exp("deaths") / avg * 1000)
    for order, name in ((1, "parity_share_1"), (2, "parity_share_2"), (3, "parity_share_3plus")):
        check(name, row(name)[5], exp(f"parity_{order}"))
        if births:
            check(name, row(name)[4], exp(f"parity_{order}") / births * 100)
            bounded(name, 100)
    infant = exp("infant_deaths")
    if births and infant <= births:
        check("infant_mortality_rate", row("infant_mortality_rate")[4], infant / births * 1000)
        bounded("infant_mortality_rate", 1000)
    # the TFR from single years: Σ births to mothers aged x ÷ average women aged x
    tfr, defined = 0.0, False
    for age in range(15, 50):
        women = (exp(f"women_{age}_start") + exp(f"women_{age}_end")) / 2
        born = exp(f"births_to_{age}")
        defined = defined or women > 0
        if born and not women:
            tfr, defined = None, True
            break
        if born:
            tfr += born / women
    want_tfr = tfr if defined else None
    got_tfr = row("total_fertility_rate_single_years")[4]
    if (got_tfr is None) != (want_tfr is None) or (
        want_tfr is not None and got_tfr != pytest.approx(want_tfr, rel=1e-9)
    ):
        wrong.append(f"single-year TFR {' '.join(cell)}: {got_tfr} != {want_tfr}")
    girls = exp("births_female")
    if girls:
        check("srb", row("sex_ratio_at_birth")[4], exp("births_male") / girls * 100)
    return wrong


def test_every_figure_equals_the_hand_computation(figures):
    wrong = mismatches(figures["rows"], figures["expected"])
    assert not wrong, f"{len(wrong)} differences, e.g.:\n" + "\n".join(wrong[:40])


def test_the_register_has_every_case(figures):
    # the figures are not trivially zero where the conventions matter
    want = figures["expected"]
    county = reg.COUNTY
    assert want[("births", county, "2024", "registered")] >= 15
    assert want[("late_births_reported", county, "2024", "registered")] >= 1
    # late in the statistical year 2025 (2024Oct) only: born 2024-09-20, reported 2024-10-08
    assert want[("late_births_reported", reg.A2, "2024OctS1", "registered")] >= 1
    assert want[("moves_in", county, "2024", "registered")] >= 1  # hukou transfers
    assert want[("moves_out", county, "2023", "registered")] >= 1
    assert want[("infant_deaths", county, "2023", "resident")] >= 1
    # the six-month rule moves people between the bases
    differ = [
        (unit, period)
        for unit in (reg.A1, reg.A2, reg.B1)
        for period in PERIODS
        if want[("population_end", unit, period, "resident")]
        != want[("population_end", unit, period, "registered")]
    ]
    assert len(differ) >= 10


def test_named_cases(figures):
    rows, county = figures["rows"], reg.COUNTY

    def val(name, unit, period, basis="registered"):
        return rows[(name, unit, period, basis)][4]

    # the child born and dying on 5 May 2023 is a birth, a death and an infant death
    assert val("births", reg.B1, "2023") >= 1
    assert val("infant_deaths", reg.B1, "2023") >= 1
    # the widow (husband died 2024-10-03) is no longer a married woman at the end of 2024;
    # she was at the end of Q3
    spec = {p.ref: p for p in figures["spec"]}
    assert reg.married(spec["WM"], spec, parse("2024Q3").end_boundary)
    assert not reg.married(spec["WM"], spec, parse("2024").end_boundary)
    # the birth registered with its father in B1 counts at the mother's A1
    assert figures["expected"][("births", reg.A1, "2023", "registered")] >= 1
    assert val("late_births_reported", county, "2024") >= 1
