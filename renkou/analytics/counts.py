"""Counts behind every indicator, as Ibis expressions over the snapshot (defined once).

No Django here: the functions take Ibis tables (persons, events, orgunits of a snapshot) and
return Ibis expressions, which an engine (``engines.py``) runs on DuckDB or Spark.

**Instants.** Population is counted at instants, each written as the date whose 00:00 it is:
the start of a period is its first day, its end the day after its last day (30 September
24:00 = 1 October 00:00). Events happen *during* a day, so an event dated ``d`` shows from
the instant ``d + 1``: a child born on 31 December is in the population at the end of that
year, a person who died on 31 December is not, and a move on 1 January still counts the
person at the old place at the start of the year.

**Place over time.** A person's place on each basis (户籍 ``hukou``, 常住 ``residence``) is a
list of *spells* ``[start, end)`` rebuilt from the events, not from the current state: the
first spell's place is the ``from`` of the person's first move on that basis if it has one,
else the place of the creating event (enrolment or birth); every later move starts a spell at
its ``to``. Spells are cut to the person's life (birth + 1 … death + 1). A person enrolled by
the initial load with no recorded move is taken to have been at the enrolled place all along.

**Units.** Counts are made for places (the codes on the spells) and rolled up to every
ancestor unit by code prefix (``ancestry``); a region elsewhere (``R`` + code) is in no unit.

**Months.** All periods are unions of calendar months, so every count is kept per month
index ``k`` of a :class:`Window` (month ``k`` starts at the window's boundary ``k``); the
period sums are made afterwards (``indicators.py``). A window for ten-day periods (旬,
``per_month=3``) keeps every count per ten-day slot instead (boundaries on the 1st, 11th
and 21st of each month), so ``k`` numbers slots there. A stock (population at instants) is
kept as deltas: ``+1`` at the first boundary a spell covers and ``-1`` at the first one it
no longer covers, with the days lived in the part-month before each, so that a cumulative
sum gives the population at every boundary and the person-days of every month.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from renkou.analytics.names import AGE_GROUP_WIDTH, LAST_AGE_GROUP

FAR_PAST = datetime.date(1800, 1, 1)
FAR_FUTURE = datetime.date(2200, 1, 1)
# "arrival": the creating row the snapshot writes before an arrival from outside's move-in.
CREATING = ("enrol", "birth", "arrival")
BASES = {"registered": "hukou", "resident": "residence"}
LEVEL_LENGTHS = (2, 4, 6, 9, 12)
ONE_DAY = ibis.interval(days=1)


@dataclass(frozen=True)
class Window:
    """The months counted: boundaries ``first`` (month 0 starts) … ``last`` (first of a month).

    ``births_first``: births are counted from this first of a month on (default ``first``),
    earlier than the stocks where a figure pools the births of earlier years (the weighted
    sex ratio at birth); their month indices are then negative.
    """

    first: datetime.date
    last: datetime.date
    births_first: datetime.date | None = None
    per_month: int = 1  # slots per month: 1 (months) or 3 (ten-day periods)

    def __post_init__(self) -> None:
        if self.per_month not in (1, 3):
            raise ValueError("a window counts months (1 a month) or ten-day periods (3)")
        if self.first.day != 1 or self.last.day != 1 or self.last <= self.first:
            raise ValueError("a window runs from the first of a month to a later first of a month")
        if self.births_first is not None and (
            self.births_first.day != 1 or self.births_first > self.first
        ):
            raise ValueError("births are counted from the first of a month before the window")

    @property
    def births_start(self) -> datetime.date:
        """The first day births are counted from."""
        return self.births_first or self.first

    @property
    def births_offset(self) -> int:
        """Slots (months) between ``births_first`` and ``first``."""
        return -self.month_index(self.births_start)

    @property
    def months(self) -> int:
        """Number of slots (months, or ten-day periods); boundaries are numbered 0 … this."""
        whole = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        return whole * self.per_month

    def month_index(self, day: datetime.date) -> int:
        """Index of the slot (month, or ten-day period) containing ``day``."""
        whole = (day.year - self.first.year) * 12 + day.month - self.first.month
        if self.per_month == 1:
            return whole
        return whole * 3 + min((day.day - 1) // 10, 2)

    def boundary(self, k: int) -> datetime.date:
        """The first day of slot ``k`` (boundary ``k``)."""
        month, slot = divmod(k, self.per_month)
        index = self.first.year * 12 + self.first.month - 1 + month
        return datetime.date(index // 12, index % 12 + 1, 1 + 10 * slot)


def _month_number(day: ir.DateValue) -> ir.IntegerValue:
    return day.year() * 12 + day.month() - 1


def month_index(day: ir.DateValue, window: Window) -> ir.IntegerValue:
    """Index in ``window`` of the slot (month, or ten-day period) containing ``day``."""
    first = window.first.year * 12 + window.first.month - 1
    if window.per_month == 1:
        return (_month_number(day) - first).cast("int32")
    slot = ibis.least((day.day() - 1) // 10, 2)
    return ((_month_number(day) - first) * 3 + slot).cast("int32")


def _boundary_after(day: ir.DateValue, window: Window) -> ir.DateValue:
    """The first slot boundary (first of a month; or 1st, 11th, 21st) on or after ``day``."""
    next_month = day.truncate("M") + ibis.interval(months=1)
    if window.per_month == 1:
        return ibis.ifelse(day.day() == 1, day, next_month)
    d = day.day()
    return ibis.cases(
        (d.isin((1, 11, 21)), day),
        (d < 11, day.truncate("M") + ibis.interval(days=10)),
        (d < 21, day.truncate("M") + ibis.interval(days=20)),
        else_=next_month,
    ).cast("date")


def age_at(birth: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Completed years at the instant ``day`` (the birthday itself counts)."""
    years = day.year() - birth.year()
    return (years - ibis.ifelse(birth + years.as_interval("Y") > day, 1, 0)).cast("int32")


