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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from renkou import demography as dm
from renkou.analytics import counts, srb_settings
from renkou.analytics.engines import Engine
from renkou.analytics.names import FERTILE_GROUPS, LAST_AGE_GROUP, group_label
from renkou.analytics.names import INDICATORS as INDICATORS  # the names, with the counting
from renkou.analytics.periods import (
    KINDS,
    Period,
    PeriodKind,
    add_months,
    containing,
    periods_within,
)
from renkou.demography.sex_ratio import weighted_sex_ratio_score

AGE_GROUPS = LAST_AGE_GROUP + 1
PARITY_ORDERS = 4  # 0 unknown, 1, 2, 3+
SINGLE_AGES = range(*counts.SINGLE_AGES)  # 15 … 49
BASES = tuple(counts.BASES)
SEXES = ("M", "F")


Row = tuple[object, ...]
"""(indicator, orgunit, period, basis, value, numerator, denominator, count, low, high,
detail): ``detail`` is None, or for the figures that carry a breakdown its JSON text:

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
    women: pd.DataFrame


def run_counts(
    engine: Engine,
    directory: Path,
    window: counts.Window,
    person_ids: Sequence[int] | None = None,
) -> tuple[dict[str, CountFrames], pd.DataFrame, list[str]]:
    """Run every count of the window on ``engine``; also the floating stock and unit codes.

    With ``person_ids``, only those persons' contributions are counted: their spells,
    deaths, moves and floating, the births of those of them born in the window, and the
    married women among them with their living children. Counts are sums over persons, so
    the counts of the whole register change by (their contributions now) − (their
    contributions before), provided ``person_ids`` holds the mothers and children of every
    person a new event touched (see ``cache.touched_persons``).
    """
    t = engine.open(directory)
    persons, events = t.persons, t.events
    # Each step has a key naming what it computes (the same key, the same expression), so
    # an engine can reuse the SQL compiled for an earlier run of the same window.
    mode = "all" if person_ids is None else "some"
    prefix = f"{mode}:{window.first.isoformat()}:{window.last.isoformat()}"
    if window.births_first is not None:
        prefix += f":births-{window.births_first.isoformat()}"
    if window.per_month != 1:
        prefix += f":slots-{window.per_month}"
    if person_ids is not None:
        # The persons and their children: mothers' ages and living children are looked up
        # there (``person_ids`` holds the mothers and children of whoever an event touched).
        # (A table of ids, not a list of literals: a long IN list is slow to compile.)
        ids = engine.load_ids("ids", person_ids)
        everyone = persons
        persons = engine.table(
            "kin",
            lambda: everyone.filter(everyone.id.isin(ids.pid) | everyone.mother_id.isin(ids.pid)),
            f"{prefix}:table:kin",
        )
        own_persons = persons.filter(persons.id.isin(ids.pid))
        own_events = engine.table(
            "own", lambda: events.filter(events.person_id.isin(ids.pid)), f"{prefix}:table:own"
        )
    else:
        own_persons, own_events = persons, events
    # (place, unit) pairs, made once: every count rolls its places up through them
    orgunits = engine.table(
        "ancestry", functools.partial(counts.ancestry, t.orgunits), f"{prefix}:table:ancestry"
    )
    spelled = {
        basis: engine.table(
            f"spells_{basis}",
            functools.partial(counts.spells, own_persons, own_events, basis),
            f"{prefix}:table:spells_{basis}",
        )
        for basis in BASES
    }

    # Stocks on the resident basis follow the six-month rule; births, deaths and moves
    # count where they happened (the village of residence at the event).
    stock = {
        "registered": spelled["registered"],
        "resident": engine.table(
            "stock_resident",
            functools.partial(counts.resident_spells, spelled["registered"], spelled["resident"]),
            f"{prefix}:table:stock_resident",
        ),
    }

    def query(name: str, basis: str, build: Any, *args: Any) -> pd.DataFrame:
        return engine.query(f"{prefix}:{name}:{basis}", functools.partial(build, *args))

    frames = {
        basis: CountFrames(
            population=query(
                "population", basis, counts.population, stock[basis], orgunits, window
            ),
            births=query(
                "births",
                basis,
                counts.births,
                persons,
                own_events,
                spelled[basis],
                orgunits,
                window,
                spelled["registered"] if basis == "registered" else None,
            ),
            deaths=query("deaths", basis, counts.deaths, spelled[basis], orgunits, window),
            moves=query("moves", basis, counts.moves, spelled[basis], orgunits, window),
            married=query(
                "married",
                basis,
                counts.married_women,
                persons,
                own_events,
                stock[basis],
                orgunits,
                window,
            ),
            women=query("women", basis, counts.women_by_age, stock[basis], orgunits, window),
        )
        for basis in BASES
    }
    floating = query(
        "floating",
        "both",
        counts.floating,
        spelled["registered"],
        spelled["resident"],
        orgunits,
        window,
    )
    units = sorted(
        engine.query(f"{prefix}:units", lambda: t.orgunits.select("code"))["code"].tolist()
    )
    return frames, floating, units


FRAME_NAMES = ("population", "births", "deaths", "moves", "married", "women")
VALUE_COLUMNS = ("delta", "part_days", "n")


def frames_combine(frames: list[tuple[pd.DataFrame, int]]) -> pd.DataFrame:
    """The sum of count frames, each times its sign (+1 or −1), grouped by their keys."""
    parts = []
    for frame, sign in frames:
        if not len(frame):
            continue
        values = [c for c in frame.columns if c in VALUE_COLUMNS]
        part = frame.copy()
        for column in values:
            part[column] = part[column].astype("int64") * sign
        parts.append(part)
    if not parts:
        return frames[0][0].iloc[0:0]
    both = pd.concat(parts, ignore_index=True)
    values = [c for c in both.columns if c in VALUE_COLUMNS]
    keys = [c for c in both.columns if c not in VALUE_COLUMNS]
    summed = both.groupby(keys, as_index=False, dropna=False)[values].sum()
    return summed[(summed[values] != 0).any(axis=1)].reset_index(drop=True)


def frames_append(base: pd.DataFrame, delta: pd.DataFrame) -> pd.DataFrame:
    """``base`` with ``delta``'s rows after it (keys may repeat: the arrays add them up)."""
    if not len(delta):
        return base
    if not len(base):
        return delta
    return pd.concat([base, delta], ignore_index=True)


