"""Argument checks shared by the statistics: numbers, counts, denominators, confidence levels."""

from __future__ import annotations

import math
from numbers import Real
from statistics import NormalDist

from renkou.demography.errors import DemographyError, UndefinedStatisticError


def real(value: object, name: str) -> float:
    """Return ``value`` as a finite float; reject booleans, non-numbers, NaN and infinities."""
    # Plain int and float first: the abstract-class check below costs more than the rest of
    # a rate (these checks run millions of times in a full refresh of the indicators).
    # bool is an int subclass, but True as a birth count is always a mistake upstream.
    kind = type(value)
    plain = kind is float or kind is int
    if not plain and (isinstance(value, bool) or not isinstance(value, Real)):
        raise TypeError(f"{name} must be a number, not {kind.__name__}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        if math.isnan(number):
            raise DemographyError(f"{name} is NaN", argument=name)
        raise DemographyError(f"{name} must be finite, got {number}", argument=name)
    return number


def count(value: object, name: str) -> float:
    """Return a finite, non-negative number (a count, possibly estimated, or a population)."""
    number = real(value, name)
    if number < 0:
        raise DemographyError(f"{name} must not be negative, got {number:g}", argument=name)
    return number


def whole_count(value: object, name: str) -> int:
    """Return a non-negative whole number (births, boys, girls) as an int.

    Integral floats such as ``324.0`` (a column sum from a spreadsheet) are accepted.
    """
    number = count(value, name)
    if not number.is_integer():
        raise DemographyError(f"{name} must be a whole number, got {number:g}", argument=name)
    return int(value) if isinstance(value, int) else int(number)


def denominator(value: object, name: str) -> float:
    """Return a finite, strictly positive denominator; zero means the statistic is undefined."""
    number = count(value, name)
    if number == 0:
        raise UndefinedStatisticError(
            f"{name} is zero, so the statistic is undefined", argument=name
        )
    return number


def confidence_level(confidence: object, name: str = "confidence") -> float:
    """Return a two-sided confidence level, which must lie strictly between 0 and 1."""
    level = real(confidence, name)
    if not 0 < level < 1:
        raise DemographyError(
            f"{name} must lie strictly between 0 and 1, got {level:g}", argument=name
        )
    return level


def normal_quantile(level: float) -> float:
    """Return z such that a standard normal lies within ±z with probability ``level``."""
    # From the lower tail (1 − level)/2, which keeps its precision for levels close to 1,
    # rather than from (1 + level)/2, which rounds to 1.0 (and fails) within 1e-16 of 1.
    return abs(NormalDist().inv_cdf((1 - level) / 2))
