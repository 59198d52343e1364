"""Average population (年平均人口), the denominator of every crude rate."""

from __future__ import annotations

from renkou.demography import _checks


def average_population(start: float, end: float) -> float:
    """Average population by the official convention: (population at start + at end) / 2.

    Args:
        start: Population at the first instant of the period (期初人口).
        end: Population at the last instant of the period (期末人口).

    Returns:
        The mean of the two, unrounded.

    Raises:
        DemographyError: If either population is negative, NaN or infinite.

    Example:
        >>> average_population(10_000, 10_200)
        10100.0
    """
    first = _checks.count(start, "start")
    last = _checks.count(end, "end")
    return (first + last) / 2


def person_years_average(person_years: float, period_years: float) -> float:
    """Average population as exact person-years lived in the period ÷ the period's length.

    The exact alternative to :func:`average_population`: each person counts for the fraction
    of the period they were alive and in the area.

    Args:
        person_years: Person-years lived in the area during the period.
        period_years: Length of the period in years (1 for a year, 0.5 for a half-year report;
            for a period of ``d`` days use ``d / 365.25`` or the calendar's own length).

    Returns:
        The average number of persons present, unrounded.

    Raises:
        DemographyError: If ``person_years`` is negative, or either value is NaN or infinite.
        UndefinedStatisticError: If ``period_years`` is zero.

    Example:
        >>> person_years_average(5_050, 0.5)
        10100.0
    """
    lived = _checks.count(person_years, "person_years")
    length = _checks.denominator(period_years, "period_years")
    return lived / length
