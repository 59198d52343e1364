"""The scoring arithmetic of one target and one unit, against figures worked out by hand."""

from __future__ import annotations

import pytest

from renkou.targets.scoring import Measure, TargetRule, ranks, score_target, score_unit


def linear(target, floor, direction="higher", weight=20.0, lenient=False):
    return TargetRule(target, direction, weight, "linear", floor, lenient)


@pytest.mark.parametrize(
    ("value", "points", "status"),
    [
        (10.0, 20.0, "met"),
        (12.0, 20.0, "met"),
        (8.0, 20 * (8 - 6) / (10 - 6), "partial"),  # 10 points
        (6.5, 20 * 0.5 / 4, "partial"),  # 2.5 points
        (6.0, 0.0, "below_floor"),
        (3.0, 0.0, "below_floor"),
    ],
)
def test_linear_higher_is_better(value, points, status):
    outcome = score_target(linear(10, 6), Measure(value))
    assert outcome.points == pytest.approx(points)
    assert outcome.status == status


def test_linear_lower_is_better_and_the_interval_that_holds_the_target():
    rule = linear(107, 115, "lower", 30)
    assert score_target(rule, Measure(111.0)).points == pytest.approx(30 * (115 - 111) / 8)
    assert score_target(rule, Measure(104.0)).status == "met"
    assert score_target(rule, Measure(116.0)).status == "below_floor"
    lenient = linear(107, 115, "lower", 30, lenient=True)
    # 111 with an interval of 104–119 cannot be told from 107: full marks, not a miss
    held = score_target(lenient, Measure(111.0, 104.0, 119.0))
    assert (held.points, held.status) == (30, "indistinguishable")
    # an interval of 108–114 excludes 107: scored as it is
    assert score_target(lenient, Measure(111.0, 108.0, 114.0)).points == pytest.approx(15)


def test_pass_fail_and_no_figure():
    rule = TargetRule(5, "lower", 20, "pass_fail", None, False)
    assert score_target(rule, Measure(5.0)).points == 20
    assert score_target(rule, Measure(5.1)).points == 0
    assert score_target(rule, Measure(5.1)).status == "failed"
    assert score_target(rule, Measure(None)).status == "no_data"
    assert score_target(rule, Measure(None)).points is None


def test_a_unit_is_scored_on_the_targets_with_a_figure_scaled_to_the_total():
    rules = [linear(10, 6, weight=40), TargetRule(5, "lower", 60, "pass_fail")]
    score = score_unit(rules, [Measure(8.0), Measure(None)], 100)
    # 20 points of the 40 that had a figure, scaled to 100
    assert score.points == pytest.approx(20)
    assert score.possible == 40
    assert score.total == pytest.approx(20 / 40 * 100)
    assert score.scored == 1
    assert score_unit(rules, [Measure(None), Measure(None)], 100).total is None


def test_ranks_share_places_and_skip_after_ties():
    assert ranks([70.0, 90.0, 70.0, None, 50.0]) == [2, 1, 2, None, 4]


def test_seed_004_a_townships_weighted_srb_against_107():
    # seed 004: 2012–2014 pooled (324 boys, 335 girls) at 40 %, 2015 (84 boys, 69 + 3 girls
    # reported late) at 60 %: 38.68 + 70.00 = 108.68, "比责任目标107高1.68"
    from renkou.demography.sex_ratio import weighted_sex_ratio_score

    srb = weighted_sex_ratio_score([(324, 335, 0.4), (84, 72, 0.6)]).total
    assert srb == pytest.approx(108.68)
    rule = TargetRule(107, "lower", 10, "linear", 115, lenient=False)
    outcome = score_target(rule, Measure(srb))
    # 10 × (115 − 108.68) ÷ (115 − 107) = 7.9 points of 10
    assert outcome.points == pytest.approx(10 * (115 - 108.68) / (115 - 107))
    assert outcome.status == "partial"
    assert score_target(TargetRule(107, "lower", 10, "pass_fail"), Measure(srb)).points == 0
