"""Edges of the issue's test list not covered by the base families: the childcare months of
twins and of a child born mid-2025 over their whole three years, missing facts, a parent's
death mid-year, an adoption counted as a child, a changed age threshold."""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal

import pytest

from renkou.benefits.models import Decision
from renkou.benefits.parameters import DEFAULT_DIRECTORY
from renkou.benefits.reasons import render_all
from renkou.benefits.records import adoption_add
from renkou.benefits.services import cycle_compute
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, person

pytestmark = pytest.mark.django_db
D = datetime.date


def _p(ref: str, sex: str, birth: str, seq: int, **extra: str) -> dict:
    return person(ref, f"人{ref}", sex, birth, seq, **extra)


EXTRA = [
    # special assistance: the father is known, the mother is not (missing fact)
    _p("M_F", "M", "1958-04-01", 41),
    _p("M_C", "M", "1985-04-01", 43, father_ref="M_F", status="dead", death_date="2012-02-02"),
    # special assistance: the father dies on 2024-08-10, the mother lives on
    _p("P_M", "F", "1960-10-10", 44),
    _p("P_F", "M", "1958-10-10", 45, status="dead", death_date="2024-08-10"),
    _p(
        "P_C",
        "F",
        "1986-06-06",
        46,
        mother_ref="P_M",
        father_ref="P_F",
        status="dead",
        death_date="2019-09-09",
    ),
    # childcare: a child under 3 with neither mother nor father linked (missing fact)
    _p("Z_C", "M", "2024-05-05", 47),
    # rural reward: no child born, one adopted daughter
    _p("Q_F", "M", "1957-02-02", 49),
    _p("Q_C", "F", "1990-07-07", 48),
]


@pytest.fixture
def families(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    load_families(tmp_path / "families", extra=EXTRA)
    adoption_add(
        parent=Person.objects.get(person_ref="Q_F"),
        child=Person.objects.get(person_ref="Q_C"),
        adopted_on=D(1995, 1, 1),
        actor="test",
    )


def decide(programme: str, year: int) -> dict[str, Decision]:
    cycle = cycle_compute(
        programme=programme, year=year, orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    )
    return {d.person.person_ref: d for d in cycle.decisions.select_related("person")}


def check(d: Decision, outcome: str, amount: str, reasons: str) -> None:
    assert (d.outcome, d.amount, render_all(d.reasons)) == (outcome, Decimal(amount), reasons)


def test_childcare_months_over_the_three_years(families):
    months: dict[str, list[str]] = {}
    for year in (2025, 2026, 2027, 2028):
        for ref, d in decide("childcare", year).items():
            months.setdefault(ref, []).extend(m for m, _a in d.months)
    # born 2024-12-31: 2025-01 … 2027-11 (the month before the third birthday): 35 months
    assert len(months["T_1"]) == 35 and months["T_1"][-1] == "2027-11-01"
    # born 2025-01-01: the full 36 months, 2025-01 … 2027-12
    assert len(months["T_2"]) == 36 and months["T_2"][-1] == "2027-12-01"
    # born 2025-06-15: 2025-06 … 2028-05, 36 months (DOMAIN.md §7)
    assert len(months["J_C"]) == 36
    assert (months["J_C"][0], months["J_C"][-1]) == ("2025-06-01", "2028-05-01")
    # born 2022-03-10: January and February 2025 only
    assert months["K_C"] == ["2025-01-01", "2025-02-01"]
    # no month twice
    assert all(len(set(m)) == len(m) for m in months.values())


def test_childcare_without_a_parent_cannot_be_decided(families):
    got = decide("childcare", 2025)
    check(
        got["Z_C"],
        "undecided",
        "0.00",
        "child born on 2024-05-05 ✓; under 3 until 2027-05-05 ✓; registered here ✓;"
        " child alive ✓; cannot decide: missing parent or guardian ?",
    )


def test_special_assistance_missing_mother_and_a_parent_dying(families):
    got = decide("special_assistance", 2024)
    check(
        got["M_F"],
        "undecided",
        "0.00",
        "no other child born or adopted ✓; only child died on 2012-02-02 ✓;"
        " cannot decide: missing mother's birth date ?; alive ✓",
    )
    # alive on 1 August, dead on 1 September: January–August, 8 × 590
    check(
        got["P_F"],
        "eligible",
        "4720.00",
        "no other child born or adopted ✓; only child died on 2019-09-09 ✓;"
        " mother reached 49 on 2009-10-10 ✓; died on 2024-08-10 ✓",
    )
    check(
        got["P_M"],
        "eligible",
        "7080.00",
        "no other child born or adopted ✓; only child died on 2019-09-09 ✓;"
        " mother reached 49 on 2009-10-10 ✓; alive ✓",
    )


def test_an_adopted_child_counts_for_the_rural_reward(families):
    got = decide("rural_reward", 2024)
    check(
        got["Q_F"],
        "eligible",
        "1440.00",
        "rural registration ✓; reached 60 on 2017-02-02 ✓; one child ✓; alive ✓",
    )


def test_an_edited_age_threshold_takes_effect_on_its_date(families, tmp_path, monkeypatch):
    """A province raises the mother's age to 50 from 2024-01-01: the A family's mother turns
    50 on 2025-03-02, so nobody of that family is paid in 2024."""
    directory = tmp_path / "parameters"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    path = directory / "special_assistance" / "mother_min_age.yaml"
    path.write_text(path.read_text() + "  2024-01-01: {value: 50}\n", encoding="utf-8")
    monkeypatch.setenv("RENKOU_BENEFIT_PARAMETERS", str(directory))
    got = decide("special_assistance", 2024)
    check(
        got["A_M"],
        "not_eligible",
        "0.00",
        "no other child born or adopted ✓; only child died on 2020-05-01 ✓;"
        " mother reached 50 on 2025-03-02 ✗; alive ✓",
    )
