"""Sex ratio at birth with its Wilson interval, the normal-range test, and the weighted SRB."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.demography import (
    DemographyError,
    SexRatio,
    UndefinedStatisticError,
    sex_ratio_at_birth,
    weighted_sex_ratio,
)

Z95 = NormalDist().inv_cdf(0.975)


def test_ratio_is_boys_per_100_girls() -> None:
    srb = sex_ratio_at_birth(324, 335)
    assert srb.ratio == pytest.approx(324 / 335 * 100)
    assert (srb.boys, srb.girls, srb.births) == (324, 335, 324 + 335)
    assert srb.confidence == 0.95


def test_interval_is_the_wilson_interval_for_the_share_of_boys() -> None:
    boys, girls, z = 84, 72, Z95
    n = boys + girls
    p = boys / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    p_low, p_high = centre - half, centre + half
    srb = sex_ratio_at_birth(boys, girls)
    assert srb.low == pytest.approx(100 * p_low / (1 - p_low))
    assert srb.high == pytest.approx(100 * p_high / (1 - p_high))


def test_a_few_hundred_births_give_an_interval_of_15_or_more() -> None:
    srb = sex_ratio_at_birth(324, 335)
    assert srb.ratio - srb.low > 13 and srb.high - srb.ratio > 15


def test_small_numbers_below_100_births() -> None:
    assert sex_ratio_at_birth(50, 49).small_numbers
    assert not sex_ratio_at_birth(50, 50).small_numbers


def test_no_girls_is_an_error() -> None:
    with pytest.raises(UndefinedStatisticError, match="girls") as caught:
        sex_ratio_at_birth(7, 0)
    assert caught.value.argument == "girls"


def test_no_boys_gives_ratio_zero_with_a_finite_upper_end() -> None:
    srb = sex_ratio_at_birth(0, 12)
    z = Z95
    p_high = z**2 / (12 + z**2)  # Wilson upper end for 0 of 12
    assert (srb.ratio, srb.low) == (0.0, 0.0)
    assert srb.high == pytest.approx(100 * p_high / (1 - p_high))


@pytest.mark.parametrize("confidence", [0, 1, -0.5, 95, float("nan")])
def test_confidence_must_lie_strictly_between_0_and_1(confidence: float) -> None:
    with pytest.raises(DemographyError, match="confidence"):
        sex_ratio_at_birth(100, 100, confidence)


def make(low: float, high: float) -> SexRatio:
    """A sex ratio with a chosen interval, to test ``within`` at its edges."""
    return SexRatio(boys=0, girls=1, ratio=(low + high) / 2, low=low, high=high, confidence=0.95)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (103.5, 106.5, True),  # inside
        (103.0, 107.0, True),  # exactly the band
        (108.0, 125.0, False),  # wholly above
        (80.0, 102.9, False),  # wholly below
        (95.0, 115.0, None),  # contains the band
        (100.0, 105.0, None),  # overlaps the lower end
        (105.0, 110.0, None),  # overlaps the upper end
        (107.0, 120.0, None),  # touches the upper end
        (90.0, 103.0, None),  # touches the lower end
    ],
)
def test_within_the_normal_range(low: float, high: float, expected: bool | None) -> None:
    assert make(low, high).within() is expected


def test_within_a_configured_range() -> None:
    assert make(104.0, 108.0).within(low=102, high=109) is True
    assert make(104.0, 108.0).within(low=110, high=112) is False


def test_within_rejects_a_reversed_range() -> None:
    with pytest.raises(DemographyError, match="low"):
        make(104.0, 108.0).within(low=107, high=103)


def test_within_on_real_counts() -> None:
    assert sex_ratio_at_birth(324, 335).within() is None  # 96.7, too few births to tell
    assert sex_ratio_at_birth(6_000, 5_000).within() is False  # 120, clearly above
    assert sex_ratio_at_birth(52_500, 50_000).within() is True  # 105, clearly inside


def test_weighted_sex_ratio_domain_example() -> None:
    # Seed 004: 2012–2014 pooled (324 boys, 335 girls) at 40 %, 2015 (84 boys, 69 girls plus
    # 3 late-reported girls) at 60 %.
    result = weighted_sex_ratio([(324, 335, 0.4), (84, 69 + 3, 0.6)])
    pooled = 324 / 335 * 100  # 96.716…, printed 96.71 in the seed
    single = 84 / 72 * 100  # 116.666…
    assert 0.4 * pooled == pytest.approx(38.6866, abs=1e-4)
    assert 0.6 * single == pytest.approx(70.0)
    assert result == pytest.approx(0.4 * pooled + 0.6 * single)
    # The seed's 38.68 + 70.00 = 108.68 cuts each figure to two decimals; rounded, the exact
    # value would read 108.69.
    assert math.floor(result * 100) / 100 == 108.68
    assert round(result, 2) == 108.69


def test_weighted_sex_ratio_weights_must_sum_to_one() -> None:
    with pytest.raises(DemographyError, match="sum to 1"):
        weighted_sex_ratio([(324, 335, 0.4), (84, 72, 0.5)])


def test_weighted_sex_ratio_tolerates_float_weights() -> None:
    parts = [(105, 100, 0.1)] * 10  # 0.1 ten times is not exactly 1 in floating point
    assert weighted_sex_ratio(parts) == pytest.approx(105 / 100 * 100)


def test_weighted_sex_ratio_errors() -> None:
    with pytest.raises(DemographyError, match="empty"):
        weighted_sex_ratio([])
    with pytest.raises(UndefinedStatisticError, match=r"parts\[1\] girls"):
        weighted_sex_ratio([(10, 10, 0.5), (3, 0, 0.5)])
    with pytest.raises(DemographyError, match=r"parts\[0\] weight"):
        weighted_sex_ratio([(10, 10, -0.5), (3, 2, 1.5)])
    with pytest.raises(DemographyError, match="boys, girls, weight"):
        weighted_sex_ratio([(10, 10)])  # type: ignore[list-item]


counts = st.integers(min_value=1, max_value=100_000)
levels = st.floats(min_value=0.5, max_value=0.999)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=100_000), counts, levels)
def test_interval_contains_the_ratio(boys: int, girls: int, confidence: float) -> None:
    srb = sex_ratio_at_birth(boys, girls, confidence)
    assert 0 <= srb.low <= srb.ratio <= srb.high < math.inf


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=2, max_value=50),
)
def test_interval_narrows_as_births_grow_at_a_fixed_ratio(
    boys: int, girls: int, scale: int, factor: int
) -> None:
    smaller = sex_ratio_at_birth(boys * scale, girls * scale)
    larger = sex_ratio_at_birth(boys * scale * factor, girls * scale * factor)
    assert larger.ratio == pytest.approx(smaller.ratio)
    assert larger.high - larger.low < smaller.high - smaller.low


@settings(deadline=None)
@given(counts, counts, levels)
def test_swapping_boys_and_girls_inverts_the_ratio(
    boys: int, girls: int, confidence: float
) -> None:
    srb = sex_ratio_at_birth(boys, girls, confidence)
    swapped = sex_ratio_at_birth(girls, boys, confidence)
    assert swapped.ratio == pytest.approx(10_000 / srb.ratio)
    assert swapped.low == pytest.approx(10_000 / srb.high)
    assert swapped.high == pytest.approx(10_000 / srb.low)
