"""Confidence intervals for small numbers: Wilson for proportions, Garwood for Poisson counts,
and the intervals built from them for natural growth and the total fertility rate.

Small areas give unstable rates, so every rate shown for fewer than 100 events carries its
count and interval. Everything here uses the standard library only: the normal
quantile comes from :class:`statistics.NormalDist`, and the exact Poisson interval is found
from the Poisson distribution function itself rather than from chi-square quantiles, which
would need SciPy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

from renkou.demography import _checks
from renkou.demography.errors import DemographyError, UndefinedStatisticError

SMALL_NUMBERS = 100
"""Below this many events a statistic is flagged as resting on small numbers."""

EXACT_POISSON_BELOW = 100
"""Poisson intervals are exact below this many events and use Byar's approximation above."""


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
        DemographyError: If a count is negative or not whole, ``successes > trials``, or
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
    z = _checks.normal_quantile(_checks.confidence_level(confidence))
    z2 = z * z
    # (k + z²/2 ± z·√(k(n−k)/n + z²/4)) / (n + z²): the usual form multiplied through by n.
    centre = k + z2 / 2
    spread = z * math.sqrt(k * (n - k) / n + z2 / 4)
    scale = n + z2
    # The clamps only guard against rounding; the bounds are exact at 0 and n successes.
    low = 0.0 if k == 0 else min(k / n, max(0.0, (centre - spread) / scale))
    high = 1.0 if k == n else max(k / n, min(1.0, (centre + spread) / scale))
    return low, high


