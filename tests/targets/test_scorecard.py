"""A scorecard computed from the indicator cache, against points worked out by hand: the
values, intervals and points of each target, the totals, the ranking and the watch list."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from renkou.analytics.periods import parse
from renkou.targets.selectors import agreements_for, scorecard, scorecards
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, VILLAGE_A2
from tests.targets.build import agreement, cache_cells

pytestmark = pytest.mark.django_db

# Township A: SRB 111 (104–119), CBR 8 (7–9), IMR 6 (2–12), GFR 30
# Township B: SRB 118 (112–124), CBR 11, IMR 4, no GFR (no figure)
CELLS = [
    ("sex_ratio_at_birth", TOWNSHIP_A, "2025", 111.0, 104.0, 119.0),
    ("crude_birth_rate", TOWNSHIP_A, "2025", 8.0, 7.0, 9.0),
    ("infant_mortality_rate", TOWNSHIP_A, "2025", 6.0, 2.0, 12.0),
    ("general_fertility_rate", TOWNSHIP_A, "2025", 30.0, 25.0, 35.0),
    ("sex_ratio_at_birth", TOWNSHIP_B, "2025", 118.0, 112.0, 124.0),
    ("crude_birth_rate", TOWNSHIP_B, "2025", 11.0, 9.5, 12.5),
    ("infant_mortality_rate", TOWNSHIP_B, "2025", 4.0, 1.0, 9.0),
    ("general_fertility_rate", TOWNSHIP_B, "2025", None, None, None),
    # ten days of March (the cache's rates are of the ten days: births in them ÷ population
    # × 1000): A misses the CBR floor once annualised, B meets everything it has a figure for
    ("sex_ratio_at_birth", TOWNSHIP_A, "202503D1", 100.0, 60.0, 160.0),
    ("crude_birth_rate", TOWNSHIP_A, "202503D1", 0.14, 0.05, 0.25),
    ("sex_ratio_at_birth", TOWNSHIP_B, "202503D1", 105.0, 70.0, 150.0),
    ("crude_birth_rate", TOWNSHIP_B, "202503D1", 0.33, 0.2, 0.45),
]


def test_the_years_scorecard_as_worked_out_by_hand(staff: dict[str, Any]) -> None:
    deal = agreement(staff["admin"], COUNTY)
    cache_cells(CELLS)
    card = scorecard(deal, parse("2025"))
    by_unit = {r.unit.code: r for r in card.rows}
    a, b = by_unit[TOWNSHIP_A], by_unit[TOWNSHIP_B]

    # A: SRB 111 misses 107 but its interval 104–119 holds it: not distinguishable, 30;
    # CBR 8 (no leniency): 20 × (8 − 6) ÷ (10 − 6) = 10; IMR 6 misses 5 but 2–12 holds it:
    # 20; GFR 30: 30 × (30 − 20) ÷ (40 − 20) = 15
    a_points = [30.0, 20 * (8 - 6) / (10 - 6), 20.0, 30 * (30 - 20) / (40 - 20)]
    assert [t.points for t in a.score.targets] == pytest.approx(a_points)
    assert [t.status for t in a.score.targets] == [
        "indistinguishable",
        "partial",
        "indistinguishable",
        "partial",
    ]
    assert a.score.total == pytest.approx(sum(a_points))  # 75
    assert (a.score.targets[0].measure.low, a.score.targets[0].measure.high) == (104.0, 119.0)

    # B: SRB 118 beyond the floor 115 and its interval 112–124 excludes 107: 0; CBR 11: 20;
    # IMR 4: 20; GFR without a figure: left out, the 40 points scaled over 70 to 100
    assert [t.points for t in b.score.targets] == [0.0, 20.0, 20.0, None]
    assert b.score.total == pytest.approx((0 + 20 + 20) / (30 + 20 + 20) * 100)  # 57.14
    assert b.score.scored == 3

    assert [r.unit.code for r in card.rows] == [TOWNSHIP_A, TOWNSHIP_B]
    assert (a.rank, b.rank) == (1, 2)
    assert card.average == pytest.approx((75 + 400 / 7) / 2)
    assert [r.unit.code for r in card.watch_list] == [TOWNSHIP_B]
    with translation.override("en"):
        card = scorecard(deal, parse("2025"))
        reasons = {r.unit.code: r.reasons for r in card.rows}
    assert reasons[TOWNSHIP_A] == []
    assert reasons[TOWNSHIP_B] == [
        "Score 57.14 is below the watch line 60.",
        "Sex ratio at birth (boys per 100 girls): 118 is beyond the floor 115 (target 107).",
        "Last place in the ranking (of 2).",
    ]
    assert not card.missing


def test_ten_day_scorecards_read_the_same_cache(staff: dict[str, Any]) -> None:
    deal = agreement(staff["admin"], COUNTY)
    cache_cells(CELLS)
    cards = scorecards(deal, [parse("202503D1"), parse("202503D2")])
    rows = {r.unit.code: r for r in cards["202503D1"].rows}
    # the CBR of ten days a year: × 365 days ÷ 10 (0.14 ‰ → 5.11 ‰, 0.33 ‰ → 12.045 ‰); the
    # SRB is a ratio, the same whatever the period's length
    a_cbr = rows[TOWNSHIP_A].score.targets[1].measure
    assert (a_cbr.value, a_cbr.low, a_cbr.high) == pytest.approx(
        (0.14 * 36.5, 0.05 * 36.5, 0.25 * 36.5)
    )
    assert rows[TOWNSHIP_B].score.targets[1].value == pytest.approx(0.33 * 365 / 10)
    assert rows[TOWNSHIP_A].score.targets[0].value == 100.0
    # A: SRB 100 meets 107 (30), CBR 5.11 below the floor 6 (0); IMR, GFR without figures
    assert rows[TOWNSHIP_A].score.total == pytest.approx(30 / 50 * 100)
    assert rows[TOWNSHIP_B].score.total == pytest.approx(100)
    assert (rows[TOWNSHIP_B].rank, rows[TOWNSHIP_A].rank) == (1, 2)
    # the next ten days are not computed: said so, nothing scored, nobody watched
    assert cards["202503D2"].missing
    assert all(r.score.total is None for r in cards["202503D2"].rows)
    assert cards["202503D2"].empty and cards["202503D2"].watch_list == []
    # a period with figures is not "empty"
    assert not cards["202503D1"].empty


def test_a_township_reads_its_own_agreement_not_another_townships(
    staff: dict[str, Any],
) -> None:
    own = agreement(staff["stat_a"], TOWNSHIP_A)
    county = agreement(staff["admin"], COUNTY)
    assert list(agreements_for(staff["stat_a"])) == [own]
    assert list(agreements_for(staff["stat_b"])) == []
    assert list(agreements_for(staff["rep_a1"])) == []
    assert set(agreements_for(staff["auditor"])) == {own, county}
    # a township's agreement scores its villages
    assert [r.unit.code for r in scorecard(own, parse("2025")).rows] == [VILLAGE_A1, VILLAGE_A2]
