"""The dated setting of the sex ratio at birth: its normal band and the weighted SRB's years.

A county changes both from a date on (``renkou indicators --srb-set``): from 2016, say, the
weighted SRB (加权出生性别比) of year Y scores the years Y−3…Y−1 pooled at 40 % and Y at
60 %. A setting holds from its ``valid_from`` until the next one; a period is judged by the
setting in force on its last day. With no setting stored the defaults below hold.

No Django here: the indicators take a :class:`SrbSettings`; the Django side (``models.py``)
registers the function that reads the stored history (:func:`use_source`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from renkou.analytics.periods import Period, add_months
from renkou.demography.sex_ratio import NORMAL_HIGH, NORMAL_LOW

FAR_PAST = datetime.date(1900, 1, 1)
WEIGHTED_KINDS = ("year", "stat_year")
"""Period kinds with a weighted SRB: its parts are whole years of the same kind."""


class SettingError(ValueError):
    """A setting that cannot hold (weights not summing to 100 %, a band upside down …)."""


@dataclass(frozen=True)
class WeightPart:
    """Years ``first`` … ``last`` relative to the scored year (−3 … −1), pooled, at ``percent``."""

    first: int
    last: int
    percent: float

    @property
    def weight(self) -> float:
        """The weight as a fraction of 1."""
        return float(Fraction(str(self.percent)) / 100)

    def text(self) -> str:
        """``Y-3..Y-1=40`` (the notation of the command line)."""
        years = _year(self.first)
        if self.last != self.first:
            years += f"..{_year(self.last)}"
        return f"{years}={self.percent:g}"


def _year(offset: int) -> str:
    return "Y" if offset == 0 else f"Y{offset:+d}"


DEFAULT_PARTS = (WeightPart(-3, -1, 40.0), WeightPart(0, 0, 60.0))


@dataclass(frozen=True)
class SrbSetting:
    """The band and the weighted SRB's parts in force from ``valid_from``."""

    valid_from: datetime.date
    normal_low: float = NORMAL_LOW
    normal_high: float = NORMAL_HIGH
    parts: tuple[WeightPart, ...] = DEFAULT_PARTS

    def __post_init__(self) -> None:
        if not self.normal_low < self.normal_high:
            raise SettingError(f"band {self.normal_low:g}–{self.normal_high:g} is upside down")
        if not self.parts:
            raise SettingError("no parts")
        for part in self.parts:
            if part.first > part.last or part.last > 0:
                raise SettingError(f"years {part.text()} must run forward and end by Y")
            if part.percent < 0:
                raise SettingError(f"weight {part.text()} is negative")
        covered = sorted(y for p in self.parts for y in range(p.first, p.last + 1))
        if len(covered) != len(set(covered)):
            raise SettingError("a year is in two parts")
        if sum(Fraction(str(p.percent)) for p in self.parts) != 100:
            raise SettingError("the weights must add up to 100 %")

    @property
    def lookback(self) -> int:
        """How many years before the scored one the parts reach (3 for Y−3)."""
        return -min(p.first for p in self.parts)

    def parts_text(self) -> str:
        """``Y-3..Y-1=40,Y=60``."""
        return ",".join(p.text() for p in self.parts)


DEFAULT = SrbSetting(valid_from=FAR_PAST)


@dataclass(frozen=True)
class SrbSettings:
    """The history of the setting, oldest first (the default before the first one)."""

    history: tuple[SrbSetting, ...] = field(default_factory=tuple)

    def at(self, day: datetime.date) -> SrbSetting:
        """The setting in force on ``day``."""
        chosen = DEFAULT
        for setting in sorted(self.history, key=lambda s: s.valid_from):
            if setting.valid_from <= day:
                chosen = setting
        return chosen

    def for_period(self, period: Period) -> SrbSetting:
        """The setting a period is judged by: the one in force on its last day."""
        return self.at(period.end)


def part_months(period: Period, part: WeightPart) -> tuple[datetime.date, datetime.date]:
    """The first day of a part's first year and the boundary after its last, for ``period``
    (a year or statistical year: the part's years are of the same kind)."""
    return (
        add_months(period.start, 12 * part.first),
        add_months(period.start, 12 * (part.last + 1)),
    )


def part_ids(period: Period, part: WeightPart) -> tuple[str, str]:
    """The ids of a part's first and last year for ``period`` (``2012``, ``2014``)."""
    first, boundary = part_months(period, part)
    return Period(first, period.kind).id, Period(add_months(boundary, -12), period.kind).id


def window_start(periods: Iterable[Period], settings: SrbSettings) -> datetime.date | None:
    """The earliest first day the weighted SRB of ``periods`` needs counted (None: none)."""
    starts = [
        add_months(p.start, -12 * settings.for_period(p).lookback)
        for p in periods
        if p.kind in WEIGHTED_KINDS
    ]
    return min(starts, default=None)


_PART = re.compile(r"^Y([+-]\d+)?(?:\.\.Y([+-]\d+)?)?=(\d+(?:\.\d+)?)$")


def parse_parts(text: str) -> tuple[WeightPart, ...]:
    """``Y-3..Y-1=40,Y=60`` → the parts (weights in per cent); SettingError if malformed."""
    parts = []
    for item in text.replace(" ", "").split(","):
        match = _PART.match(item)
        if not match:
            raise SettingError(f"not a part: {item!r} (e.g. Y-3..Y-1=40,Y=60)")
        first = int(match.group(1) or 0)
        last = int(match.group(2) or 0) if ".." in item else first
        parts.append(WeightPart(first, last, float(match.group(3))))
    return tuple(parts)


def _no_source() -> SrbSettings:
    return SrbSettings()


_source: Callable[[], SrbSettings] = _no_source


def use_source(source: Callable[[], SrbSettings]) -> None:
    """Read the settings through ``source`` from now on (the Django app's stored history)."""
    global _source  # one registration, when the Django app loads
    _source = source


def current() -> SrbSettings:
    """The stored settings, read now (call it in the thread that may use the database)."""
    return _source()