def age_group(age: ir.IntegerValue) -> ir.IntegerValue:
    """Five-year age group number: 0 = 0–4, 3 = 15–19 … 20 = 100 and over."""
    return ibis.least(age // AGE_GROUP_WIDTH, LAST_AGE_GROUP).cast("int16")


def ancestry(orgunits: ir.Table) -> ir.Table:
    """(place, unit) for every unit and each of its ancestors (itself included). Given such
    a table already (made once for many counts), returns it."""
    if "unit" in orgunits.columns:
        return orgunits
    parts = [
        orgunits.filter(orgunits.code.length() >= n).select(
            place=orgunits.code, unit=orgunits.code.substr(0, n)
        )
        for n in LEVEL_LENGTHS
    ]
    pairs = ibis.union(*parts, distinct=False)
    known = orgunits.select(unit=orgunits.code)
    return pairs.semi_join(known, "unit")


def place_changes(events: ir.Table, basis: str) -> ir.Table:
    """Moves on one basis: (person_id, day, seq, from_place, to_place) of non-creating events."""
    column = BASES[basis]
    to_col, from_col = events[f"{column}_to"], events[f"{column}_from"]
    return events.filter(~events.kind.isin(CREATING) & to_col.notnull()).select(
        person_id=events.person_id,
        day=events.effective_date,
        seq=events.seq,
        from_place=from_col,
        to_place=to_col,
    )


def _day_moves(changes: ir.Table) -> ir.Table:
    """One change per person and day: the day's last (the place after the day's moves).

    A move reported by both villages (``move_out`` by the old, ``move_in`` by the new) is two
    events of one day; so is a move through a place left the same day. Either way the person
    was at one place when the day began and at another when it ended: one move.
    """
    w = ibis.window(group_by=["person_id", "day"], order_by=ibis.desc("seq"))
    ranked = changes.mutate(day_rank=ibis.row_number().over(w))
    return ranked.filter(ranked.day_rank == 0).drop("day_rank")


def spells(persons: ir.Table, events: ir.Table, basis: str) -> ir.Table:
    """(person_id, place, start, end, prev_place) on ``basis``, cut to the person's life.

    ``start``/``end`` are instants: the person is at ``place`` from ``start`` until just
    before ``end``. ``prev_place`` is the place before the move that began the spell (null
    for the first spell).
    """
    column = BASES[basis]
    to_col = events[f"{column}_to"]
    created = events.filter(events.kind.isin(CREATING) & to_col.notnull())
    created = created.group_by("person_id").agg(initial=created[f"{column}_to"].argmax(created.seq))
    every_change = place_changes(events, basis)
    w = ibis.window(group_by="person_id", order_by=["day", "seq"])
    ranked = every_change.mutate(rank=ibis.row_number().over(w))
    first = ranked.filter(ranked["rank"] == 0).select(
        "person_id", first_day=ranked.day, first_from=ranked.from_place
    )
    changes = _day_moves(every_change)
    changes = changes.mutate(
        next_day=changes.day.lead().over(w),
        prev_to=changes.to_place.lag().over(w),
    )
    initial = created.left_join(first, "person_id").select(
        person_id=created.person_id,
        place=ibis.coalesce(first.first_from, created.initial),
        start=ibis.literal(FAR_PAST),
        end=ibis.coalesce(first.first_day, ibis.literal(FAR_FUTURE)),
        prev_place=ibis.null("string"),
    )
    initial_place = initial.select(person_id="person_id", initial_place="place")
    later = changes.left_join(initial_place, "person_id").select(
        person_id=changes.person_id,
        place=changes.to_place,
        start=changes.day,
        end=ibis.coalesce(changes.next_day, ibis.literal(FAR_FUTURE)),
        # a move's "from" is the place the person was at, whatever the report said
        prev_place=ibis.coalesce(changes.prev_to, initial_place.initial_place),
    )
    every = ibis.union(initial, later, distinct=False)
    life = persons.select(
        person_id=persons.id,
        sex=persons.sex,
        birth_date=persons.birth_date,
        death_date=persons.death_date,
    )
    joined = every.join(life, "person_id")
    start = ibis.greatest(joined.start + ONE_DAY, joined.birth_date + ONE_DAY)
    end = ibis.least(
        joined.end + ONE_DAY, ibis.coalesce(joined.death_date, ibis.literal(FAR_FUTURE)) + ONE_DAY
    )
    out = joined.select(
        "person_id",
        "place",
        "prev_place",
        "sex",
        "birth_date",
        "death_date",
        move_day=joined.start,
        start=start.cast("date"),
        end=end.cast("date"),
        first=joined.start == ibis.literal(FAR_PAST),
        died_here=joined.death_date.notnull()
        & (joined.start <= joined.death_date)
        & (joined.death_date < joined.end),
    )
    # A spell of no length is kept when the person is born or dies in it: a child born and
    # dying on one day is born somewhere and dies somewhere (one birth, one death, one infant
    # death), and a person who moves and dies on one day dies at the new place. No stock
    # counts such a spell (it covers no instant).
    return out.filter(
        (out.start < out.end) | ((out.start == out.end) & (out["first"] | out.died_here))
    )


SIX_MONTHS = ibis.interval(months=6)


def resident_spells(registered: ir.Table, resident: ir.Table) -> ir.Table:
    """Where each person counts in the resident population (常住人口), as spells.

    Decided per person at the village of residence, so that every level adds up: a person
    counts at the place of residence if registered there (hukou in that village or in a unit
    containing it), or has lived there six months or more, or has been away from the hukou
    place six months or more; otherwise (away less than six months) at the hukou place.
    Six calendar months run from the day residence began (a move's effective date, or the
    birth): a person who moved on 15 March counts at the new place from the end of 15
    September. Columns as :func:`spells` needs for stocks: (person_id, place, sex,
    birth_date, death_date, start, end).
    """
    h = registered.filter(registered.start < registered.end)
    r = resident.filter(resident.start < resident.end)
    h = h.select("person_id", hukou="place", h_start="start", h_end="end")
    r = r.select(
        "person_id",
        "sex",
        "birth_date",
        "death_date",
        residence="place",
        r_start="start",
        r_end="end",
    )
    both = r.join(h, "person_id")
    both = both.mutate(
        start=ibis.greatest(both.h_start, both.r_start).cast("date"),
        end=ibis.least(both.h_end, both.r_end).cast("date"),
    )
    both = both.filter(both.start < both.end)
    both = both.mutate(home=both.residence.startswith(both.hukou))
    # Runs of consecutive pieces away from the hukou place: a run starts where the piece
    # before (if any) was at home.
    w = ibis.window(group_by="person_id", order_by="start", preceding=None, following=0)
    both = both.mutate(run=both.home.cast("int64").sum().over(w))
    away = both.filter(~both.home)
    runs = away.group_by(["person_id", "run"]).agg(run_start=away.start.min())
    runs = runs.rename(run_person="person_id", run_id="run")
    both = both.left_join(
        runs, [both.person_id == runs.run_person, both.run == runs.run_id]
    ).select(
        "person_id",
        "sex",
        "birth_date",
        "death_date",
        "residence",
        "hukou",
        "r_start",
        "start",
        "end",
        "home",
        "run_start",
    )
    began = ibis.least(both.r_start, ibis.coalesce(both.run_start, both.r_start))
    settled = ((began - ONE_DAY).cast("date") + SIX_MONTHS + ONE_DAY).cast("date")
    both = both.mutate(
        cut=ibis.ifelse(
            both.home, both.start, ibis.least(ibis.greatest(both.start, settled), both.end)
        ).cast("date")
    )
    life = ["person_id", "sex", "birth_date", "death_date"]
    at_home = both.filter(both.start < both.cut).select(
        *life, place=both.hukou, start=both.start, end=both.cut
    )
    here = both.filter(both.cut < both.end).select(
        *life, place=both.residence, start=both.cut, end=both.end
    )
    # A person with no registered place at all counts where they live.
    unregistered = r.anti_join(h, "person_id").select(
        *life, place="residence", start="r_start", end="r_end"
    )
    parts = [
        t.mutate(start=t.start.cast("date"), end=t.end.cast("date"))
        for t in (at_home, here, unregistered)
    ]
    return ibis.union(*parts, distinct=False)


def _clamped(table: ir.Table, window: Window) -> ir.Table:
    """Spells cut to the window; an end past the window becomes ``last + 1 day``."""
    start = ibis.greatest(table.start, ibis.literal(window.first))
    end = ibis.least(table.end, ibis.literal(window.last + datetime.timedelta(days=1)))
    out = table.mutate(start=start.cast("date"), end=end.cast("date"))
    return out.filter(out.start < out.end)


def stock_age(birth: ir.DateValue, instant: ir.DateValue) -> ir.IntegerValue:
    """Age in a stock at the instant ``instant`` (its 00:00): completed years at the end of
    the day before, so a year-end stock takes the age at 31 December (a woman born on
    1 January 1975 is 49 at the end of 2024)."""
    return age_at(birth, (instant - ONE_DAY).cast("date"))


def stock_age_start(birth: ir.DateValue, years: ir.IntegerValue) -> ir.DateValue:
    """The first instant at which a stock counts a person born on ``birth`` as ``years`` old
    (the end of the birthday)."""
    return (birth + years.as_interval("Y") + ONE_DAY).cast("date")


def by_age_group(table: ir.Table) -> ir.Table:
    """Spells split where the person passes into the next five-year age group (ages at
    instants, see :func:`stock_age`)."""
    g0 = age_group(stock_age(table.birth_date, table.start))
    g1 = age_group(stock_age(table.birth_date, (table.end - ONE_DAY).cast("date")))
    split = table.mutate(age_group=ibis.range(g0, g1 + 1)).unnest("age_group")
    lower = stock_age_start(split.birth_date, split.age_group * AGE_GROUP_WIDTH)
    upper = stock_age_start(split.birth_date, split.age_group * AGE_GROUP_WIDTH + 5)
    out = split.mutate(
        age_group=split.age_group.cast("int16"),
        start=ibis.greatest(split.start, lower).cast("date"),
        end=ibis.ifelse(
            split.age_group >= LAST_AGE_GROUP, split.end, ibis.least(split.end, upper)
        ).cast("date"),
    )
    return out.filter(out.start < out.end)


def stock_deltas(table: ir.Table, window: Window, keys: list[str]) -> ir.Table:
    """Deltas of a stock of spells at the window's boundaries, by (place, *keys, k).

    ``delta``: persons entering (+) and leaving (−) the stock at boundary ``k``;
    ``part_days``: days lived in month ``k − 1`` by those who entered or left within it
    (+ days after entering, − days after leaving).
    """
    t = _clamped(table, window)
    last_plus = ibis.literal(window.last + datetime.timedelta(days=1))
    start_b = _boundary_after(t.start, window)
    starts = t.select(
        "place",
        *keys,
        k=month_index(start_b, window),
        delta=ibis.literal(1, "int64"),
        part_days=start_b.delta(t.start, unit="day").cast("int64"),
    )
    ended = t.filter(t.end < last_plus)
    end_b = _boundary_after(ended.end, window)
    ends = ended.select(
        "place",
        *keys,
        k=month_index(end_b, window),
        delta=ibis.literal(-1, "int64"),
        part_days=-end_b.delta(ended.end, unit="day").cast("int64"),
    )
    both = ibis.union(starts, ends, distinct=False)
    return both.group_by(["place", *keys, "k"]).agg(
        delta=both.delta.sum(), part_days=both.part_days.sum()
    )


def rollup(table: ir.Table, units: ir.Table, keys: list[str], values: list[str]) -> ir.Table:
    """Sums by place turned into sums by every unit containing the place."""
    joined = table.join(units, "place")
    return joined.group_by(["unit", *keys]).agg(**{v: joined[v].sum() for v in values})


def population(spelled: ir.Table, orgunits: ir.Table, window: Window) -> ir.Table:
    """Population deltas by (unit, sex, age_group, k) from :func:`spells`: see
    :func:`stock_deltas`."""
    split = by_age_group(_clamped(spelled, window))
    deltas = stock_deltas(split, window, ["sex", "age_group"])
    return rollup(deltas, ancestry(orgunits), ["sex", "age_group", "k"], ["delta", "part_days"])


def birth_orders(persons: ir.Table) -> ir.Table:
    """(person_id, order) of every person with a linked mother: the mother's live births so
    far, this one included, counted from the register's mother links (children born on one
    day, e.g. twins, in the order they were entered)."""
    kids = persons.filter(persons.mother_id.notnull())
    w = ibis.window(group_by="mother_id", order_by=["birth_date", "id"])
    return kids.select(person_id=kids.id, order=(ibis.row_number().over(w) + 1).cast("int64"))


SINGLE_AGES = (15, 50)  # women aged 15 … 49, by single years of age


def women_by_age(spelled: ir.Table, orgunits: ir.Table, window: Window) -> ir.Table:
    """Women aged 15–49 as stock deltas by (unit, age, k), ages in single years (ages at
    instants, see :func:`stock_age`): the denominators of single-year fertility rates."""
    low, high = SINGLE_AGES
    women = _clamped(spelled.filter(spelled.sex == "F"), window)
    women = women.mutate(
        start=ibis.greatest(women.start, stock_age_start(women.birth_date, ibis.literal(low))),
        end=ibis.least(women.end, stock_age_start(women.birth_date, ibis.literal(high))),
    )
    women = women.filter(women.start < women.end)
    a0 = stock_age(women.birth_date, women.start)
    a1 = stock_age(women.birth_date, (women.end - ONE_DAY).cast("date"))
    split = women.mutate(age=ibis.range(a0, a1 + 1)).unnest("age")
    out = split.mutate(
        age=split.age.cast("int16"),
        start=ibis.greatest(split.start, stock_age_start(split.birth_date, split.age)),
        end=ibis.least(split.end, stock_age_start(split.birth_date, split.age + 1)),
    )
    out = out.filter(out.start < out.end)
    deltas = stock_deltas(out, window, ["age"])
    return rollup(deltas, ancestry(orgunits), ["age", "k"], ["delta"])


def births(
    persons: ir.Table,
    events: ir.Table,
    spelled: ir.Table,
    orgunits: ir.Table,
    window: Window,
    mothers: ir.Table | None = None,
) -> ir.Table:
    """Live births by (unit, k, k_reported, sex, parity, mother_age_group, mother_age).

    A birth is counted at the child's place at birth on the basis of ``spelled`` (its first
    spell: the village of residence on the resident basis); with ``mothers`` (the registered
    spells, on the registered basis) at the mother's registered place at the end of the
    birth day, or the child's own where no mother is linked or known. ``parity`` is the
    birth's order (:func:`birth_orders`; the recorded order where no mother is linked)
    capped at 3 (3 = third or later; 0 = unknown). The births of the window are counted, and
    those reported in it: ``k`` is negative for a birth before the window, ``k_reported``
    the month the birth was reported in (a late report, 往年出生未报, is one reported in a
    later year than it happened in).
    """
    born = events.filter(events.kind == "birth")
    born = born.group_by("person_id").agg(reported=born.report_date.min())
    orders = birth_orders(persons)
    child = persons.left_join(orders, persons.id == orders.person_id).select(
        person_id=persons.id,
        sex=persons.sex,
        birth_date=persons.birth_date,
        parity=ibis.ifelse(persons.mother_id.notnull(), orders.order, persons.birth_order),
        mother_id=persons.mother_id,
    )
    mother_rows = persons.select(mother_id=persons.id, mother_birth=persons.birth_date)
    first_spell = spelled.filter(spelled["first"])
    rows = born.join(child, "person_id").left_join(mother_rows, "mother_id")
    rows = rows.join(first_spell.select(person_id="person_id", own_place="place"), "person_id")
    first, last = ibis.literal(window.births_start), ibis.literal(window.last)
    rows = rows.filter(
        ((rows.birth_date >= first) & (rows.birth_date < last))
        | ((rows.reported >= first) & (rows.reported < last))
    )
    if mothers is not None:
        at = (rows.birth_date + ONE_DAY).cast("date")
        m = mothers.select(m_id="person_id", m_place="place", m_start="start", m_end="end")
        hit = rows.join(m, [rows.mother_id == m.m_id, m.m_start <= at, m.m_end >= at])
        hit = hit.group_by("person_id").agg(mother_place=hit.m_place.argmax(hit.m_start))
        rows = rows.left_join(hit, "person_id")
        place = ibis.coalesce(rows.mother_place, rows.own_place)
    else:
        place = rows.own_place
    mother_age = age_at(rows.mother_birth, rows.birth_date)
    table = rows.select(
        place=place,
        k=month_index(rows.birth_date, window),
        k_reported=month_index(rows.reported, window),
        sex=rows.sex,
        parity=ibis.least(ibis.coalesce(rows.parity, 0), 3).cast("int16"),
        mother_age_group=ibis.coalesce(age_group(mother_age), -1).cast("int16"),
        mother_age=ibis.coalesce(mother_age, -1).cast("int16"),
        n=ibis.literal(1, "int64"),
    )
    keys = ["k", "k_reported", "sex", "parity", "mother_age_group", "mother_age"]
    table = table.group_by(["place", *keys]).agg(n=table.n.sum())
    return rollup(table, ancestry(orgunits), keys, ["n"])


def deaths(spelled: ir.Table, orgunits: ir.Table, window: Window) -> ir.Table:
    """Deaths by (unit, k, sex, age_group, infant) at the place the person was when dying
    (the spell the death ends; age in completed years on the day of death)."""
    s = spelled
    last = s.filter(s.died_here)
    last = last.filter(
        (last.death_date >= ibis.literal(window.first))
        & (last.death_date < ibis.literal(window.last))
    )
    age = age_at(last.birth_date, last.death_date)
    table = last.select(
        "place",
        k=month_index(last.death_date, window),
        sex=last.sex,
        age_group=age_group(age),
        infant=age < 1,
        n=ibis.literal(1, "int64"),
    )
    keys = ["k", "sex", "age_group", "infant"]
    table = table.group_by(["place", *keys]).agg(n=table.n.sum())
    return rollup(table, ancestry(orgunits), keys, ["n"])


def moves(spelled: ir.Table, orgunits: ir.Table, window: Window) -> ir.Table:
    """Moves into and out of each unit by (unit, k, direction): a move between two villages
    of one township counts for the villages, not for the township."""
    s = spelled
    moved = s.filter(
        s.prev_place.notnull()
        & (s.move_day >= ibis.literal(window.first))
        & (s.move_day < ibis.literal(window.last))
    )
    moved = moved.select("person_id", "place", "prev_place", k=month_index(moved.move_day, window))
    units = ancestry(orgunits)
    others = units.select(o_place="place", o_unit="unit")
    out = []
    for direction, here, there in (("in", "place", "prev_place"), ("out", "prev_place", "place")):
        hit = moved.join(units, moved[here] == units.place).select(
            "person_id", "k", "unit", other=moved[there]
        )
        away = hit.anti_join(others, [hit.other == others.o_place, hit.unit == others.o_unit])
        out.append(
            away.group_by(["unit", "k"])
            .agg(n=away.count())
            .mutate(direction=ibis.literal(direction))
        )
    return ibis.union(*out, distinct=False)


def floating(
    registered: ir.Table, resident: ir.Table, orgunits: ir.Table, window: Window
) -> ir.Table:
    """Floating population stock deltas by (unit, direction, k): ``in`` lives in the unit and
    is registered outside it (流入), ``out`` is registered in it and lives outside (流出)."""
    h = _clamped(registered, window)
    r = _clamped(resident, window)
    h = h.select("person_id", hukou="place", h_start="start", h_end="end")
    r = r.select("person_id", residence="place", r_start="start", r_end="end")
    pairs = h.join(r, "person_id")
    pairs = pairs.select(
        "person_id",
        "hukou",
        "residence",
        start=ibis.greatest(pairs.h_start, pairs.r_start).cast("date"),
        end=ibis.least(pairs.h_end, pairs.r_end).cast("date"),
    )
    pairs = pairs.filter(pairs.start < pairs.end)
    units = ancestry(orgunits)
    others = units.select(o_place="place", o_unit="unit")
    out = []
    for direction, here, there in (("in", "residence", "hukou"), ("out", "hukou", "residence")):
        hit = pairs.join(units, pairs[here] == units.place).select(
            "start", "end", "unit", other=pairs[there]
        )
        away = hit.anti_join(others, [hit.other == others.o_place, hit.unit == others.o_unit])
        away = away.select("start", "end", place="unit", direction=ibis.literal(direction))
        out.append(stock_deltas(away, window, ["direction"]))
    both = ibis.union(*out, distinct=False)
    return both.rename(unit="place")


CHILDREN_BUCKETS = 4  # 0, 1, 2, 3 and more living children
REPRODUCTIVE_AGES = (15, 50)  # women aged 15–49


def _married_spells(persons: ir.Table, events: ir.Table) -> ir.Table:
    """(person_id, start, end): instants between which a woman was married.

    Marriages, divorces and widowhoods (the husband's death, recorded as an event of hers
    dated that day) in the events begin spells at ``day + 1``; before a person's first such
    event she was in the state that event left (married before a divorce or widowhood, not
    before a marriage); a woman with none is in her current state all along.
    """
    marital = events.filter(events.kind.isin(("marriage", "divorce", "widowhood")))
    w = ibis.window(group_by="person_id", order_by=["effective_date", "seq"])
    marital = marital.select(
        "person_id",
        day=(marital.effective_date + ONE_DAY).cast("date"),
        married=marital.kind == "marriage",
        next_day=(marital.effective_date.lead().over(w) + ONE_DAY).cast("date"),
        rank=ibis.row_number().over(w),
    )
    later = marital.filter(marital.married).select(
        "person_id",
        start=marital.day,
        end=ibis.coalesce(marital.next_day, ibis.literal(FAR_FUTURE)),
    )
    first = marital.filter((marital["rank"] == 0) & ~marital.married)
    before = first.select(
        "person_id", start=ibis.literal(FAR_PAST), end=first.day
    )  # divorced first: married until then
    women = persons.filter(persons.sex == "F")
    never = women.anti_join(marital, women.id == marital.person_id)
    never = never.filter(never.marital_status == "married").select(
        person_id=never.id, start=ibis.literal(FAR_PAST), end=ibis.literal(FAR_FUTURE)
    )
    return ibis.union(later, before, never, distinct=False)


def _children_spells(persons: ir.Table) -> ir.Table:
    """(person_id, start, end, children): a mother's number of living children between two
    instants (a child counts from the instant after its birth until the one after its death).
    Women with no recorded child have no row here (they have none all along)."""
    kids = persons.filter(persons.mother_id.notnull())
    born = kids.select(
        person_id=kids.mother_id,
        day=(kids.birth_date + ONE_DAY).cast("date"),
        step=ibis.literal(1, "int64"),
    )
    died = kids.filter(kids.death_date.notnull())
    died = died.select(
        person_id=died.mother_id,
        day=(died.death_date + ONE_DAY).cast("date"),
        step=ibis.literal(-1, "int64"),
    )
    steps = ibis.union(born, died, distinct=False)
    steps = steps.group_by(["person_id", "day"]).agg(step=steps.step.sum())
    running = ibis.window(group_by="person_id", order_by="day", preceding=None, following=0)
    w = ibis.window(group_by="person_id", order_by="day")
    steps = steps.select(
        "person_id",
        start=steps.day,
        end=ibis.coalesce(steps.day.lead().over(w), ibis.literal(FAR_FUTURE)),
        children=steps.step.sum().over(running),
        rank=ibis.row_number().over(w),
    )
    first = steps.filter(steps["rank"] == 0).select(
        "person_id", start=ibis.literal(FAR_PAST), end="start", children=ibis.literal(0, "int64")
    )
    return ibis.union(steps.select("person_id", "start", "end", "children"), first, distinct=False)


def married_women(
    persons: ir.Table, events: ir.Table, spelled: ir.Table, orgunits: ir.Table, window: Window
) -> ir.Table:
    """Married women aged 15–49 as stock deltas by (unit, children, k): ``children`` is the
    number of living children, 3 meaning three or more (see :func:`stock_deltas`)."""
    women = spelled.filter(spelled.sex == "F")
    married = _married_spells(persons, events).rename(m_start="start", m_end="end")
    kids = _children_spells(persons).rename(c_start="start", c_end="end")
    both = women.join(married, "person_id")
    both = both.select(
        "person_id",
        "place",
        "birth_date",
        start=ibis.greatest(both.start, both.m_start),
        end=ibis.least(both.end, both.m_end),
    )
    both = both.filter(both.start < both.end)
    low, high = REPRODUCTIVE_AGES
    both = both.mutate(
        start=ibis.greatest(both.start, stock_age_start(both.birth_date, ibis.literal(low))),
        end=ibis.least(both.end, stock_age_start(both.birth_date, ibis.literal(high))),
    )
    both = both.filter(both.start < both.end)
    joined = both.left_join(
        kids,
        [
            both.person_id == kids.person_id,
            kids.c_start < both.end,
            kids.c_end > both.start,
        ],
    )
    table = joined.select(
        place=joined.place,
        start=ibis.greatest(joined.start, ibis.coalesce(joined.c_start, joined.start)).cast("date"),
        end=ibis.least(joined.end, ibis.coalesce(joined.c_end, joined.end)).cast("date"),
        children=ibis.least(ibis.coalesce(joined.children, 0), CHILDREN_BUCKETS - 1).cast("int16"),
    )
    table = table.filter(table.start < table.end)
    deltas = stock_deltas(table, window, ["children"])
    return rollup(deltas, ancestry(orgunits), ["children", "k"], ["delta"])
