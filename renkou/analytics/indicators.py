"""Indicators for every org unit and period of a window: counts from the engine, rates from
``renkou.demography``.

The engine returns monthly counts (``counts.py``); here they become arrays indexed by unit
and month, period totals are range sums over months, and each rate is computed by the
demography library. No Django here either: the cache (``cache.py``) stores the results.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from renkou import demography as dm
from renkou.analytics import counts
from renkou.analytics.engines import Engine
from renkou.analytics.periods import KINDS, Period, PeriodKind, periods_within

AGE_GROUPS = counts.LAST_AGE_GROUP + 1
FERTILE_GROUPS = range(3, 10)  # 15–19 … 45–49
PARITY_ORDERS = 4  # 0 unknown, 1, 2, 3+
BASES = tuple(counts.BASES)
SEXES = ("M", "F")


def group_label(group: int) -> str:
    """``15_19`` for age group 3 (used in indicator names)."""
    return f"{group * 5}_{group * 5 + 4}"


INDICATORS: tuple[str, ...] = (
    "population_start",
    "population_end",
    "average_population",
    "average_population_person_years",
    "births",
    "births_male",
    "births_female",
    "crude_birth_rate",
    "deaths",
    "crude_death_rate",
    "natural_growth_rate",
    "sex_ratio_at_birth",
    "parity_share_1",
    "parity_share_2",
    "parity_share_3plus",
    "women_15_49",
    "married_women_15_49",
    "general_fertility_rate",
    *(f"asfr_{group_label(g)}" for g in FERTILE_GROUPS),
    "total_fertility_rate",
    "infant_deaths",
    "infant_mortality_rate",
    "moves_in",
    "moves_out",
    "floating_in",
    "floating_out",
    "late_births_reported",
)


Row = tuple[object, ...]
"""(indicator, orgunit, period, basis, value, numerator, denominator, count, low, high) and,
for the figures that carry a breakdown, an eleventh element ``detail`` (JSON text):

- ``population_end``: ``{"M": [...], "F": [...]}``, persons by sex and five-year age group
  (0–4 … 100+) at the period end: the population pyramid;
- ``married_women_15_49``: ``[none, one, two, three or more]``, married women aged 15–49 at
  the period end by their number of living children.
