"""Fertility: age-specific, total and general fertility rates, and births by parity."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from numbers import Integral
from typing import Any, TypeVar

from renkou.demography import _checks
from renkou.demography.errors import DemographyError, UndefinedStatisticError

G = TypeVar("G", bound=Hashable)

PER_1000 = 1000.0
PARITY_KEYS = ("1", "2", "3+")
"""Keys of :func:`parity_shares`: first births, second births, third and later births."""


def age_specific_fertility_rates(
    births_by_group: Mapping[G, float], women_by_group: Mapping[G, float]
) -> dict[G, float]:
    """Age-specific fertility rates (年龄别生育率) per 1000 women of each age group.

    Groups are whatever keys the caller uses, e.g. ``"15-19"`` … ``"45-49"`` or the first
    age of each group, and must be spelt the same way in both mappings.

    Args:
        births_by_group: Live births by the mother's age group.
        women_by_group: Average number of women in each age group over the period.

    Returns:
        ``births / women × 1000`` for every group, in the order of ``women_by_group``. A group
        with women but no entry in ``births_by_group`` gets 0, and so does a group with no
        women and no births (nothing happened and nobody was exposed: it adds nothing to the
        total fertility rate). A group listed only among the births with 0 births gets 0 too,
        after the others.

    Raises:
        DemographyError: If a count is negative, NaN or infinite.
        UndefinedStatisticError: If a group has births but no women (absent or zero), which
            usually means the two mappings spell a group differently.

    Example:
        >>> age_specific_fertility_rates({"20-24": 30}, {"20-24": 1_000, "25-29": 1_200})
        {'20-24': 30.0, '25-29': 0.0}
    """
    rates: dict[G, float] = {}
    for group, women in women_by_group.items():
        exposed = _checks.count(women, f"women_by_group[{group!r}]")
        born = _checks.count(births_by_group.get(group, 0), f"births_by_group[{group!r}]")
        if born == 0:
            rates[group] = 0.0
        elif exposed == 0:
            raise UndefinedStatisticError(
                f"age group {group!r} has {born:g} births but no women",
                argument="women_by_group",
            )
        else:
            rates[group] = born / exposed * PER_1000
    for group, births in births_by_group.items():
        if group in rates:
            continue
        born = _checks.count(births, f"births_by_group[{group!r}]")
        if born != 0:
            raise UndefinedStatisticError(
                f"age group {group!r} has {born:g} births but is missing from women_by_group",
                argument="women_by_group",
            )
        rates[group] = 0.0
    return rates


def total_fertility_rate(
    asfr_per_1000: Mapping[Any, float] | Iterable[float], width: int = 5
) -> float:
    """Total fertility rate (总和生育率): children per woman, ``width × Σ ASFR / 1000``.

    The number of children a woman would have if she lived through the reproductive ages
    bearing children at the given age-specific rates. Which groups are present is not
    checked: pass all of 15–19 … 45–49 (or single years 15 … 49 with ``width=1``).

    Args:
        asfr_per_1000: Age-specific fertility rates per 1000 women, as a mapping (e.g. the
            result of :func:`age_specific_fertility_rates`, whose values are used) or as a
            plain sequence of rates.
        width: Width of each age group in years: 5 for five-year groups, 1 for single years.

    Returns:
        ``width × Σ ASFR / 1000``, unrounded.

    Raises:
        DemographyError: If no rate is given, a rate is negative, NaN or infinite, or
            ``width`` is not a positive whole number.

    Example:
        >>> total_fertility_rate([10, 60, 90, 50, 20, 5, 1])
        1.18
    """
    if isinstance(width, bool) or not isinstance(width, Integral) or width < 1:
        raise DemographyError(
            f"width must be a positive whole number of years, got {width!r}", argument="width"
        )
    if isinstance(asfr_per_1000, Mapping):
        labelled = [(f"asfr_per_1000[{k!r}]", v) for k, v in asfr_per_1000.items()]
    else:
        labelled = [(f"asfr_per_1000[{i}]", v) for i, v in enumerate(asfr_per_1000)]
    if not labelled:
        raise DemographyError("asfr_per_1000 is empty", argument="asfr_per_1000")
    rates = [_checks.count(rate, name) for name, rate in labelled]
    return width * math.fsum(rates) / PER_1000


def general_fertility_rate(births: float, average_women_15_49: float) -> float:
    """General fertility rate (一般生育率): births per 1000 women aged 15–49.

    Args:
        births: Live births in the period.
        average_women_15_49: Average number of women aged 15–49 over the period.

    Returns:
        ``births / average_women_15_49 × 1000``, unrounded.

    Raises:
        DemographyError: If a value is negative, NaN or infinite.
        UndefinedStatisticError: If ``average_women_15_49`` is zero.

    Example:
        >>> general_fertility_rate(45, 1_500)
        30.0
    """
    born = _checks.count(births, "births")
    women = _checks.denominator(average_women_15_49, "average_women_15_49")
    return born / women * PER_1000


def parity_shares(births_by_order: Mapping[int, int]) -> dict[str, float]:
    """Shares of births by order (一孩率 / 二孩率 / 多孩率), in percent.

    The order of a birth is the mother's number of live births so far, this one included.

    Args:
        births_by_order: Births by order: ``{1: first births, 2: second births, 3: …}``;
            orders 3 and above are pooled. Missing orders count as no births.

    Returns:
        ``{"1": %, "2": %, "3+": %}`` of all births, unrounded; the three sum to 100 up to
        rounding.

    Raises:
        DemographyError: If an order is not a whole number of at least 1, or a count is
            negative or not whole.
        UndefinedStatisticError: If there are no births at all.

    Example:
        >>> parity_shares({1: 50, 2: 40, 3: 8, 4: 2})
        {'1': 50.0, '2': 40.0, '3+': 10.0}
    """
    pooled = dict.fromkeys(PARITY_KEYS, 0)
    for order, births in births_by_order.items():
        if isinstance(order, bool) or not isinstance(order, Integral) or order < 1:
            raise DemographyError(
                f"birth order must be a whole number of at least 1, got {order!r}",
                argument="births_by_order",
            )
        key = PARITY_KEYS[min(int(order), 3) - 1]
        pooled[key] += _checks.whole_count(births, f"births_by_order[{order}]")
    total = sum(pooled.values())
    _checks.denominator(total, "births_by_order (total births)")
    return {key: count / total * 100 for key, count in pooled.items()}
