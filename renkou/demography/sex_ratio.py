"""Sex ratio at birth (出生人口性别比) with its Wilson interval, and the multi-year weighted SRB."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from renkou.demography import _checks
from renkou.demography.errors import DemographyError
from renkou.demography.intervals import SMALL_NUMBERS, wilson_interval

NORMAL_LOW = 103.0
"""Lower end of the usual normal range of the sex ratio at birth (the default of the dated
setting an office changes; every function takes the band as arguments)."""
NORMAL_HIGH = 107.0
"""Upper end of the usual normal range of the sex ratio at birth (the default, as above)."""

WEIGHT_TOLERANCE = 1e-9
"""How far the weights of :func:`weighted_sex_ratio` may sum away from 1."""


@dataclass(frozen=True)
class SexRatio:
    """A sex ratio at birth (boys per 100 girls) with its confidence interval.

    Build it with :func:`sex_ratio_at_birth`, which checks the counts and computes the
    interval; the fields are not re-checked here.

    Attributes:
        boys: Male live births.
        girls: Female live births (at least one).
        ratio: ``boys / girls × 100``.
        low: Lower end of the interval for the ratio.
        high: Upper end of the interval for the ratio.
        confidence: The interval's two-sided confidence level.
    """

    boys: int
    girls: int
    ratio: float
    low: float
    high: float
    confidence: float

    @property
    def births(self) -> int:
        """All live births, boys and girls."""
        return self.boys + self.girls

    @property
    def small_numbers(self) -> bool:
        """True below 100 births, where the ratio must be shown with its count and interval."""
        return self.births < SMALL_NUMBERS

    def within(self, low: float = NORMAL_LOW, high: float = NORMAL_HIGH) -> bool | None:
        """Whether the ratio lies in a normal range, as far as the interval can tell.

        The answer is about the interval, not the point estimate: with a few hundred births
        the interval is ±15 or more, so the point estimate alone would raise false alarms.

        Args:
            low: Lower end of the normal range (103 by default).
            high: Upper end of the normal range (107 by default).

        Returns:
            ``True`` if the whole interval lies inside ``[low, high]``; ``False`` if it
            excludes the range entirely, lying wholly above ``high`` or wholly below ``low``
            (the case that raises a flag); ``None`` if the interval overlaps the range without
            lying inside it, so the data cannot tell either way. An interval that only touches
            the range at one end counts as overlapping.

        Raises:
            DemographyError: If an end is NaN or infinite, or ``low > high``.

        Example:
            >>> sex_ratio_at_birth(600, 500).within()  # 120, interval about 106.6 to 135.1
            >>> sex_ratio_at_birth(6000, 5000).within()  # 120, interval about 115.6 to 124.6
            False
        """
        band_low = _checks.real(low, "low")
        band_high = _checks.real(high, "high")
        if band_low > band_high:
            raise DemographyError(
                f"low ({band_low:g}) must not exceed high ({band_high:g})", argument="low"
            )
        if band_low <= self.low and self.high <= band_high:
            return True
        if self.high < band_low or self.low > band_high:
            return False
        return None


def sex_ratio_at_birth(boys: int, girls: int, confidence: float = 0.95) -> SexRatio:
    """Sex ratio at birth: male births per 100 female births, with its confidence interval.

    The interval is the Wilson score interval for the proportion of boys ``p = boys / births``
    with both ends mapped through ``100·p / (1 − p)``, so it is asymmetric around the ratio
    and never negative. With no boys the ratio is 0 and the interval runs from 0 to a finite
    upper end.

    Args:
        boys: Male live births.
        girls: Female live births.
        confidence: Two-sided confidence level of the interval, strictly between 0 and 1.

    Returns:
        The ratio, its interval and the counts.

    Raises:
        DemographyError: If a count is negative or not whole, or ``confidence`` is outside
            (0, 1).
        UndefinedStatisticError: If there are no girls: the ratio would be infinite.

    Example:
        >>> srb = sex_ratio_at_birth(324, 335)
        >>> round(srb.ratio, 2), round(srb.low, 1), round(srb.high, 1)
        (96.72, 83.0, 112.7)
    """
    male = _checks.whole_count(boys, "boys")
    female = _checks.whole_count(girls, "girls")
    _checks.denominator(female, "girls")  # no girls: the ratio is infinite
    level = _checks.confidence_level(confidence)
    births = male + female
    boys_low, boys_high = wilson_interval(male, births, level)
    # 1 − p for the ends is the Wilson interval for the girls' share (the interval is
    # symmetric under swapping the two), computed directly so that no precision is lost
    # to cancellation when p is close to 1.
    girls_low, girls_high = wilson_interval(female, births, level)
    return SexRatio(
        boys=male,
        girls=female,
        ratio=male / female * 100,
        low=boys_low / girls_high * 100,
        high=boys_high / girls_low * 100,
        confidence=level,
    )


def weighted_sex_ratio(parts: Iterable[tuple[int, int, float]]) -> float:
    """Multi-year weighted sex ratio at birth (加权出生性别比): Σ weightₖ × SRBₖ.

    Each part is a group of births pooled over its years (e.g. 2012–2014 together, then 2015
    alone), with the weight the target agreement gives it. Late-reported births belong to
    the part of the year they happened in.

    Args:
        parts: ``(boys, girls, weight)`` for each pooled group; the weights must be
            non-negative and sum to 1 (within 1e-9).

    Returns:
        ``Σ weightₖ × 100 × boysₖ / girlsₖ``, unrounded.

    Raises:
        DemographyError: If there are no parts, a count is negative or not whole, a weight is
            negative, NaN or infinite, or the weights do not sum to 1.
        UndefinedStatisticError: If a part has no girls.

    Example:
        >>> round(weighted_sex_ratio([(324, 335, 0.4), (84, 69 + 3, 0.6)]), 4)
        108.6866
    """
    weights: list[float] = []
    terms: list[float] = []
    for index, part in enumerate(parts):
        if len(part) != 3:
            raise DemographyError(
                f"parts[{index}] must be (boys, girls, weight), got {len(part)} items",
                argument="parts",
            )
        boys, girls, weight = part
        male = _checks.whole_count(boys, f"parts[{index}] boys")
        female = _checks.whole_count(girls, f"parts[{index}] girls")
        _checks.denominator(female, f"parts[{index}] girls")
        share = _checks.count(weight, f"parts[{index}] weight")
        weights.append(share)
        terms.append(share * (male / female * 100))
    if not weights:
        raise DemographyError("parts is empty", argument="parts")
    total = math.fsum(weights)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise DemographyError(f"weights must sum to 1, got {total!r}", argument="parts")
    return math.fsum(terms)


Position = Literal["within", "above", "below", "uncertain"]


def band_position(
    low: float, high: float, band_low: float = NORMAL_LOW, band_high: float = NORMAL_HIGH
) -> Position:
    """Where an interval of the sex ratio lies against the normal band.

    ``"within"`` when the whole interval lies inside ``[band_low, band_high]``, ``"above"``
    or ``"below"`` when it excludes the band entirely (the only cases that raise a flag), and
    ``"uncertain"`` when it overlaps the band without lying inside it (touching counts as
    overlapping), as :meth:`SexRatio.within` decides.

    Example:
        >>> band_position(106.6, 135.1), band_position(107.5, 120.0)
        ('uncertain', 'above')
    """
    lo, hi = _checks.real(low, "low"), _checks.real(high, "high")
    b_lo, b_hi = _checks.real(band_low, "band_low"), _checks.real(band_high, "band_high")
    if b_lo > b_hi:
        raise DemographyError(
            f"band_low ({b_lo:g}) must not exceed band_high ({b_hi:g})", argument="band_low"
        )
    if b_lo <= lo and hi <= b_hi:
        return "within"
    if lo > b_hi:
        return "above"
    if hi < b_lo:
        return "below"
    return "uncertain"


@dataclass(frozen=True)
class WeightedScore:
    """A weighted SRB as a target agreement scores it: each part cut to ``decimals``.

    Attributes:
        total: The sum of the cut parts (what the agreement prints, e.g. 108.68).
        parts: ``weightₖ × SRBₖ`` of each part, cut (rounded towards zero) to ``decimals``.
        ratios: Each part's pooled SRB, unrounded.
        exact: ``Σ weightₖ × SRBₖ`` unrounded (108.6866 for the example).
    """

    total: float
    parts: tuple[float, ...]
    ratios: tuple[float, ...]
    exact: float


def weighted_sex_ratio_score(
    parts: Iterable[tuple[int, int, float]], decimals: int = 2
) -> WeightedScore:
    """The multi-year weighted SRB as offices score it: parts cut to ``decimals``, then summed.

    Each part ``weightₖ × 100 × boysₖ / girlsₖ`` is computed exactly (weights read as the
    decimals they are written as: 0.4 is 2/5) and cut, not rounded, to two decimals; the
    total is the sum of the cut parts, so the printed parts add up to the printed total. This
    is how the scores are printed: 2012–2014 (324 boys, 335 girls, ratio 96.716…) at 40 %
    gives 38.686… → 38.68, 2015 (84 boys, 72 girls, ratio 116.666…) at 60 % gives 70.00,
    total 108.68. Rounding half up, part by part or the exact total, would give 108.69.

    Args:
        parts: ``(boys, girls, weight)`` per pooled group, as for :func:`weighted_sex_ratio`.
        decimals: Decimals the parts are cut to.

    Raises:
        DemographyError, UndefinedStatisticError: As :func:`weighted_sex_ratio`.

    Example:
        >>> score = weighted_sex_ratio_score([(324, 335, 0.4), (84, 69 + 3, 0.6)])
        >>> score.parts, score.total
        ((38.68, 70.0), 108.68)
    """
    items = list(parts)
    exact = weighted_sex_ratio(items)  # checks every part and the weights' sum
    unit = Fraction(1, 10**decimals)
    cut: list[Fraction] = []
    ratios: list[float] = []
    for boys, girls, weight in items:
        ratio = Fraction(100 * int(boys), int(girls))
        term = Fraction(str(float(weight))) * ratio
        cut.append(math.floor(term / unit) * unit)
        ratios.append(float(ratio))
    return WeightedScore(
        total=float(sum(cut, Fraction(0))),
        parts=tuple(float(c) for c in cut),
        ratios=tuple(ratios),
        exact=exact,
    )
