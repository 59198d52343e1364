"""Every function rejects negative counts, NaN, infinities, zero denominators and bad levels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from renkou import demography as dm
from renkou.demography import DemographyError, UndefinedStatisticError

NAN = float("nan")
INF = float("inf")

# (call, argument named in the message and in ``error.argument``, expected class)
CASES: list[tuple[Callable[[], Any], str, type[DemographyError]]] = [
    (lambda: dm.average_population(-5, 10), "start", DemographyError),
    (lambda: dm.person_years_average(-1, 1), "person_years", DemographyError),
    (lambda: dm.person_years_average(10, -1), "period_years", DemographyError),
    (lambda: dm.crude_rate(-1, 1_000), "events", DemographyError),
    (lambda: dm.crude_rate(NAN, 1_000), "events", DemographyError),
    (lambda: dm.crude_rate(3, INF), "average_population", DemographyError),
    (lambda: dm.crude_rate(3, 0), "average_population", UndefinedStatisticError),
    (lambda: dm.crude_rate(3, -100), "average_population", DemographyError),
    (lambda: dm.natural_growth_rate(10, -2, 100), "deaths", DemographyError),
    (lambda: dm.natural_growth_rate(10, 2, 0), "average_population", UndefinedStatisticError),
    (lambda: dm.infant_mortality_rate(NAN, 100), "infant_deaths", DemographyError),
    (lambda: dm.general_fertility_rate(5, -1), "average_women_15_49", DemographyError),
    (lambda: dm.sex_ratio_at_birth(-1, 10), "boys", DemographyError),
    (lambda: dm.sex_ratio_at_birth(10, 2.5), "girls", DemographyError),  # type: ignore[arg-type]
    (lambda: dm.sex_ratio_at_birth(0, 0), "girls", UndefinedStatisticError),
    (lambda: dm.sex_ratio_at_birth(5, 5, 1.0), "confidence", DemographyError),
    (lambda: dm.wilson_interval(1, 10, 0.0), "confidence", DemographyError),
    (lambda: dm.poisson_interval(-1), "events", DemographyError),
    (lambda: dm.poisson_interval(3, NAN), "confidence", DemographyError),
    (lambda: dm.rate_interval(3, 1_000, 1.5), "confidence", DemographyError),
    (lambda: dm.rate_interval(3, -1), "population", DemographyError),
    (
        lambda: dm.age_specific_fertility_rates({"15-19": -1}, {"15-19": 10}),
        "births",
        DemographyError,
    ),
    (lambda: dm.age_specific_fertility_rates({}, {"15-19": NAN}), "women", DemographyError),
    (lambda: dm.parity_shares({1: -3}), "births_by_order[1]", DemographyError),
]


@pytest.mark.parametrize(("call", "argument", "kind"), CASES)
def test_bad_arguments_raise_naming_the_argument(
    call: Callable[[], Any], argument: str, kind: type[DemographyError]
) -> None:
    with pytest.raises(DemographyError, match=argument.replace("[", r"\[")) as caught:
        call()
    assert isinstance(caught.value, kind)
    assert caught.value.argument is not None
    assert argument in caught.value.argument


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="events"):
        dm.crude_rate(-1, 100)


def test_non_numbers_are_type_errors() -> None:
    with pytest.raises(TypeError, match="events"):
        dm.crude_rate("12", 100)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="boys"):
        dm.sex_ratio_at_birth(True, 3)


def test_integral_floats_count_as_whole_numbers() -> None:
    # A column sum read from a spreadsheet often arrives as 324.0.
    assert dm.sex_ratio_at_birth(324.0, 335.0) == dm.sex_ratio_at_birth(324, 335)  # type: ignore[arg-type]
