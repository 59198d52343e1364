"""Each hand-built family's decision, reasons and amounts, computed from the register."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renkou.benefits.models import Decision
from renkou.benefits.reasons import render_all
from renkou.benefits.services import cycle_compute
from renkou.orgunits.models import OrgUnit
from tests.benefits.families import load_families
from tests.builders import COUNTY

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    load_families(tmp_path / "families")


def decide(programme: str, year: int) -> dict[str, Decision]:
    cycle = cycle_compute(
        programme=programme, year=year, orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    )
    return {d.person.person_ref: d for d in cycle.decisions.select_related("person")}


def check(d: Decision, outcome: str, amount: str, reasons: str) -> None:
    assert (d.outcome, d.amount, render_all(d.reasons)) == (outcome, Decimal(amount), reasons)


def test_special_assistance_2024(families):
    got = decide("special_assistance", 2024)
    # mother turns 49 on 2024-03-02: paid from April, 9 × 590, each parent
    for ref in ("A_M", "A_F"):
        check(
            got[ref],
            "eligible",
            "5310.00",
            "no other child born or adopted ✓; only child died on 2020-05-01 ✓;"
            " mother reached 49 on 2024-03-02 ✓; alive ✓",
        )
        assert got[ref].months[0] == ["2024-04-01", 590.0]
    # disabled child dies 2024-06-10: January–June 460, July–December 590
    check(
        got["B_M"],
        "eligible",
        "6300.00",
        "no other child born or adopted ✓; only child died on 2024-06-10 ✓;"
        " mother reached 49 on 2009-04-04 ✓; alive ✓",
    )
    assert got["B_M"].category == "death"
    assert [a for _m, a in got["B_F"].months] == [460.0] * 6 + [590.0] * 6
    # disability ended 2024-04-15: January–April only
    check(
        got["R_M"],
        "eligible",
        "1840.00",
        "no other child born or adopted ✓; only child disabled (grade 1-3) ✓;"
        " mother reached 49 on 2014-06-06 ✓; alive ✓",
    )
    # another child born in 2019
    check(
        got["O_M"],
        "not_eligible",
        "0.00",
        "has another child since 2019-05-05 ✗; only child died on 2015-07-07 ✓;"
        " mother reached 49 on 2019-01-20 ✓; alive ✓",
    )
    # an adoption after the only child's death
    check(
        got["D_M"],
        "not_eligible",
        "0.00",
        "has another child since 2020-02-01 ✗; only child died on 2018-01-01 ✓;"
        " mother reached 49 on 2017-03-01 ✓; alive ✓",
    )


def test_special_assistance_amount_changes_on_2022_07_01(families):
    got = decide("special_assistance", 2022)
    assert [a for _m, a in got["B_M"].months] == [350.0] * 6 + [460.0] * 6
    assert got["A_M"].outcome == "not_eligible"  # the mother is 47


def test_childcare_2025(families):
    got = decide("childcare", 2025)
    reasons = (
        "child born on %s ✓; under 3 until %s ✓; registered here ✓; child alive ✓; has a parent ✓"
    )
    check(got["T_1"], "eligible", "3600.00", reasons % ("2024-12-31", "2027-12-31"))
    check(got["T_2"], "eligible", "3600.00", reasons % ("2025-01-01", "2028-01-01"))
    check(got["K_C"], "eligible", "600.00", reasons % ("2022-03-10", "2025-03-10"))
    check(got["J_C"], "eligible", "2100.00", reasons % ("2025-06-15", "2028-06-15"))
    assert [m for m, _a in got["K_C"].months] == ["2025-01-01", "2025-02-01"]


def test_childcare_nothing_before_2025(families):
    got = decide("childcare", 2024)
    assert got["T_1"].outcome == "not_eligible" and got["T_1"].amount == 0


def test_rural_reward_2024(families):
    got = decide("rural_reward", 2024)
    check(
        got["RR_F"],
        "eligible",
        "1440.00",
        "rural registration ✓; reached 60 on 2020-01-10 ✓; one child ✓; alive ✓",
    )
    # one child, who died in 2024: still "one child"
    check(
        got["B_F"],
        "eligible",
        "1440.00",
        "rural registration ✓; reached 60 on 2018-08-08 ✓; one child ✓; alive ✓",
    )
    check(
        got["U_F"],
        "not_eligible",
        "0.00",
        "rural registration ✗; reached 60 on 2019-03-03 ✓; one child ✓; alive ✓",
    )
    check(
        got["G_M"],
        "eligible",
        "1440.00",
        "rural registration ✓; reached 60 on 2022-07-07 ✓; two daughters ✓; alive ✓",
    )
    check(
        got["S_M"],
        "not_eligible",
        "0.00",
        "rural registration ✓; reached 60 on 2021-08-08 ✓;"
        " 2 children, not one child or two daughters ✗; alive ✓",
    )
    check(
        got["N_F"],
        "undecided",
        "0.00",
        "rural registration ✓; reached 60 on 2010-10-10 ✓;"
        " cannot decide: missing children (none linked in the register) ?; alive ✓",
    )
    check(
        got["X_F"],
        "undecided",
        "0.00",
        "cannot decide: missing registration type ?; reached 60 on 2015-11-11 ✓; one child ✓;"
        " alive ✓",
    )


def test_only_child_allowance_stops_at_18(families):
    got = decide("only_child", 2024)
    # child turns 18 on 2024-09-01: January–August (8 twelfths of 360)
    check(
        got["H_M"],
        "eligible",
        "240.00",
        "only-child certificate issued on 2007-01-01 ✓; child reaches 18 on 2024-09-01 ✓;"
        " child alive ✓; alive ✓",
    )