Counts = tuple[dict[str, CountFrames], pd.DataFrame]
"""Count frames per basis, and the floating frame."""


def counts_map(fn: Any, *parts: Counts) -> Counts:
    """Apply ``fn`` to the corresponding frames of ``parts`` (frame by frame, basis by basis)."""
    frames = {
        basis: CountFrames(
            **{name: fn(*(getattr(p[0][basis], name) for p in parts)) for name in FRAME_NAMES}
        )
        for basis in BASES
    }
    return frames, fn(*(p[1] for p in parts))


def counts_delta(now: Counts, before: Counts) -> Counts:
    """``now`` − ``before``, one row per key (zero rows dropped)."""
    return counts_map(lambda a, b: frames_combine([(a, 1), (b, -1)]), now, before)


def counts_add(base: Counts, delta: Counts, *, compact: bool = True) -> Counts:
    """``base`` + ``delta``. With ``compact`` the result has one row per key; without, the
    delta's rows are appended to ``base`` as rows of their own, which is what a refresh
    after a few events needs: regrouping the whole register's counts takes longer than the
    rest of it, and the arrays made from the frames add repeated keys up anyway."""
    if compact:
        return counts_map(lambda a, b: frames_combine([(a, 1), (b, 1)]), base, delta)
    return counts_map(frames_append, base, delta)


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
        n, months = len(units), window.months
        self.days = np.array(
            [
                (counts_month_start(window, m + 1) - counts_month_start(window, m)).days
                for m in range(months)
            ]
        )

        value_set = pa.array(units, pa.string())
        self._value_set = value_set

        def located(frame: pd.DataFrame) -> pd.DataFrame:
            """The frame's rows of the chosen units, with their positions (``_at``): looked
            up once per frame, which matters when a few stale units are recomputed from
            the whole register's counts."""
            at = unit_positions(frame["unit"], value_set) if len(frame) else np.zeros(0, int)
            keep = at >= 0
            return frame[keep].assign(_at=at[keep])

        def put(
            frame: pd.DataFrame, shape: tuple[int, ...], keys: list[str], value: str
        ) -> np.ndarray:
            array = np.zeros(shape, dtype=np.int64)
            if len(frame):
                where = [frame["_at"].to_numpy()] + [frame[k].to_numpy() for k in keys]
                np.add.at(array, tuple(where), frame[value].to_numpy())
            return array

        frames = CountFrames(**{name: located(getattr(frames, name)) for name in FRAME_NAMES})
        floating = located(floating)

        pop = frames.population.assign(sex=female(frames.population["sex"]))
        shape = (n, 2, AGE_GROUPS, months + 1)
        delta = put(pop, shape, ["sex", "age_group", "k"], "delta")
        part = put(pop, shape, ["sex", "age_group", "k"], "part_days")
        self.pop = np.cumsum(delta, axis=3)  # [unit, sex, group, boundary]
        total = self.pop.sum(axis=(1, 2))
        part_total = part.sum(axis=(1, 2))
        self.person_days = total[:, :months] * self.days + part_total[:, 1:]  # [unit, month]

        self.birth_frame = frames.births  # with births before the window reported in it
        # births by sex from ``window.births_first`` on (month index + births_offset): the
        # weighted sex ratio pools earlier years than the stocks need
        offset = window.births_offset
        early = frames.births
        early = early[(early["k"] >= -offset) & (early["k"] < months)]
        self.births_sex = put(
            early.assign(k=early["k"] + offset, sex=female(early["sex"])),
            (n, offset + months, 2),
            ["k", "sex"],
            "n",
        )  # [unit, month + offset, sex]
        births = frames.births
        # (of the filtered rows: the frame also holds births before the window reported in it)
        births = births[(births["k"] >= 0) & (births["k"] < months)]
        births = births.assign(
            sex=female(births["sex"]),
            mother_age_group=births["mother_age_group"] + 1,
        )
        self.births = put(
            births,
            (n, months, 2, PARITY_ORDERS, AGE_GROUPS + 1),
            ["k", "sex", "parity", "mother_age_group"],
            "n",
        )
        ages = births[(births["mother_age"] >= SINGLE_AGES.start)]
        ages = ages[ages["mother_age"] < SINGLE_AGES.stop]
        self.births_by_age = put(
            ages.assign(mother_age=ages["mother_age"] - SINGLE_AGES.start),
            (n, months, len(SINGLE_AGES)),
            ["k", "mother_age"],
            "n",
        )
        deaths = frames.deaths
        deaths = deaths[(deaths["k"] >= 0) & (deaths["k"] < months)].assign(
            sex=female(deaths["sex"]),
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
        women = put(
            frames.women.assign(age=frames.women["age"] - SINGLE_AGES.start),
            (n, len(SINGLE_AGES), months + 1),
            ["age", "k"],
            "delta",
        )
        self.women = np.cumsum(women, axis=2)  # [unit, single age, boundary]

    def late_births(self, k0: int, k1: int, k_year: int) -> np.ndarray:
        """Births reported in months k0 … k1−1 that happened before month ``k_year`` (the
        start of the period's calendar or statistical year), by unit."""
        out = np.zeros(len(self.units), dtype=np.int64)
        frame = self.birth_frame
        late = frame[
            (frame["k_reported"] >= k0) & (frame["k_reported"] < k1) & (frame["k"] < k_year)
        ]
        if len(late):
            np.add.at(out, late["_at"].to_numpy(), late["n"].to_numpy())
        return out


def unit_positions(column: pd.Series, units: pa.Array) -> np.ndarray:
    """Each value's position in ``units`` (−1 where absent): Arrow's hash lookup, much faster
    than mapping a pandas string column through a dict."""
    found = pc.index_in(pa.array(column, pa.string()), value_set=units)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def female(sex: pd.Series) -> np.ndarray:
    """0 for men (and an unknown sex), 1 for women: the sex axis of the arrays."""
    women: np.ndarray = (sex == "F").to_numpy(dtype=bool, na_value=False).astype(np.int64)
    return women


def counts_month_start(window: counts.Window, month: int) -> datetime.date:
    """The first day of slot ``month`` of the window (a month, or a ten-day period)."""
    return window.boundary(month)


def _single_year_tfr(
    births: list[int], women: list[float]
) -> tuple[float | None, None, None, int, float | None, float | None, None]:
    """The TFR from single-year ages 15 … 49 (Σ ASFR ÷ 1000 = Σ births ÷ women): value,
    count and interval. None where no woman is of those ages, or an age has births and no
    women (``dm.age_specific_fertility_rates``'s rule; written out here, as this runs for
    every cell)."""
    count = sum(births)
    if count == 0:
        if sum(women) <= 0:
            return (None, None, None, 0, None, None, None)
        low, high = dm.total_fertility_interval_of_counts(births, women, width=1)
        return (0.0, None, None, 0, low, high, None)
    tfr = 0.0
    for born, exposed in zip(births, women, strict=True):
        if born:
            if exposed <= 0:
                return (None, None, None, count, None, None, None)
            tfr += born / exposed
    low, high = dm.total_fertility_interval_of_counts(births, women, width=1)
    return (tfr, None, None, count, low, high, None)


def year_start(period: Period) -> datetime.date:
    """The first day of the year a period's late births are told from: the statistical year
    for statistical-year periods and their halves, else the calendar year."""
    if period.kind in ("stat_year", "stat_half"):
        return containing(period.start, "stat_year").start
    return period.start.replace(month=1, day=1)


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
    late_l = cube.late_births(k0, k1, cube.window.month_index(year_start(period))).tolist()
    pyramid_l = pop_end.tolist()  # [unit][sex][group]
    married_l = cube.married[:, :, k1].tolist()  # [unit][children]
    by_age_l = cube.births_by_age[:, k0:k1].sum(axis=1).tolist()  # [unit][single age]
    women_by_age_l = ((cube.women[:, :, k0] + cube.women[:, :, k1]) / 2).tolist()
    years = period.days / 365.25
    groups = list(FERTILE_GROUPS)
    asfr_names = [f"asfr_{group_label(g)}" for g in groups]
    for u, code in enumerate(cube.units):
        cell = (code, pid, basis)
        start, end = start_l[u], end_l[u]
        avg = dm.average_population(start, end)
        yield ("population_start", *cell, start, None, None, start, None, None, None)
        men, women = pyramid_l[u]
        pyramid = f'{{"M":[{",".join(map(str, men))}],"F":[{",".join(map(str, women))}]}}'
        yield ("population_end", *cell, end, None, None, end, None, None, pyramid)
        yield ("average_population", *cell, avg, start + end, 2, None, None, None, None)
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
            None,
        )
        boys, girls = boys_l[u], girls_l[u]
        births = boys + girls
        deaths = deaths_l[u]
        yield ("births", *cell, births, None, None, births, None, None, None)
        yield ("births_male", *cell, boys, None, None, boys, None, None, None)
        yield ("births_female", *cell, girls, None, None, girls, None, None, None)
        yield ("deaths", *cell, deaths, None, None, deaths, None, None, None)
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
                None,
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
                None,
            )
            growth = dm.natural_growth_rate(births, deaths, avg)
            low, high = dm.growth_interval(births, deaths, avg)
            yield (
                "natural_growth_rate",
                *cell,
                growth,
                births - deaths,
                avg,
                births + deaths,
                low,
                high,
                None,
            )
        else:
            yield ("crude_birth_rate", *cell, None, births, avg, births, None, None, None)
            yield ("crude_death_rate", *cell, None, deaths, avg, deaths, None, None, None)
            yield (
                "natural_growth_rate",
                *cell,
                None,
                births - deaths,
                avg,
                births + deaths,
                None,
                None,
                None,
            )
        if girls:
            srb = dm.sex_ratio_at_birth(boys, girls)
            yield (
                "sex_ratio_at_birth",
                *cell,
                srb.ratio,
                boys,
                girls,
                births,
                srb.low,
                srb.high,
                None,
            )
        else:
            yield ("sex_ratio_at_birth", *cell, None, boys, girls, births, None, None, None)
        orders = order_l[u]
        # Shares of all births (a birth of unknown order is in the whole, in no share), with
        # Wilson intervals: a share cannot leave 0–100 %.
        for order, name in (
            (1, "parity_share_1"),
            (2, "parity_share_2"),
            (3, "parity_share_3plus"),
        ):
            if births:
                low, high = dm.bounded_rate_interval(orders[order], births, per=100)
                share = orders[order] / births * 100
                yield (name, *cell, share, orders[order], births, births, low, high, None)
            else:
                yield (name, *cell, None, orders[order], births, births, None, None, None)
        w_start, w_end = women_start_l[u], women_end_l[u]
        women_now = sum(w_end)
        yield ("women_15_49", *cell, women_now, None, None, women_now, None, None, None)
        married = married_l[u]
        total = sum(married)
        detail = f"[{','.join(map(str, married))}]"
        yield ("married_women_15_49", *cell, total, None, None, total, None, None, detail)
        women_avg = (sum(w_start) + women_now) / 2
        if women_avg > 0:
            low, high = _rate_interval(births, women_avg)
            gfr = dm.general_fertility_rate(births, women_avg)
            yield ("general_fertility_rate", *cell, gfr, births, women_avg, births, low, high, None)
        else:
            yield (
                "general_fertility_rate",
                *cell,
                None,
                births,
                women_avg,
                births,
                None,
                None,
                None,
            )
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
            yield (asfr_names[i], *cell, value, born_g, women_g, born_g, low, high, None)
        tfr = dm.total_fertility_rate(asfr, width=5) if asfr is not None and women_avg > 0 else None
        low = high = None
        if tfr is not None:
            low, high = dm.total_fertility_interval_of_counts(
                by_mother, [women_by_group[g] for g in groups], width=5
            )
        yield ("total_fertility_rate", *cell, tfr, None, None, sum(by_mother), low, high, None)
        yield (
            "total_fertility_rate_single_years",
            *cell,
            *_single_year_tfr(by_age_l[u], women_by_age_l[u]),
        )
        infant = infant_l[u]
        yield ("infant_deaths", *cell, infant, None, None, infant, None, None, None)
        # A proportion of births (Wilson): within 0–1000 ‰. Where a period's infant deaths
        # outnumber its births (infants born before it), the ratio is no proportion and no
        # rate is given: the counts are.
        if births and infant <= births:
            low, high = dm.bounded_rate_interval(infant, births)
            imr = dm.infant_mortality_rate(infant, births)
            yield ("infant_mortality_rate", *cell, imr, infant, births, infant, low, high, None)
        else:
            yield ("infant_mortality_rate", *cell, None, infant, births, infant, None, None, None)
        yield ("moves_in", *cell, m[u][0], None, None, m[u][0], None, None, None)
        yield ("moves_out", *cell, m[u][1], None, None, m[u][1], None, None, None)
        yield ("floating_in", *cell, fl[u][0], None, None, fl[u][0], None, None, None)
        yield ("floating_out", *cell, fl[u][1], None, None, fl[u][1], None, None, None)
        yield ("late_births_reported", *cell, late_l[u], None, None, late_l[u], None, None, None)


