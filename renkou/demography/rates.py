"""Crude rates per 1000 (‰): births, deaths, natural growth, infant mortality."""

from __future__ import annotations

from renkou.demography import _checks

PER_1000 = 1000.0


def crude_rate(events: float, average_population: float) -> float:
    """Events per 1000 of the average population (出生率, 死亡率 and other crude rates).

    Args:
        events: Births, deaths or other events in the period.
        average_population: Average population of the period (see :func:`average_population`).

    Returns:
        ``events / average_population × 1000``, unrounded.

    Raises:
        DemographyError: If a value is negative, NaN or infinite.
        UndefinedStatisticError: If ``average_population`` is zero.

    Example:
        >>> crude_rate(120, 10_000)
        12.0
    """
    numerator = _checks.count(events, "events")
    population = _checks.denominator(average_population, "average_population")
    return numerator / population * PER_1000


def natural_growth_rate(births: float, deaths: float, average_population: float) -> float:
    """Natural growth rate (自然增长率): (births − deaths) per 1000 of the average population.

    Args:
        births: Live births in the period.
        deaths: Deaths in the period.
        average_population: Average population of the period.

    Returns:
        ``(births − deaths) / average_population × 1000``; negative when deaths exceed births.

    Raises:
        DemographyError: If a value is negative, NaN or infinite.
        UndefinedStatisticError: If ``average_population`` is zero.

    Example:
        >>> natural_growth_rate(120, 80, 10_000)
        4.0
    """
    born = _checks.count(births, "births")
    died = _checks.count(deaths, "deaths")
    population = _checks.denominator(average_population, "average_population")
    return (born - died) / population * PER_1000


def infant_mortality_rate(infant_deaths: float, live_births: float) -> float:
    """Infant mortality rate (婴儿死亡率): deaths under age 1 per 1000 live births.

    Deaths may exceed births in a small area (an infant born last year can die this year), so
    no upper bound is checked.

    Args:
        infant_deaths: Deaths of children under one year of age in the period.
        live_births: Live births in the same period.

    Returns:
        ``infant_deaths / live_births × 1000``, unrounded.

    Raises:
        DemographyError: If a value is negative, NaN or infinite.
        UndefinedStatisticError: If ``live_births`` is zero.

    Example:
        >>> infant_mortality_rate(3, 600)
        5.0
    """
    deaths = _checks.count(infant_deaths, "infant_deaths")
    births = _checks.denominator(live_births, "live_births")
    return deaths / births * PER_1000
