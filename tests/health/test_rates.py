"""The service rates, computed by hand from a few records (pure functions, no database)."""

from __future__ import annotations

import datetime

import pytest

from renkou.health.rates import Figures, RecordFacts, estimated_target_couples, health_rates

D = datetime.date
START, END = D(2025, 1, 1), D(2025, 12, 31)


def pre(examined: str, *, risk: str = "", early: str = "", outcome: str = "") -> RecordFacts:
    steps = {"enrolled": D.fromisoformat(examined), "examined": D.fromisoformat(examined)}
    outcomes = {}
    if risk:
        steps["risk_assessed"] = D.fromisoformat(examined)
        outcomes["risk_assessed"] = risk
    if early:
        steps["early_followup"] = D.fromisoformat(early)
    if outcome:
        steps["outcome_followup"] = D.fromisoformat(outcome)
    return RecordFacts("pre_pregnancy", steps, outcomes)


def test_pre_pregnancy_rates_by_hand() -> None:
    records = [
        pre("2025-02-01", risk="low", early="2025-05-01", outcome="2025-12-20"),
        pre("2025-03-01", risk="high", early="2025-07-01"),
        pre("2025-04-01", risk="low"),
        pre(
            "2024-11-01", risk="high", early="2025-01-10", outcome="2025-09-01"
        ),  # examined last year
        RecordFacts("pre_pregnancy", {"examined": D(2025, 6, 1)}, withdrawn=True),
    ]
    rates = health_rates(
        records, START, END, Figures(target_couples=4, pregnancies=4, pregnancies_due=3)
    )
    # examined in 2025: 3 of 4 target couples
    assert (rates.coverage.numerator, rates.coverage.denominator) == (3, 4)
    assert rates.coverage.value == pytest.approx(75.0)
    # early follow-ups in 2025: 3 (including last year's couple) of 4 pregnancies entered
    assert (rates.early_followup.numerator, rates.early_followup.denominator) == (3, 4)
    # outcomes followed in 2025: 2 of 3 due
    assert rates.outcome_followup.value == pytest.approx(200 / 3)
    # risk assessed in 2025: 3, one high
    assert (rates.high_risk.numerator, rates.high_risk.denominator) == (1, 3)


def test_wilson_interval_of_a_rate_by_hand() -> None:
    rates = health_rates([pre("2025-02-01")], START, END, Figures(target_couples=4))
    low, high = rates.coverage.interval
    # Wilson, z = 1.959964, p = 1/4, n = 4: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    z = 1.959963984540054
    n, p = 4, 0.25
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert low == pytest.approx(100 * (centre - half))
    assert high == pytest.approx(100 * (centre + half))


def test_no_denominator_is_no_rate_and_too_many_no_interval() -> None:
    rates = health_rates(
        [pre("2025-02-01"), pre("2025-03-01")], START, END, Figures(target_couples=1)
    )
    assert rates.early_followup.value is None
    assert rates.premarital.value is None  # no marriages registered
    assert rates.coverage.value == pytest.approx(200.0)
    assert rates.coverage.interval is None  # the entered figure is wrong


def test_screening_and_premarital_by_hand() -> None:
    def screen(on: str, result: str, referred: str = "") -> RecordFacts:
        steps = {"screened": D.fromisoformat(on), "result": D.fromisoformat(on)}
        if referred:
            steps["referred"] = D.fromisoformat(referred)
        return RecordFacts("screening", steps, {"result": result})

    records = [
        screen("2025-03-01", "negative"),
        screen("2025-03-02", "positive", "2025-04-01"),
        screen("2025-03-03", "positive"),
        screen("2025-12-30", "positive", "2026-01-15"),  # followed next year: still followed
        RecordFacts("premarital", {"checked": D(2025, 5, 1)}),
        RecordFacts("premarital", {"checked": D(2025, 6, 1)}),
        RecordFacts("premarital", {"checked": D(2026, 1, 1)}),
    ]
    rates = health_rates(records, START, END, Figures(target_women=10, marriages=3))
    assert (rates.screening_coverage.numerator, rates.screening_coverage.denominator) == (4, 10)
    assert (rates.positive_followup.numerator, rates.positive_followup.denominator) == (2, 3)
    assert (rates.premarital.numerator, rates.premarital.denominator) == (2, 3)


def test_estimated_target_couples_counts_ages_20_to_49_with_under_three_children() -> None:
    at = D(2025, 12, 31)
    women = [
        (D(2005, 12, 31), 0),  # 20 on the day: counted
        (D(2006, 1, 1), 0),  # 19: not
        (D(1976, 1, 1), 2),  # 49: counted
        (D(1975, 12, 31), 1),  # 50: not
        (D(1990, 6, 1), 3),  # three children: not
        (D(1990, 6, 1), 2),  # counted
    ]
    assert estimated_target_couples(women, at) == 3