def window_for(
    periods: Iterable[Period], settings: srb_settings.SrbSettings | None = None
) -> counts.Window:
    """The smallest window holding every period and the earlier years the weighted SRB of
    its years and statistical years pools (``settings``: by default the stored ones)."""
    items = list(periods)
    # Ten-day periods need counts per ten days; the window still runs over whole months.
    first = min(p.start for p in items).replace(day=1)
    last = max(p.end_boundary for p in items)
    if last.day != 1:
        last = add_months(last, 1)
    needed = srb_settings.window_start(items, settings or srb_settings.current())
    births_first = needed if needed is not None and needed < first else None
    per_month = 3 if any(p.kind == "dekad" for p in items) else 1
    return counts.Window(first, last, births_first, per_month)


def compute(
    engine: Engine,
    directory: Path,
    periods: list[Period],
    *,
    units: set[str] | None = None,
) -> Iterator[Row]:
    """Every indicator for every unit (or only ``units``), period and basis, as rows."""
    # The stored settings are read here, in the caller's thread (the rows are made lazily,
    # in the cache's writer thread, which has no business with the database).
    settings = srb_settings.current()
    if not periods:
        return iter(())
    return _compute(engine, directory, periods, units, settings)


def _compute(
    engine: Engine,
    directory: Path,
    periods: list[Period],
    units: set[str] | None,
    settings: srb_settings.SrbSettings,
) -> Iterator[Row]:
    window = window_for(periods, settings)
    frames, floating, all_units = run_counts(engine, directory, window)
    yield from rows_from_counts(
        frames, floating, all_units, window, periods, units=units, settings=settings
    )


