"""Confidence intervals for small numbers: Wilson for proportions, Byar for Poisson counts.

Small areas give unstable rates, so every rate shown for fewer than 100 events carries its
count and interval (DOMAIN.md §5). Everything here is standard library only: the normal
quantile comes from :class:`statistics.NormalDist`, and the Poisson interval uses Byar's
approximation instead of a chi-square quantile, which would need SciPy.
"""

from __future__ import annotations

import math

from renkou.demography import _checks
from renkou.demography.errors import DemographyError

SMALL_NUMBERS = 100
"""Below this many events a statistic is flagged as resting on small numbers."""


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / trials``.

    Unlike the textbook ``p ± z·√(p(1−p)/n)`` interval it stays inside [0, 1] and keeps close
    to its nominal coverage with few trials or a proportion near 0 or 1.

    Args:
        successes: Number of successes (e.g. boys among births).
        trials: Number of trials (e.g. all births); at least ``successes``.
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` with ``0 <= low <= successes / trials <= high <= 1``; ``low`` is exactly
        0 when there are no successes and ``high`` exactly 1 when all trials succeed.

    Raises:
        DemographyError: If a count is negative, not whole, or ``successes > trials``, or
            ``confidence`` is outside (0, 1).
        UndefinedStatisticError: If ``trials`` is zero.

    Example:
        >>> low, high = wilson_interval(60, 100)
        >>> round(low, 4), round(high, 4)
        (0.502, 0.6906)
    """
    k = _checks.whole_count(successes, "successes")
    n = _checks.whole_count(trials, "trials")
    _checks.denominator(n, "trials")
    if k > n:
        raise DemographyError(f"successes ({k}) must not exceed trials ({n})", argument="successes")
    z = _checks.normal_quantile(confidence)
    z2 = z * z
    # (k + z²/2 ± z·√(k(n−k)/n + z²/4)) / (n + z²): the usual form multiplied through by n,
    # which avoids dividing small proportions.
    centre = k + z2 / 2
    spread = z * math.sqrt(k * (n - k) / n + z2 / 4)
    scale = n + z2
    low = 0.0 if k == 0 else max(0.0, (centre - spread) / scale)
    high = 1.0 if k == n else min(1.0, (centre + spread) / scale)
    return low, high


def poisson_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for the mean of a Poisson count, by Byar's approximation.

    The exact (Garwood) interval is ``(χ²(α/2; 2k) / 2, χ²(1−α/2; 2k+2) / 2)``. Byar's
    approximation replaces each chi-square quantile by its Wilson–Hilferty cube-root form::

        low  = k · (1 − 1/(9k) − z / (3√k))³
        high = (k+1) · (1 − 1/(9(k+1)) + z / (3√(k+1)))³

    It is within about 0.5 % of the exact interval from a single event upwards and within
    0.1 % from about ten. Where the chi-square has 2 degrees of freedom its quantile has a
    closed form, so the bounds that would use it are exact: ``high = −ln(α/2)`` for
    ``k = 0`` (3.689 at 95 %) and ``low = −ln(1 − α/2)`` for ``k = 1``; ``low`` is 0 for
    ``k = 0``. At extreme confidence levels (above about 99.5 %) Byar's lower bound for two
    or three events can fall below zero; it is then reported as 0.

    Args:
        events: Observed number of events.
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` bounds for the expected number of events, ``low <= events <= high``.

    Raises:
        DemographyError: If ``events`` is negative or not whole, or ``confidence`` is outside
            (0, 1).

    Example:
        >>> low, high = poisson_interval(10)
        >>> round(low, 2), round(high, 2)
        (4.79, 18.39)
    """
    k = _checks.whole_count(events, "events")
    z = _checks.normal_quantile(confidence)
    tail = (1 - _checks.real(confidence, "confidence")) / 2  # α/2
    if k == 0:
        low = 0.0
    elif k == 1:
        low = -math.log1p(-tail)
    else:
        low = k * max(0.0, 1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    if k == 0:
        high = -math.log(tail)
    else:
        m = k + 1
        high = m * (1 - 1 / (9 * m) + z / (3 * math.sqrt(m))) ** 3
    return low, high


def rate_interval(events: int, population: float, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for a rate per 1000, treating the events as a Poisson count.

    Meant for showing small-area rates (births, deaths, infant deaths) with their
    uncertainty. The bounds are :func:`poisson_interval` divided by the population; see there
    for the approximation used.

    Args:
        events: Observed number of events.
        population: The rate's denominator: average population, women 15–49, live births….
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` per 1000, bracketing ``events / population × 1000``.

    Raises:
        DemographyError: If ``events`` is negative or not whole, ``population`` is negative,
            a value is NaN, or ``confidence`` is outside (0, 1).
        UndefinedStatisticError: If ``population`` is zero.

    Example:
        >>> low, high = rate_interval(10, 1_000)
        >>> round(low, 2), round(high, 2)
        (4.79, 18.39)
    """
    people = _checks.denominator(population, "population")
    low, high = poisson_interval(events, confidence)
    return low / people * 1000, high / people * 1000
