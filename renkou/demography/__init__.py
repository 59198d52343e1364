"""Demographic statistics for county population reports (人口统计), by the official definitions.

A pure library: plain numbers in, exact (unrounded) floats out, no Django, no I/O, standard
library only. Rates are per 1000 (‰) and shares in percent, as the official forms print them.

    >>> from renkou import demography as dm
    >>> population = dm.average_population(10_000, 10_200)
    >>> dm.crude_rate(101, population)  # crude birth rate, ‰
    10.0
    >>> srb = dm.sex_ratio_at_birth(324, 335)
    >>> srb.within() is None  # 96.7, but 659 births cannot tell it from 103–107
    True

Every function checks its arguments and raises :class:`DemographyError` (a ``ValueError``)
naming the offending one; a statistic with a zero denominator raises its subclass
:class:`UndefinedStatisticError`.
"""

from renkou.demography.errors import DemographyError, UndefinedStatisticError
from renkou.demography.fertility import (
    age_specific_fertility_rates,
    general_fertility_rate,
    parity_shares,
    total_fertility_rate,
)
from renkou.demography.intervals import (
    SMALL_NUMBERS,
    bounded_rate_interval,
    growth_interval,
    poisson_interval,
    rate_interval,
    total_fertility_interval,
    total_fertility_interval_of_counts,
    wilson_interval,
)
from renkou.demography.population import average_population, person_years_average
from renkou.demography.rates import crude_rate, infant_mortality_rate, natural_growth_rate
from renkou.demography.sex_ratio import (
    NORMAL_HIGH,
    NORMAL_LOW,
    SexRatio,
    sex_ratio_at_birth,
    weighted_sex_ratio,
)

__all__ = [
    "NORMAL_HIGH",
    "NORMAL_LOW",
    "SMALL_NUMBERS",
    "DemographyError",
    "SexRatio",
    "UndefinedStatisticError",
    "age_specific_fertility_rates",
    "average_population",
    "bounded_rate_interval",
    "crude_rate",
    "general_fertility_rate",
    "growth_interval",
    "infant_mortality_rate",
    "natural_growth_rate",
    "parity_shares",
    "person_years_average",
    "poisson_interval",
    "rate_interval",
    "sex_ratio_at_birth",
    "total_fertility_interval",
    "total_fertility_interval_of_counts",
    "total_fertility_rate",
    "weighted_sex_ratio",
    "wilson_interval",
]
