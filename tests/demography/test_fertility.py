"""Age-specific, total and general fertility rates, and shares of births by parity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.demography import (
    DemographyError,
    UndefinedStatisticError,
    age_specific_fertility_rates,
    general_fertility_rate,
    parity_shares,
    total_fertility_rate,
)

GROUPS = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49")
WOMEN = dict(zip(GROUPS, (1_210, 1_050, 980, 1_100, 1_240, 1_300, 1_280), strict=True))
BIRTHS = dict(zip(GROUPS, (6, 58, 74, 41, 12, 2, 0), strict=True))


def test_age_specific_fertility_rates_per_1000_women() -> None:
    rates = age_specific_fertility_rates(BIRTHS, WOMEN)
    assert list(rates) == list(GROUPS)
    assert rates["15-19"] == pytest.approx(6 / 1_210 * 1000)
    assert rates["20-24"] == pytest.approx(58 / 1_050 * 1000)
    assert rates["25-29"] == pytest.approx(74 / 980 * 1000)
    assert rates["45-49"] == 0


def test_groups_may_be_ints() -> None:
    rates = age_specific_fertility_rates({20: 30, 25: 24}, {20: 1_000, 25: 800, 30: 900})
    assert rates == {20: 30 / 1_000 * 1000, 25: 24 / 800 * 1000, 30: 0.0}


def test_group_only_among_women_gives_zero() -> None:
    assert age_specific_fertility_rates({}, {"40-44": 1_300}) == {"40-44": 0.0}


def test_group_with_no_women_and_no_births_gives_zero() -> None:
    assert age_specific_fertility_rates({"45-49": 0}, {"45-49": 0}) == {"45-49": 0.0}


def test_group_with_births_but_no_women_is_an_error() -> None:
    with pytest.raises(UndefinedStatisticError, match="45-49"):
        age_specific_fertility_rates({"45-49": 1}, {"45-49": 0})


def test_group_spelt_differently_is_an_error() -> None:
    # An en dash in one mapping and a hyphen in the other: the births have no women.
    with pytest.raises(UndefinedStatisticError, match="20–24"):
        age_specific_fertility_rates({"20–24": 58}, {"20-24": 1_050})


def test_zero_births_in_a_group_missing_from_women_gives_zero() -> None:
    assert age_specific_fertility_rates({"50-54": 0}, {"20-24": 10}) == {
        "20-24": 0.0,
        "50-54": 0.0,
    }


def test_total_fertility_rate_from_five_year_groups() -> None:
    rates = age_specific_fertility_rates(BIRTHS, WOMEN)
    pairs = zip(BIRTHS.values(), WOMEN.values(), strict=True)
    expected = 5 * sum(b / w * 1000 for b, w in pairs) / 1000
    assert total_fertility_rate(rates) == pytest.approx(expected)


def test_total_fertility_rate_from_a_sequence() -> None:
    assert total_fertility_rate([10, 60, 90, 50, 20, 5, 1]) == pytest.approx(
        5 * (10 + 60 + 90 + 50 + 20 + 5 + 1) / 1000
    )


def test_total_fertility_rate_from_single_years() -> None:
    rates = [40.0] * 35  # ages 15 … 49
    assert total_fertility_rate(rates, width=1) == pytest.approx(1 * 40 * 35 / 1000)


@pytest.mark.parametrize("width", [0, -5, 2.5, True])
def test_total_fertility_rate_rejects_bad_widths(width: int) -> None:
    with pytest.raises(DemographyError, match="width"):
        total_fertility_rate([50.0], width=width)


def test_total_fertility_rate_needs_rates() -> None:
    with pytest.raises(DemographyError, match="empty"):
        total_fertility_rate([])


def test_total_fertility_rate_names_a_bad_rate() -> None:
    with pytest.raises(DemographyError, match=r"asfr_per_1000\['20-24'\]"):
        total_fertility_rate({"15-19": 5.0, "20-24": -1.0})


@given(st.floats(min_value=0, max_value=500, allow_nan=False))
def test_total_fertility_rate_of_a_constant_rate_over_seven_groups(rate: float) -> None:
    assert total_fertility_rate([rate] * 7) == pytest.approx(35 * rate / 1000)


def test_general_fertility_rate() -> None:
    assert general_fertility_rate(193, 8_160) == pytest.approx(193 / 8_160 * 1000)


def test_general_fertility_rate_needs_women() -> None:
    with pytest.raises(UndefinedStatisticError, match="average_women_15_49"):
        general_fertility_rate(3, 0)


def test_parity_shares_pool_third_and_later_births() -> None:
    shares = parity_shares({1: 112, 2: 71, 3: 9, 4: 2, 6: 1})
    total = 112 + 71 + 9 + 2 + 1
    assert shares == {
        "1": pytest.approx(112 / total * 100),
        "2": pytest.approx(71 / total * 100),
        "3+": pytest.approx((9 + 2 + 1) / total * 100),
    }
    assert sum(shares.values()) == pytest.approx(100)


def test_parity_shares_with_missing_orders() -> None:
    assert parity_shares({1: 4}) == {"1": 100.0, "2": 0.0, "3+": 0.0}


@pytest.mark.parametrize("order", [0, -1, 1.5, "1"])
def test_parity_shares_rejects_bad_orders(order: object) -> None:
    with pytest.raises(DemographyError, match="order"):
        parity_shares({order: 3})  # type: ignore[dict-item]


def test_parity_shares_needs_births() -> None:
    with pytest.raises(UndefinedStatisticError):
        parity_shares({1: 0, 2: 0})