def poisson_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for the mean of a Poisson count (the Garwood interval).

    The bounds are the means under which the observed count or a more extreme one has
    probability α/2 on each side: ``P(X ≥ k | low) = α/2`` and ``P(X ≤ k | high) = α/2``
    (equivalently ``χ²(α/2; 2k) / 2`` and ``χ²(1−α/2; 2k+2) / 2``). Below
    :data:`EXACT_POISSON_BELOW` events they are solved for exactly, by bisection on the
    Poisson distribution function. From there on Byar's approximation is used, which
    replaces each chi-square quantile by its Wilson–Hilferty cube-root form::

        low  = k · (1 − 1/(9k) − z / (3√k))³
        high = (k+1) · (1 − 1/(9(k+1)) + z / (3√(k+1)))³

    and is within 0.002 % of the exact bounds at 100 events and 95 % (0.03 % at 99.9 %).

    Args:
        events: Observed number of events.
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` bounds for the expected number of events, ``low <= events <= high``;
        ``low`` is 0 when no event was observed, and ``high`` is then ``−ln(α/2)``
        (3.689 at 95 %).

    Raises:
        DemographyError: If ``events`` is negative or not whole, or ``confidence`` is outside
            (0, 1).

    Example:
        >>> low, high = poisson_interval(10)
        >>> round(low, 4), round(high, 4)
        (4.7954, 18.3904)
    """
    k = _checks.whole_count(events, "events")
    level = _checks.confidence_level(confidence)
    tail = (1 - level) / 2
    if k >= EXACT_POISSON_BELOW:
        z = _checks.normal_quantile(level)
        m = k + 1
        low = k * max(0.0, 1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
        high = m * (1 - 1 / (9 * m) + z / (3 * math.sqrt(m))) ** 3
        return min(low, float(k)), max(high, float(k))
    return _exact_poisson(k, tail)


@functools.lru_cache(maxsize=4096)
def _exact_poisson(k: int, tail: float) -> tuple[float, float]:
    """The exact Garwood bounds for ``k`` events (small counts recur across areas and
    periods, so each is solved once per process)."""
    log_tail = math.log(tail)
    if k == 0:
        return 0.0, -log_tail
    # P(X ≥ k | μ) rises with μ; P(X ≤ k | μ) falls. At μ = k both are at least one half,
    # more than α/2, so k brackets the lower bound from above and the upper from below.
    low = _solve(lambda mu: _log_upper_tail(k, mu) - log_tail, k, rising=True)
    high = _solve(lambda mu: _log_lower_tail(k, mu) - log_tail, k, rising=False)
    return low, high


def rate_interval(events: int, population: float, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for a rate per 1000, treating the events as a Poisson count.

    Meant for showing small-area rates (births, deaths, infant deaths) with their
    uncertainty: the bounds are :func:`poisson_interval` divided by the population, exact
    below :data:`EXACT_POISSON_BELOW` events and by Byar's approximation from there on.

    Args:
        events: Observed number of events.
        population: The rate's denominator: average population, women 15–49, live births….
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` per 1000, bracketing ``events / population × 1000``.

    Raises:
        DemographyError: If ``events`` is negative or not whole, ``population`` is negative,
            a value is NaN or infinite, or ``confidence`` is outside (0, 1).
        UndefinedStatisticError: If ``population`` is zero.

    Example:
        >>> low, high = rate_interval(10, 1_000)
        >>> round(low, 2), round(high, 2)
        (4.8, 18.39)
    """
    people = _checks.denominator(population, "population")
    low, high = poisson_interval(events, confidence)
    return low / people * 1000, high / people * 1000


def _log_pmf(j: int, mu: float) -> float:
    """log P(X = j) for X ~ Poisson(mu), mu > 0."""
    return -mu + j * math.log(mu) - math.lgamma(j + 1)


def _log_lower_tail(k: int, mu: float) -> float:
    """log P(X ≤ k) for X ~ Poisson(mu), mu ≥ k (where the solver uses it).

    P(X = k) times 1 + k/mu + k(k−1)/mu² + …: each term is the one before times j/mu, so
    no logarithm or exponential is taken per term; with mu ≥ k the terms fall, and the sum
    stops once they no longer change it.
    """
    total = term = 1.0
    for j in range(k, 0, -1):
        term *= j / mu
        total += term
        if term < total * 1e-17:
            break
    return _log_pmf(k, mu) + math.log(total)


def _log_upper_tail(k: int, mu: float) -> float:
    """log P(X ≥ k) for X ~ Poisson(mu), 0 < mu ≤ k.

    Summed upwards from j = k rather than as 1 − P(X ≤ k−1), which would lose all precision
    when the tail is small (high confidence levels): P(X = k) times 1 + mu/(k+1) +
    mu²/((k+1)(k+2)) + …, whose terms fall from the first on.
    """
    total = term = 1.0
    j = k
    while term >= total * 1e-17:
        j += 1
        term *= mu / j
        total += term
    return _log_pmf(k, mu) + math.log(total)


def _solve(gap: Callable[[float], float], start: float, *, rising: bool) -> float:
    """Root of a monotone ``gap`` that is positive at ``start``: below it if ``rising``, else above.

    Steps away from ``start`` by factors of two until the sign changes, then bisects to the
    last bit. Working with logarithms of probabilities keeps ``gap`` finite however far out
    the root lies.
    """
    near, far = start, start / 2 if rising else start * 2
    while gap(far) > 0:
        near, far = far, far / 2 if rising else far * 2
    for _ in range(2000):
        mid = (near + far) / 2
        if mid in (near, far):
            break
        if gap(mid) > 0:
            near = mid
        else:
            far = mid
    return (near + far) / 2


def bounded_rate_interval(
    events: int, trials: int, per: float = 1000.0, confidence: float = 0.95
) -> tuple[float, float]:
    """Confidence interval for a rate bounded by ``per``: events among trials, per 1000 or 100.

    Infant deaths per 1000 live births, shares of births by order, registration completeness
    and coverage are proportions, not Poisson rates: their interval is :func:`wilson_interval`
    scaled by ``per``, so it never leaves [0, per] (a Poisson interval on 1 infant death in 1
    birth would reach 3688 ‰).

    Args:
        events: The part (e.g. infant deaths); at most ``trials``.
        trials: The whole (e.g. live births).
        per: The scale: 1000 for ‰, 100 for %.
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` with ``0 <= low <= events / trials × per <= high <= per``.

    Raises:
        DemographyError: As :func:`wilson_interval`, or if ``per`` is not positive.
        UndefinedStatisticError: If ``trials`` is zero.

    Example:
        >>> low, high = bounded_rate_interval(1, 1)
        >>> round(low, 1), high
        (206.5, 1000.0)
    """
    scale = _checks.denominator(per, "per")
    low, high = wilson_interval(events, trials, confidence)
    return low * scale, high * scale


def growth_interval(
    births: int, deaths: int, population: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Confidence interval for the natural growth rate ``(births − deaths) / population × 1000``.

    Births and deaths are independent Poisson counts. Each gets its exact interval at the
    level ``1 − α/2``, so that both hold together with probability at least ``1 − α``
    (Bonferroni); the growth rate then lies between the lowest births less the highest
    deaths and the highest births less the lowest deaths. Conservative, never empty, and
    exact in the sense that no normal approximation is made for small counts.

    Args:
        births: Live births in the period.
        deaths: Deaths in the period.
        population: Average population.
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` per 1000, bracketing the growth rate; ``low`` may be negative.

    Raises:
        DemographyError: If a count is negative or not whole, ``population`` is negative or
            not finite, or ``confidence`` is outside (0, 1).
        UndefinedStatisticError: If ``population`` is zero.

    Example:
        >>> low, high = growth_interval(120, 80, 10_000)
        >>> low < 4.0 < high
        True
    """
    people = _checks.denominator(population, "population")
    level = _checks.confidence_level(confidence)
    each = 1 - (1 - level) / 2
    b_low, b_high = poisson_interval(births, each)
    d_low, d_high = poisson_interval(deaths, each)
    return (b_low - d_high) / people * 1000, (b_high - d_low) / people * 1000


def total_fertility_interval(
    births_by_group: Sequence[int],
    women_by_group: Sequence[float],
    width: int = 5,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Confidence interval for the total fertility rate ``width × Σ births_g / women_g``.

    The TFR is a weighted sum of Poisson counts, weight ``width / women_g`` for group g, so its
    variance is ``Σ weight² × births_g`` (Chiang's variance of age-specific rates); the
    interval is the normal one, cut at 0 below. With no births at all it is 0 to the exact
    Poisson bound for no events (3.689 at 95 %) at the largest weight. Groups without women
    are left out, as they are from the TFR.

    Args:
        births_by_group: Births to mothers of each age group.
        women_by_group: Average women of the same groups, in the same order.
        width: Width of each age group in years (5, or 1 for single years).
        confidence: Two-sided confidence level, strictly between 0 and 1.

    Returns:
        ``(low, high)`` in children per woman, bracketing the TFR, ``low >= 0``.

    Raises:
        DemographyError: If the sequences differ in length, a count is negative or not
            whole, a number of women is negative or not finite, or ``confidence`` is outside
            (0, 1).
        UndefinedStatisticError: If no group has women.

    Example:
        >>> low, high = total_fertility_interval([0, 10, 20, 5, 0, 0, 0], [100] * 7)
        >>> round(low, 3), round(high, 3)
        (1.17, 2.33)
    """
    if len(births_by_group) != len(women_by_group):
        raise DemographyError(
            "births_by_group and women_by_group must have the same length",
            argument="births_by_group",
        )
    level = _checks.confidence_level(confidence)
    for i, (born, women) in enumerate(zip(births_by_group, women_by_group, strict=True)):
        _checks.whole_count(born, f"births_by_group[{i}]")
        _checks.count(women, f"women_by_group[{i}]")
    return total_fertility_interval_of_counts(births_by_group, women_by_group, width, level)


@functools.lru_cache(maxsize=64)
def _no_events_bound(level: float) -> float:
    return poisson_interval(0, level)[1]


@functools.lru_cache(maxsize=64)
def _z(level: float) -> float:
    return _checks.normal_quantile(level)


def total_fertility_interval_of_counts(
    births_by_group: Sequence[int],
    women_by_group: Sequence[float],
    width: int = 5,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """:func:`total_fertility_interval` of counts the caller made itself and knows to be
    valid (whole births, finite non-negative women, a confidence in (0, 1)): the same
    result without checking each value, for the many cells of a statistics refresh."""
    pairs = [(k, width / w) for k, w in zip(births_by_group, women_by_group, strict=True) if w > 0]
    if not pairs:
        raise UndefinedStatisticError("no age group has women", argument="women_by_group")
    tfr = math.fsum(k * weight for k, weight in pairs)
    if tfr == 0:
        return 0.0, max(weight for _, weight in pairs) * _no_events_bound(confidence)
    spread = _z(confidence) * math.sqrt(math.fsum(k * weight * weight for k, weight in pairs))
    return max(0.0, tfr - spread), tfr + spread