def rows_from_counts(
    frames: dict[str, CountFrames],
    floating: pd.DataFrame,
    all_units: list[str],
    window: counts.Window,
    periods: list[Period],
    *,
    units: set[str] | None = None,
    settings: srb_settings.SrbSettings | None = None,
) -> Iterator[Row]:
    """The rows of ``periods`` (inside ``window``) from counts already made."""
    chosen_settings = settings or srb_settings.current()  # now, in the caller's thread
    return _rows_from_counts(frames, floating, all_units, window, periods, units, chosen_settings)


def _rows_from_counts(
    frames: dict[str, CountFrames],
    floating: pd.DataFrame,
    all_units: list[str],
    window: counts.Window,
    periods: list[Period],
    units: set[str] | None,
    settings: srb_settings.SrbSettings,
) -> Iterator[Row]:
    # Arrays only for the units asked for (a refresh of stale cells needs a few).
    chosen = all_units if units is None else [u for u in all_units if u in units]
    for basis in BASES:
        cube = Cube(frames[basis], floating, chosen, window)
        for period in periods:
            k0 = window.month_index(period.start)
            k1 = window.month_index(period.end_boundary)
            yield from _period_rows(cube, period, basis, k0, k1)
            if period.kind in srb_settings.WEIGHTED_KINDS:
                yield from _weighted_srb_rows(cube, period, basis, settings.for_period(period))


