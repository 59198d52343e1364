"""The case rates: pure functions checked against figures counted by hand."""

from __future__ import annotations

import datetime

from renkou.cases.rates import CaseFacts, case_rates, overdue

D = datetime.date
ACCEPT_DUE, ANSWER_DUE = D(2025, 3, 16), D(2025, 5, 15)


def case(
    accepted: D | None,
    closed: D | None = None,
    satisfaction: str = "",
    accept_due: D = ACCEPT_DUE,
    answer_due: D = ANSWER_DUE,
) -> CaseFacts:
    return CaseFacts(
        accept_due=accept_due,
        accepted_on=accepted,
        answer_due=answer_due,
        closed_on=closed,
        satisfaction=satisfaction,
    )


# Ten cases received in one period, each with what a clerk would tick by hand:
# (accepted on time, closed, closed on time, reached and asked, satisfied or basically)
CASES = [
    (case(D(2025, 3, 2), D(2025, 4, 1), "satisfied"), (1, 1, 1, 1, 1)),
    (case(D(2025, 3, 16), D(2025, 5, 15), "basic"), (1, 1, 1, 1, 1)),  # both on the last day
    (case(D(2025, 3, 17), D(2025, 5, 16), "dissatisfied"), (0, 1, 0, 1, 0)),  # a day late
    (case(D(2025, 3, 5), D(2025, 6, 30), "satisfied"), (1, 1, 0, 1, 1)),  # answered late
    (case(D(2025, 3, 5), D(2025, 4, 2), "not_reached"), (1, 1, 1, 0, 0)),  # not asked
    (case(D(2025, 3, 5), D(2025, 4, 3), "dissatisfied"), (1, 1, 1, 1, 0)),
    (case(D(2025, 3, 6)), (1, 0, 0, 0, 0)),  # in progress
    (case(D(2025, 4, 1)), (0, 0, 0, 0, 0)),  # accepted late, in progress
    (case(None), (0, 0, 0, 0, 0)),  # never accepted
    (case(D(2025, 3, 1), D(2025, 3, 1), "basic"), (1, 1, 1, 1, 1)),
]


def test_the_four_rates_equal_the_counts_made_by_hand() -> None:
    ticks = [t for _, t in CASES]
    received = len(CASES)
    on_time = sum(t[0] for t in ticks)
    closed = sum(t[1] for t in ticks)
    closed_on_time = sum(t[2] for t in ticks)
    asked = sum(t[3] for t in ticks)
    satisfied = sum(t[4] for t in ticks)
    assert (received, on_time, closed, closed_on_time, asked, satisfied) == (10, 7, 7, 5, 6, 4)

    rates = case_rates(c for c, _ in CASES)
    assert rates.received == 10
    assert (rates.accepted_on_time.numerator, rates.accepted_on_time.denominator) == (7, 10)
    assert rates.accepted_on_time.value == 70.0
    assert rates.closed.value == 70.0
    assert rates.closed_on_time.value == 50.0
    assert (rates.satisfaction.numerator, rates.satisfaction.denominator) == (4, 6)
    assert rates.satisfaction.value == 100 * 4 / 6


def test_a_rate_of_no_cases_is_none_not_zero() -> None:
    rates = case_rates([])
    assert rates.received == 0
    for rate in (rates.accepted_on_time, rates.closed, rates.closed_on_time, rates.satisfaction):
        assert rate.value is None and rate.interval is None
    # closed cases whose petitioners could not be reached give no satisfaction rate
    only = case_rates([case(D(2025, 3, 2), D(2025, 3, 3), "not_reached")])
    assert only.closed.value == 100.0
    assert only.satisfaction.value is None


def test_the_interval_is_wilsons_and_holds_the_rate() -> None:
    # Wilson 95 % for 7 of 10, by hand: centre (p + z²/2n) / (1 + z²/n), half-width
    # z·√(p(1−p)/n + z²/4n²) / (1 + z²/n), z = 1.959964
    z, n, p = 1.959964, 10, 0.7
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / denominator
    low, high = case_rates(c for c, _ in CASES).accepted_on_time.interval or (0, 0)
    assert abs(low - 100 * (centre - half)) < 0.01
    assert abs(high - 100 * (centre + half)) < 0.01
    assert low < 70 < high


def test_overdue_is_past_an_open_deadline_only() -> None:
    waiting = case(None)
    assert not overdue(waiting, D(2025, 3, 16))  # the last day is still in time
    assert overdue(waiting, D(2025, 3, 17))
    accepted = case(D(2025, 3, 10))
    assert not overdue(accepted, D(2025, 5, 15))
    assert overdue(accepted, D(2025, 5, 16))
    assert not overdue(case(D(2025, 3, 10), D(2025, 6, 1)), D(2025, 7, 1))  # closed, if late
