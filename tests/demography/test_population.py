"""Average population: the official (start + end) / 2 and exact person-years ÷ period length."""

from __future__ import annotations

import pytest

from renkou.demography import (
    DemographyError,
    UndefinedStatisticError,
    average_population,
    person_years_average,
)


def test_average_population_is_mean_of_start_and_end() -> None:
    assert average_population(10_000, 10_200) == (10_000 + 10_200) / 2


def test_average_population_is_not_rounded() -> None:
    assert average_population(120, 81) == (120 + 81) / 2 == 100.5


def test_average_population_of_an_empty_area_is_zero() -> None:
    # Allowed here; it only fails once used as a denominator.
    assert average_population(0, 0) == 0


def test_person_years_average_for_a_year() -> None:
    assert person_years_average(10_093.5, 1) == 10_093.5 / 1


def test_person_years_average_for_a_half_year_report() -> None:
    # 1 October to 31 March: 182 days of a 365-day year.
    period = 182 / 365
    assert person_years_average(5_030, period) == pytest.approx(5_030 / (182 / 365))


def test_person_years_average_needs_a_period() -> None:
    with pytest.raises(UndefinedStatisticError, match="period_years") as caught:
        person_years_average(100, 0)
    assert caught.value.argument == "period_years"


@pytest.mark.parametrize(("start", "end", "name"), [(-1, 10, "start"), (10, float("nan"), "end")])
def test_average_population_rejects_bad_values(start: float, end: float, name: str) -> None:
    with pytest.raises(DemographyError, match=name):
        average_population(start, end)