"""


@dataclass
class Value:
    """One cell of the cache: an indicator for one unit, period and basis."""

    indicator: str
    orgunit: str
    period: str
    basis: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    count: int | None = None
    low: float | None = None
    high: float | None = None

    @property
    def small_numbers(self) -> bool:
        """Whether the figure rests on fewer than 100 events (shown with count and interval)."""
        return self.count is not None and self.count < dm.SMALL_NUMBERS


@dataclass
class CountFrames:
    """What the engine computed for one window and basis."""

    population: pd.DataFrame
    births: pd.DataFrame
    deaths: pd.DataFrame
    moves: pd.DataFrame
    married: pd.DataFrame


def run_counts(
    engine: Engine, directory: Path, window: counts.Window
) -> tuple[dict[str, CountFrames], pd.DataFrame, list[str]]:
    """Run every count of the window on ``engine``; also the floating stock and unit codes."""
    t = engine.open(directory)
    spelled = {
        basis: engine.materialize(counts.spells(t.persons, t.events, basis), f"spells_{basis}")
        for basis in BASES
    }
    frames = {
        basis: CountFrames(
            population=engine.execute(counts.population(spelled[basis], t.orgunits, window)),
            births=engine.execute(
                counts.births(t.persons, t.events, spelled[basis], t.orgunits, window)
            ),
            deaths=engine.execute(counts.deaths(spelled[basis], t.orgunits, window)),
            moves=engine.execute(counts.moves(spelled[basis], t.orgunits, window)),
            married=engine.execute(
                counts.married_women(t.persons, t.events, spelled[basis], t.orgunits, window)
            ),
        )
        for basis in BASES
    }
    floating = engine.execute(
        counts.floating(spelled["registered"], spelled["resident"], t.orgunits, window)
    )
    units = sorted(engine.execute(t.orgunits.select("code"))["code"].tolist())
    return frames, floating, units


@functools.lru_cache(maxsize=4096)
def _poisson(events: int) -> tuple[float, float]:
    # The exact interval costs milliseconds and depends on the count alone: compute each once.
    return dm.poisson_interval(events)


def _rate_interval(events: int, population: float) -> tuple[float | None, float | None]:
    if population <= 0:
        return None, None
    low, high = _poisson(events)
    return low / population * 1000, high / population * 1000


class Cube:
    """Monthly count arrays of one basis, indexed [unit, …, month or boundary]."""

    def __init__(
        self, frames: CountFrames, floating: pd.DataFrame, units: list[str], window: counts.Window
    ) -> None:
        self.units = units
        self.window = window
        self.selected: set[str] | None = None
        n, months = len(units), window.months
        index = {code: i for i, code in enumerate(units)}
        self.days = np.array(
            [
                (counts_month_start(window, m + 1) - counts_month_start(window, m)).days
                for m in range(months)
            ]
        )

        def put(
            frame: pd.DataFrame, shape: tuple[int, ...], keys: list[str], value: str
        ) -> np.ndarray:
            array = np.zeros(shape, dtype=np.int64)
            if len(frame):
                frame = frame[frame["unit"].isin(index)]
                at = [frame["unit"].map(index).to_numpy()] + [frame[k].to_numpy() for k in keys]
                np.add.at(array, tuple(at), frame[value].to_numpy())
            return array

        pop = frames.population.assign(
            sex=frames.population["sex"].map({"M": 0, "F": 1}).fillna(0).astype(int)
        )
        shape = (n, 2, AGE_GROUPS, months + 1)
        delta = put(pop, shape, ["sex", "age_group", "k"], "delta")
        part = put(pop, shape, ["sex", "age_group", "k"], "part_days")
        self.pop = np.cumsum(delta, axis=3)  # [unit, sex, group, boundary]
        total = self.pop.sum(axis=(1, 2))
        part_total = part.sum(axis=(1, 2))
        self.person_days = total[:, :months] * self.days + part_total[:, 1:]  # [unit, month]

        births = frames.births
        births = births[(births["k"] >= 0) & (births["k"] < months)].assign(
            sex=births["sex"].map({"M": 0, "F": 1}).fillna(0).astype(int),
            mother_age_group=births["mother_age_group"] + 1,
        )
        self.births = put(
            births,
            (n, months, 2, PARITY_ORDERS, AGE_GROUPS + 1),
            ["k", "sex", "parity", "mother_age_group"],
            "n",
        )
        self.birth_frame = births
        self.unit_index = index
        deaths = frames.deaths
        deaths = deaths[(deaths["k"] >= 0) & (deaths["k"] < months)].assign(
            sex=deaths["sex"].map({"M": 0, "F": 1}).fillna(0).astype(int),
            infant=deaths["infant"].astype(int),
        )
        self.deaths = put(deaths, (n, months, 2, 2), ["k", "sex", "infant"], "n")
        moves = frames.moves.assign(direction=(frames.moves["direction"] == "out").astype(int))
        self.moves = put(moves, (n, months, 2), ["k", "direction"], "n")
        fl = floating.assign(direction=(floating["direction"] == "out").astype(int))
        self.floating = np.cumsum(put(fl, (n, 2, months + 1), ["direction", "k"], "delta"), axis=2)
        married = put(
            frames.married, (n, counts.CHILDREN_BUCKETS, months + 1), ["children", "k"], "delta"
        )
        self.married = np.cumsum(married, axis=2)  # [unit, children, boundary]

    def late_births(self, k0: int, k1: int) -> np.ndarray:
        """Births reported in months k0 … k1−1 that happened before month k0, by unit."""
        out = np.zeros(len(self.units), dtype=np.int64)
        frame = self.birth_frame
        late = frame[(frame["k_reported"] >= k0) & (frame["k_reported"] < k1) & (frame["k"] < k0)]
        if len(late):
            np.add.at(out, late["unit"].map(self.unit_index).to_numpy(), late["n"].to_numpy())
        return out


def counts_month_start(window: counts.Window, month: int) -> datetime.date:
    """The first day of month ``month`` of the window."""
    index = window.first.year * 12 + window.first.month - 1 + month
    return datetime.date(index // 12, index % 12 + 1, 1)


def _period_rows(cube: Cube, period: Period, basis: str, k0: int, k1: int) -> Iterator[Row]:
    """Every indicator of every unit for one period: counts summed with numpy across units,
    rates from the demography library unit by unit."""
    pid = period.id
    pop_start = cube.pop[:, :, :, k0]
    pop_end = cube.pop[:, :, :, k1]
    start_l = pop_start.sum(axis=(1, 2)).tolist()
    end_l = pop_end.sum(axis=(1, 2)).tolist()
    person_days_l = cube.person_days[:, k0:k1].sum(axis=1).tolist()
    b = cube.births[:, k0:k1].sum(axis=1)  # [unit, sex, parity, mother group + 1]
    boys_l = b[:, 0].sum(axis=(1, 2)).tolist()
    girls_l = b[:, 1].sum(axis=(1, 2)).tolist()
    order_l = b.sum(axis=(1, 3)).tolist()  # [unit][parity]
    by_mother_l = b.sum(axis=(1, 2))[:, FERTILE_GROUPS.start + 1 : FERTILE_GROUPS.stop + 1].tolist()
    women_start_l = pop_start[:, 1, FERTILE_GROUPS.start : FERTILE_GROUPS.stop].tolist()
    women_end_l = pop_end[:, 1, FERTILE_GROUPS.start : FERTILE_GROUPS.stop].tolist()
    d = cube.deaths[:, k0:k1].sum(axis=1)  # [unit, sex, infant]
    deaths_l = d.sum(axis=(1, 2)).tolist()
    infant_l = d[:, :, 1].sum(axis=1).tolist()
    m = cube.moves[:, k0:k1].sum(axis=1).tolist()
    fl = cube.floating[:, :, k1].tolist()
    late_l = cube.late_births(k0, k1).tolist()
    pyramid_l = pop_end.tolist()  # [unit][sex][group]
    married_l = cube.married[:, :, k1].tolist()  # [unit][children]
    years = period.days / 365.25
    groups = list(FERTILE_GROUPS)
    asfr_names = [f"asfr_{group_label(g)}" for g in groups]
    for u, code in enumerate(cube.units):
        if cube.selected is not None and code not in cube.selected:
            continue
        cell = (code, pid, basis)
        start, end = start_l[u], end_l[u]
        avg = dm.average_population(start, end)
        yield ("population_start", *cell, start, None, None, start, None, None)
        pyramid = json.dumps({"M": pyramid_l[u][0], "F": pyramid_l[u][1]}, separators=(",", ":"))
        yield ("population_end", *cell, end, None, None, end, None, None, pyramid)
        yield ("average_population", *cell, avg, start + end, 2, None, None, None)
        person_years = person_days_l[u] / 365.25
        yield (
            "average_population_person_years",
            *cell,
            dm.person_years_average(person_years, years),
            person_years,
            years,
            None,
            None,
            None,
        )
        boys, girls = boys_l[u], girls_l[u]
        births = boys + girls
        deaths = deaths_l[u]
        yield ("births", *cell, births, None, None, births, None, None)
        yield ("births_male", *cell, boys, None, None, boys, None, None)
        yield ("births_female", *cell, girls, None, None, girls, None, None)
        yield ("deaths", *cell, deaths, None, None, deaths, None, None)
        if avg > 0:
            low, high = _rate_interval(births, avg)
            yield (
                "crude_birth_rate",
                *cell,
                dm.crude_rate(births, avg),
                births,
                avg,
                births,
                low,
                high,
            )
            low, high = _rate_interval(deaths, avg)
            yield (
                "crude_death_rate",
                *cell,
                dm.crude_rate(deaths, avg),
                deaths,
                avg,
                deaths,
                low,
                high,
            )
            growth = dm.natural_growth_rate(births, deaths, avg)
            yield (
                "natural_growth_rate",
                *cell,
                growth,
                births - deaths,
                avg,
                births + deaths,
                None,
                None,
            )
        else:
            yield ("crude_birth_rate", *cell, None, births, avg, births, None, None)
            yield ("crude_death_rate", *cell, None, deaths, avg, deaths, None, None)
            yield (
                "natural_growth_rate",
                *cell,
                None,
                births - deaths,
                avg,
                births + deaths,
                None,
                None,
            )
        if girls:
            srb = dm.sex_ratio_at_birth(boys, girls)
            yield ("sex_ratio_at_birth", *cell, srb.ratio, boys, girls, births, srb.low, srb.high)
        else:
            yield ("sex_ratio_at_birth", *cell, None, boys, girls, births, None, None)
        orders = order_l[u]
        known = orders[1] + orders[2] + orders[3]
        shares = dm.parity_shares({1: orders[1], 2: orders[2], 3: orders[3]}) if known else None
        for order, key, name in (
            (1, "1", "parity_share_1"),
            (2, "2", "parity_share_2"),
            (3, "3+", "parity_share_3plus"),
        ):
            value = shares[key] if shares else None
            yield (name, *cell, value, orders[order], known, known, None, None)
        w_start, w_end = women_start_l[u], women_end_l[u]
        women_now = sum(w_end)
        yield ("women_15_49", *cell, women_now, None, None, women_now, None, None)
        married = married_l[u]
        total = sum(married)
        detail = json.dumps(married, separators=(",", ":"))
        yield ("married_women_15_49", *cell, total, None, None, total, None, None, detail)
        women_avg = (sum(w_start) + women_now) / 2
        if women_avg > 0:
            low, high = _rate_interval(births, women_avg)
            gfr = dm.general_fertility_rate(births, women_avg)
            yield ("general_fertility_rate", *cell, gfr, births, women_avg, births, low, high)
        else:
            yield ("general_fertility_rate", *cell, None, births, women_avg, births, None, None)
        by_mother = by_mother_l[u]
        women_by_group = {g: (w_start[i] + w_end[i]) / 2 for i, g in enumerate(groups)}
        births_by_group = dict(zip(groups, by_mother, strict=True))
        try:
            asfr: dict[int, float] | None = dm.age_specific_fertility_rates(
                births_by_group, women_by_group
            )
        except dm.UndefinedStatisticError:
            asfr = None
        for i, g in enumerate(groups):
            women_g, born_g = women_by_group[g], by_mother[i]
            low, high = _rate_interval(born_g, women_g)
            value = asfr[g] if asfr is not None and women_g > 0 else None
            yield (asfr_names[i], *cell, value, born_g, women_g, born_g, low, high)
        tfr = dm.total_fertility_rate(asfr, width=5) if asfr is not None and women_avg > 0 else None
        yield ("total_fertility_rate", *cell, tfr, None, None, sum(by_mother), None, None)
        infant = infant_l[u]
        yield ("infant_deaths", *cell, infant, None, None, infant, None, None)
        if births:
            low, high = _rate_interval(infant, births)
            imr = dm.infant_mortality_rate(infant, births)
            yield ("infant_mortality_rate", *cell, imr, infant, births, infant, low, high)
        else:
            yield ("infant_mortality_rate", *cell, None, infant, births, infant, None, None)
        yield ("moves_in", *cell, m[u][0], None, None, m[u][0], None, None)
        yield ("moves_out", *cell, m[u][1], None, None, m[u][1], None, None)
        yield ("floating_in", *cell, fl[u][0], None, None, fl[u][0], None, None)
        yield ("floating_out", *cell, fl[u][1], None, None, fl[u][1], None, None)
        yield ("late_births_reported", *cell, late_l[u], None, None, late_l[u], None, None)


def window_for(periods: Iterable[Period]) -> counts.Window:
    """The smallest window holding every period."""
    items = list(periods)
    return counts.Window(min(p.start for p in items), max(p.end_boundary for p in items))


def compute(
    engine: Engine,
    directory: Path,
    periods: list[Period],
    *,
    units: set[str] | None = None,
) -> Iterator[Row]:
    """Every indicator for every unit (or only ``units``), period and basis, as rows."""
    if not periods:
        return
    window = window_for(periods)
    frames, floating, all_units = run_counts(engine, directory, window)
    for basis in BASES:
        cube = Cube(frames[basis], floating, all_units, window)
        cube.selected = units
        for period in periods:
            k0 = window.month_index(period.start)
            yield from _period_rows(cube, period, basis, k0, k0 + period.months)


def all_periods(
    first: datetime.date, last: datetime.date, kinds: Iterable[PeriodKind] = KINDS
) -> list[Period]:
    """Every period of ``kinds`` wholly inside ``first`` … ``last``."""
    return list(periods_within(first, last, kinds))
