"""The numbers a summary template writes about, each with how it changed.

Templates (``templates/reports/summary.<language>.txt``) decide the wording; this module
only decides facts: the value, formatted for the language, the change against the previous
period (rise, fall or same), and where the sex ratio at birth stands. The sex ratio is
"within" the normal range (103–107 unless the dated setting says otherwise) only when its
whole 95 % interval lies inside it, "above" or
"below" only when the whole interval lies outside it, and "uncertain" otherwise (too few
births to say): a small number of births cannot tell the ratio from the normal range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from renkou import demography as dm
from renkou.analytics.models import IndicatorValue
from renkou.demography.sex_ratio import band_position

RATE_DECIMALS = 2


def number(value: float | None, decimals: int = 0) -> str:
    """A number as offices write it: no thousands separators, fixed decimals."""
    if value is None:
        return "—"
    if decimals == 0:
        return f"{value:.0f}"
    return f"{value:.{decimals}f}"


@dataclass
class Fig:
    """One figure for a template: ``{{ births }}``, ``{{ births.change }}``, ``{{ births.low }}``.

    Rendered as its value; the properties give the interval and the change.
    """

    raw: float | None
    decimals: int = 0
    previous_raw: float | None = None
    low_raw: float | None = None
    high_raw: float | None = None
    count: int | None = None

    def __str__(self) -> str:
        return number(self.raw, self.decimals)

    @property
    def known(self) -> bool:
        """Whether there is a value."""
        return self.raw is not None

    @property
    def low(self) -> str:
        return number(self.low_raw, self.decimals)

    @property
    def high(self) -> str:
        return number(self.high_raw, self.decimals)

    @property
    def previous(self) -> str:
        return number(self.previous_raw, self.decimals)

    @property
    def change(self) -> str:
        """``rise``, ``fall``, ``same``, or "" when there is nothing to compare with."""
        if self.raw is None or self.previous_raw is None:
            return ""
        a, b = round(self.raw, self.decimals), round(self.previous_raw, self.decimals)
        return "rise" if a > b else "fall" if a < b else "same"

    @property
    def delta(self) -> str:
        """The size of the change, without its sign."""
        if not self.change:
            return ""
        assert self.raw is not None and self.previous_raw is not None
        return number(abs(self.raw - self.previous_raw), self.decimals)

    @property
    def delta_percent(self) -> str:
        """The change in per cent of the previous value ("" when it was zero)."""
        if not self.change or not self.previous_raw:
            return ""
        assert self.raw is not None
        return number(abs(self.raw - self.previous_raw) / abs(self.previous_raw) * 100, 1)

    @property
    def negative(self) -> bool:
        """Whether the value is below zero (a natural decrease)."""
        return self.raw is not None and self.raw < 0

    @property
    def magnitude(self) -> str:
        """The value without its sign (for "decreased by 1.2‰")."""
        return number(abs(self.raw), self.decimals) if self.raw is not None else "—"

    @property
    def small(self) -> bool:
        """Whether the figure rests on fewer than 100 events."""
        return self.count is not None and self.count < dm.SMALL_NUMBERS


def fig(
    values: dict[str, IndicatorValue],
    previous: dict[str, IndicatorValue],
    name: str,
    decimals: int = 0,
    part: str = "value",
) -> Fig:
    """The figure ``name`` (its ``part``) with the previous period's for comparison."""
    v, p = values.get(name), previous.get(name)
    return Fig(
        raw=getattr(v, part) if v is not None else None,
        decimals=decimals,
        previous_raw=getattr(p, part) if p is not None else None,
        low_raw=v.low if v is not None and part == "value" else None,
        high_raw=v.high if v is not None and part == "value" else None,
        count=v.count if v is not None else None,
    )


def srb_status(ratio: Fig, band: tuple[float, float] = (dm.NORMAL_LOW, dm.NORMAL_HIGH)) -> str:
    """Where the sex ratio at birth stands against the normal band, judged by its interval."""
    if ratio.raw is None or ratio.low_raw is None or ratio.high_raw is None:
        return "none"
    return band_position(ratio.low_raw, ratio.high_raw, *band)


def figures(
    values: dict[str, IndicatorValue], previous: dict[str, IndicatorValue]
) -> dict[str, Any]:
    """Every figure a template may use, by indicator name (rates with two decimals)."""
    from renkou.analytics.labels import RATES
    from renkou.analytics.names import INDICATORS

    out: dict[str, Any] = {
        name: fig(values, previous, name, RATE_DECIMALS if name in RATES else 0)
        for name in INDICATORS
    }
    for order, name in ((1, "parity_share_1"), (2, "parity_share_2"), (3, "parity_share_3plus")):
        out[f"births_{order}"] = fig(values, previous, name, 0, "numerator")
    married = values.get("married_women_15_49")
    split = married.breakdown if married is not None and married.detail else [None] * 4
    out["married_by_children"] = [Fig(raw=n) for n in split]
    return out