def _weighted_srb_rows(
    cube: Cube, period: Period, basis: str, setting: srb_settings.SrbSetting
) -> Iterator[Row]:
    """The weighted SRB (加权出生性别比) of a year or statistical year for every unit: each
    part's births pooled over its years (by the year they happened in, late reports
    included), the parts scored as ``dm.weighted_sex_ratio_score`` does.

    ``detail`` holds the parts: their years (period ids), boys, girls, ratio, weight (per
    cent) and score. No value where a part has no girls, or reaches before the window.
    """
    window = cube.window
    offset = window.births_offset
    spans = []
    for part in setting.parts:
        first, boundary = srb_settings.part_months(period, part)
        spans.append(
            (part, window.month_index(first) + offset, window.month_index(boundary) + offset)
        )
    cell_rest = (period.id, basis)
    if any(k0 < 0 or k1 > window.months + offset for _, k0, k1 in spans):
        for code in cube.units:
            yield ("weighted_sex_ratio_at_birth", code, *cell_rest, *(None,) * 7)
        return
    # [unit, part, sex]
    by_part = np.stack(
        [cube.births_sex[:, k0:k1].sum(axis=1) for _, k0, k1 in spans], axis=1
    ).tolist()
    names = [srb_settings.part_ids(period, p) for p in setting.parts]
    for u, code in enumerate(cube.units):
        counts_u = by_part[u]
        boys = sum(c[0] for c in counts_u)
        girls = sum(c[1] for c in counts_u)
        score = None
        if all(c[1] > 0 for c in counts_u):
            score = weighted_sex_ratio_score(
                [(c[0], c[1], p.weight) for c, p in zip(counts_u, setting.parts, strict=True)]
            )
        parts = [
            {
                "first": first,
                "last": last,
                "boys": c[0],
                "girls": c[1],
                "ratio": score.ratios[i] if score else None,
                "weight": p.percent,
                "score": score.parts[i] if score else None,
            }
            for i, ((first, last), c, p) in enumerate(
                zip(names, counts_u, setting.parts, strict=True)
            )
        ]
        detail = json.dumps({"parts": parts, "exact": score.exact if score else None})
        value = score.total if score else None
        yield (
            "weighted_sex_ratio_at_birth",
            code,
            *cell_rest,
            value,
            boys,
            girls,
            boys + girls,
            None,
            None,
            detail,
        )


def all_periods(
    first: datetime.date, last: datetime.date, kinds: Iterable[PeriodKind] = KINDS
) -> list[Period]:
    """Every period of ``kinds`` wholly inside ``first`` … ``last``."""
    return list(periods_within(first, last, kinds))
