"""Crude birth and death rates, natural growth and infant mortality, per 1000."""

from __future__ import annotations

import pytest

from renkou.demography import (
    UndefinedStatisticError,
    average_population,
    crude_rate,
    infant_mortality_rate,
    natural_growth_rate,
)


def test_crude_birth_rate_on_average_population() -> None:
    population = average_population(10_000, 10_200)
    assert crude_rate(101, population) == pytest.approx(101 / ((10_000 + 10_200) / 2) * 1000)
    assert crude_rate(101, population) == pytest.approx(10.0)


def test_crude_rate_is_exact_not_rounded() -> None:
    assert crude_rate(1, 3) == 1 / 3 * 1000


def test_crude_rate_of_no_events_is_zero() -> None:
    assert crude_rate(0, 500) == 0


def test_natural_growth_rate() -> None:
    assert natural_growth_rate(120, 80, 10_000) == pytest.approx((120 - 80) / 10_000 * 1000)


def test_natural_growth_rate_is_negative_when_deaths_exceed_births() -> None:
    assert natural_growth_rate(61, 95, 8_500) == pytest.approx((61 - 95) / 8_500 * 1000)
    assert natural_growth_rate(61, 95, 8_500) < 0


def test_infant_mortality_rate() -> None:
    assert infant_mortality_rate(3, 612) == pytest.approx(3 / 612 * 1000)


def test_infant_deaths_may_exceed_births_in_a_small_area() -> None:
    # An infant born last December who dies in January counts against this year's births.
    assert infant_mortality_rate(2, 1) == pytest.approx(2 / 1 * 1000)


def test_infant_mortality_rate_needs_births() -> None:
    with pytest.raises(UndefinedStatisticError, match="live_births"):
        infant_mortality_rate(0, 0)
