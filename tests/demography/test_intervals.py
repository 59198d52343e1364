"""Wilson intervals for proportions, Garwood (exact) and Byar intervals for Poisson counts."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import renkou.demography as dm
from renkou.demography import (
    DemographyError,
    UndefinedStatisticError,
    bounded_rate_interval,
    growth_interval,
    poisson_interval,
    rate_interval,
    total_fertility_interval,
    wilson_interval,
)
from renkou.demography.intervals import EXACT_POISSON_BELOW

Z95 = NormalDist().inv_cdf(0.975)  # 1.959964…

# Published exact (Garwood) 95 % limits for a Poisson count, to four decimals.
GARWOOD_95 = {
    0: (0.0, 3.6889),
    1: (0.0253, 5.5716),
    2: (0.2422, 7.2247),
    3: (0.6187, 8.7673),
    5: (1.6235, 11.6683),
    10: (4.7954, 18.3904),
}


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for a Poisson mean, summed term by term."""
    return sum(math.exp(-mean) * mean**j / math.factorial(j) for j in range(k + 1))


def test_wilson_interval_known_value() -> None:
    low, high = wilson_interval(60, 100)
    assert round(low, 4) == 0.5020
    assert round(high, 4) == 0.6906


def test_wilson_interval_by_the_textbook_formula() -> None:
    k, n, z = 27, 40, Z95
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half))


def test_wilson_interval_at_the_ends_is_exactly_zero_or_one() -> None:
    z = Z95
    none_low, none_high = wilson_interval(0, 5)
    all_low, all_high = wilson_interval(5, 5)
    assert none_low == 0.0 and none_high == pytest.approx(z**2 / (5 + z**2))
    assert all_low == pytest.approx(5 / (5 + z**2)) and all_high == 1.0


def test_wilson_interval_at_99_percent_is_wider() -> None:
    low95, high95 = wilson_interval(60, 100)
    low99, high99 = wilson_interval(60, 100, confidence=0.99)
    assert low99 < low95 and high99 > high95


def test_wilson_interval_needs_trials_and_sane_counts() -> None:
    with pytest.raises(UndefinedStatisticError, match="trials"):
        wilson_interval(0, 0)
    with pytest.raises(DemographyError, match="exceed"):
        wilson_interval(6, 5)


@pytest.mark.parametrize(("events", "limits"), sorted(GARWOOD_95.items()))
def test_poisson_interval_matches_published_exact_limits(
    events: int, limits: tuple[float, float]
) -> None:
    low, high = poisson_interval(events)
    assert (round(low, 4), round(high, 4)) == limits


def test_poisson_interval_for_no_events_is_minus_log_of_the_tail() -> None:
    low, high = poisson_interval(0)
    assert low == 0.0
    assert high == pytest.approx(-math.log(0.025))


@pytest.mark.parametrize("events", [1, 4, 17, 60, EXACT_POISSON_BELOW - 1])
def test_poisson_interval_solves_the_tail_equations(events: int) -> None:
    low, high = poisson_interval(events, confidence=0.9)
    assert 1 - poisson_cdf(events - 1, low) == pytest.approx(0.05, rel=1e-8)
    assert poisson_cdf(events, high) == pytest.approx(0.05, rel=1e-8)


def test_poisson_interval_uses_byar_from_the_threshold() -> None:
    k, z = 150, Z95
    low = k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    high = (k + 1) * (1 - 1 / (9 * (k + 1)) + z / (3 * math.sqrt(k + 1))) ** 3
    assert poisson_interval(k) == pytest.approx((low, high))


def test_poisson_interval_is_continuous_across_the_threshold() -> None:
    below = poisson_interval(EXACT_POISSON_BELOW - 1)
    at = poisson_interval(EXACT_POISSON_BELOW)
    assert below[0] < at[0] < below[0] + 1.1
    assert below[1] < at[1] < below[1] + 1.1


def test_poisson_interval_at_extreme_confidence_stays_finite_and_ordered() -> None:
    level = 1 - 2**-53  # the largest float below 1
    low, high = poisson_interval(1, level)
    assert low == pytest.approx(-math.log1p(-(1 - level) / 2))
    assert math.isfinite(high) and high > 1


def test_rate_interval_per_1000() -> None:
    low, high = rate_interval(10, 2_500)
    assert low == pytest.approx(4.7954 / 2_500 * 1000, abs=1e-4)
    assert high == pytest.approx(18.3904 / 2_500 * 1000, abs=1e-4)


def test_rate_interval_needs_a_population() -> None:
    with pytest.raises(UndefinedStatisticError, match="population"):
        rate_interval(3, 0)


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=2 * EXACT_POISSON_BELOW),
    st.floats(min_value=0.5, max_value=0.999),
)
def test_poisson_interval_brackets_the_count_and_grows_with_it(
    events: int, confidence: float
) -> None:
    low, high = poisson_interval(events, confidence)
    assert 0 <= low <= events <= high
    next_low, next_high = poisson_interval(events + 1, confidence)
    assert low < next_low and high < next_high


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=1, max_value=500),
    st.floats(min_value=0.01, max_value=0.999),
)
def test_wilson_interval_contains_the_proportion(k: int, extra: int, confidence: float) -> None:
    n = k + extra
    low, high = wilson_interval(k, n, confidence)
    assert 0 <= low <= k / n <= high <= 1


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2000), st.integers(1, 2000), st.sampled_from([100.0, 1000.0]))
def test_a_bounded_rate_never_leaves_its_bounds(k: int, n: int, per: float) -> None:
    k = min(k, n)
    low, high = bounded_rate_interval(k, n, per=per)
    assert 0 <= low <= k / n * per <= high <= per


def test_a_bounded_rate_is_wilson_scaled() -> None:
    # one infant death among one birth: a Poisson interval would reach 3688.9 ‰
    low, high = bounded_rate_interval(1, 1)
    assert low == pytest.approx(1 / (1 + Z95 * Z95) * 1000)
    assert high == 1000
    with pytest.raises(UndefinedStatisticError):
        bounded_rate_interval(0, 0)


def test_growth_interval_combines_the_exact_intervals_of_births_and_deaths() -> None:
    # both at 97.5 % (Bonferroni): the published Garwood limits at 97.5 % for 10 and 4
    b_low, b_high = poisson_interval(10, 0.975)
    d_low, d_high = poisson_interval(4, 0.975)
    low, high = growth_interval(10, 4, 2000)
    assert (low, high) == (
        pytest.approx((b_low - d_high) / 2000 * 1000),
        pytest.approx((b_high - d_low) / 2000 * 1000),
    )
    assert low < (10 - 4) / 2000 * 1000 < high
    # no events: each count's bound for none at 97.5 % is −ln(0.0125)
    none = -math.log(0.0125) / 100 * 1000
    assert growth_interval(0, 0, 100) == (pytest.approx(-none), pytest.approx(none))
    with pytest.raises(UndefinedStatisticError):
        growth_interval(1, 1, 0)


def test_total_fertility_interval_by_hand() -> None:
    births = [0, 10, 20, 5, 0, 0, 0]
    women = [100.0, 200.0, 100.0, 50.0, 0.0, 80.0, 90.0]
    tfr = 5 * (10 / 200 + 20 / 100 + 5 / 50)
    variance = 25 * (10 / 200**2 + 20 / 100**2 + 5 / 50**2)
    low, high = total_fertility_interval(births, women)
    assert (low, high) == (
        pytest.approx(tfr - Z95 * math.sqrt(variance)),
        pytest.approx(tfr + Z95 * math.sqrt(variance)),
    )
    # no births: 0 up to the exact bound for no events at the largest weight (5 / 50 women)
    assert total_fertility_interval([0] * 7, women) == (
        0.0,
        pytest.approx(3.6889 * 5 / 50, rel=1e-4),
    )
    with pytest.raises(DemographyError):
        total_fertility_interval([1, 2], [1.0])
    with pytest.raises(UndefinedStatisticError):
        total_fertility_interval([0, 0], [0.0, 0.0])


@pytest.mark.parametrize(
    ("births", "women"),
    [
        ([0, 10, 20, 5, 0, 0, 0], [100] * 7),
        ([0] * 7, [50, 0, 80, 1, 0, 0, 2.5]),
        ([3, 0], [0.5, 0]),
    ],
)
def test_the_unchecked_tfr_interval_of_counts_is_the_checked_one(births, women):
    for width in (1, 5):
        assert dm.total_fertility_interval_of_counts(
            births, women, width
        ) == dm.total_fertility_interval(births, women, width)
