"""A register of a few hundred persons over 2022 – mid-2025, and its figures worked out by
the conventions in plain Python, day by day, without the code under test.

The register is made from a seeded random draw plus cases written out by hand (each named
in ``EDGE_CASES``). Everything the conventions settle occurs in it: births and deaths on
1 January and 31 December, a child born and dying on one day, twins, births registered
with the father while the mother is registered elsewhere, late reports (across a calendar
year, and across a statistical year only), moves reported by both villages, moves out of
and into the county, short stays away (under six months) and long ones, hukou transfers
both ways, marriages, divorces, widowhood (a husband's death applied through the
services), women turning 15 and 50 at a year's end, persons who left the county (dead,
emigrated, living and registered elsewhere).

``expected(spec, periods)`` gives, for every unit, period and basis, the counts the
indicators rest on. Instants are dates standing for their 00:00; an event dated ``d``
takes effect at ``d + 1``.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.builders import COUNTY, ORGUNITS, TOWNSHIP_A, TOWNSHIP_B, id_number, write_csv

D = datetime.date
DAY = datetime.timedelta(days=1)
A1, A2, B1 = "330122100201", "330122100202", "330122101201"
VILLAGES = (A1, A2, B1)
REGIONS = ("110105", "410102", "330106")
UNITS = ("33", "3301", COUNTY, TOWNSHIP_A, TOWNSHIP_B, A1, A2, B1)
HISTORY = (D(2022, 1, 1), D(2025, 6, 29))
LOAD_DAY = D(2025, 6, 30)


@dataclass
class Move:
    day: datetime.date
    basis: str  # "hukou" or "residence"
    to: str
    paired: bool = False  # reported twice: move_out by the old village, move_in by the new


@dataclass
class Spec:
    ref: str
    sex: str
    birth: datetime.date
    hukou: str  # where registered at birth / before the first move
    residence: str
    mother: str | None = None
    born_here: bool = False  # a birth event (born in the history)
    reported: datetime.date | None = None
    death: datetime.date | None = None
    death_by_service: bool = False  # applied after the load through the services
    moves: list[Move] = field(default_factory=list)
    marriages: list[tuple[datetime.date, str | None]] = field(default_factory=list)
    divorces: list[datetime.date] = field(default_factory=list)
    married_at_load_start: bool = False  # married all along (no marital event)
    birth_order: int | None = None  # recorded order (used where no mother is linked)
    emigrated: bool = False


def place(code: str) -> str:
    """A place as the analytics see it: ours by code, elsewhere as R + region."""
    return code if len(code) > 6 else "R" + code


def build(seed: int = 15) -> list[Spec]:
    rng = random.Random(seed)
    people: list[Spec] = []
    add = people.append

    def day_between(a: datetime.date, b: datetime.date) -> datetime.date:
        return a + datetime.timedelta(days=rng.randrange((b - a).days + 1))

    # --- hand-written cases -------------------------------------------------------------
    # women at the edges of 15–49 at the end of 2024: born 1975-01-01 is 49 (in), born
    # 1974-12-31 is 50 (out), born 2009-12-31 is 15 (in), 2010-01-01 is 14 (out)
    for ref, born in (
        ("W75", D(1975, 1, 1)),
        ("W74", D(1974, 12, 31)),
        ("W09", D(2009, 12, 31)),
        ("W10", D(2010, 1, 1)),
    ):
        add(Spec(ref, "F", born, A1, A1))
    # a child born and dying on one day; births and deaths on 1 Jan and 31 Dec
    add(Spec("MX", "F", D(1993, 3, 3), B1, B1, married_at_load_start=True))
    add(Spec("X1", "M", D(2023, 5, 5), B1, B1, mother="MX", born_here=True, death=D(2023, 5, 5)))
    add(Spec("X2", "F", D(2024, 1, 1), B1, B1, mother="MX", born_here=True))
    add(Spec("X3", "M", D(2024, 12, 31), B1, B1, mother="MX", born_here=True))
    add(Spec("OLD1", "M", D(1931, 2, 2), A1, A1, death=D(2024, 1, 1)))
    add(Spec("OLD2", "F", D(1932, 2, 2), A2, A2, death=D(2023, 12, 31)))
    # twins; a birth registered with the father in B1 while the mother is registered in A1
    add(Spec("MT", "F", D(1990, 6, 1), A1, A1, married_at_load_start=True))
    add(Spec("T1", "M", D(2024, 7, 15), A1, A1, mother="MT", born_here=True))
    add(Spec("T2", "F", D(2024, 7, 15), A1, A1, mother="MT", born_here=True))
    add(Spec("TF", "M", D(2023, 2, 2), B1, A1, mother="MT", born_here=True))
    # a mother registered outside the county: her child's registered birth is not ours
    add(Spec("MR", "F", D(1995, 1, 1), "410102", B1, married_at_load_start=True))
    add(Spec("RC", "F", D(2024, 3, 3), B1, B1, mother="MR", born_here=True))
    # late reports: born 2023-11-10 reported 2024-02-01 (late in 2024 and in the stat year
    # 2024); born 2024-09-20 reported 2024-10-08 (late in the statistical year 2025 only)
    add(Spec("ML", "F", D(1996, 4, 4), A2, A2, married_at_load_start=True))
    add(
        Spec(
            "L1",
            "M",
            D(2023, 11, 10),
            A2,
            A2,
            mother="ML",
            born_here=True,
            reported=D(2024, 2, 1),
        )
    )
    add(
        Spec(
            "L2",
            "F",
            D(2024, 9, 20),
            A2,
            A2,
            mother="ML",
            born_here=True,
            reported=D(2024, 10, 8),
        )
    )
    # a child with no linked mother: its recorded order counts
    add(Spec("NO", "F", D(2024, 5, 5), B1, B1, born_here=True, birth_order=3))
    # moves: reported by both villages; six months away on the dot; a short stay away
    add(Spec("P1", "M", D(1980, 1, 1), A1, A1, moves=[Move(D(2024, 3, 10), "residence", B1, True)]))
    add(Spec("S1", "F", D(1985, 8, 8), A1, A1, moves=[Move(D(2024, 6, 30), "residence", B1)]))
    add(Spec("S2", "F", D(1986, 8, 8), A1, A1, moves=[Move(D(2024, 7, 1), "residence", B1)]))
    add(
        Spec(
            "S3",
            "M",
            D(1970, 3, 3),
            B1,
            B1,
            moves=[
                Move(D(2024, 5, 1), "residence", "110105"),
                Move(D(2024, 9, 1), "residence", B1),
            ],
        )
    )
    # arrivals from outside (流入): one new this year, one long settled
    add(
        Spec(
            "F1",
            "F",
            D(1999, 9, 9),
            "410102",
            "410102",
            moves=[Move(D(2024, 11, 1), "residence", A1)],
        )
    )
    add(
        Spec(
            "F2",
            "M",
            D(1988, 9, 9),
            "330106",
            "330106",
            moves=[Move(D(2022, 3, 1), "residence", B1)],
        )
    )
    # hukou transfers: out of the county and in; a transfer between villages
    add(
        Spec(
            "H1",
            "M",
            D(1990, 1, 2),
            A1,
            A1,
            moves=[
                Move(D(2023, 4, 4), "residence", "110105"),
                Move(D(2023, 10, 10), "hukou", "110105"),
            ],
        )
    )
    add(Spec("H2", "F", D(1991, 1, 2), "330106", B1, moves=[Move(D(2024, 2, 2), "hukou", B1)]))
    add(Spec("H3", "M", D(1992, 1, 2), A2, A2, moves=[Move(D(2024, 8, 8), "hukou", A1)]))
    # persons who left: emigrated abroad; dead after leaving
    add(
        Spec(
            "E1",
            "F",
            D(1979, 2, 2),
            B1,
            B1,
            emigrated=True,
            moves=[
                Move(D(2023, 6, 1), "residence", "110105"),
                Move(D(2023, 6, 1), "hukou", "110105"),
            ],
        )
    )
    add(
        Spec(
            "E2",
            "M",
            D(1940, 2, 2),
            A1,
            A1,
            death=D(2024, 4, 4),
            moves=[
                Move(D(2022, 6, 1), "residence", "330106"),
                Move(D(2022, 7, 1), "hukou", "330106"),
            ],
        )
    )
    # marriage, divorce, widowhood (the husband's death through the services)
    add(Spec("WM", "F", D(1994, 5, 5), A1, A1, marriages=[(D(2023, 5, 1), "WH")]))
    add(
        Spec(
            "WH",
            "M",
            D(1960, 5, 5),
            A1,
            A1,
            marriages=[(D(2023, 5, 1), "WM")],
            death=D(2024, 10, 3),
            death_by_service=True,
        )
    )
    add(Spec("WC", "M", D(2024, 2, 2), A1, A1, mother="WM", born_here=True))
    add(
        Spec(
            "DV",
            "F",
            D(1992, 6, 6),
            B1,
            B1,
            marriages=[(D(2022, 5, 1), None)],
            divorces=[D(2024, 3, 3)],
        )
    )

    # --- drawn cases ----------------------------------------------------------------------
    for i in range(70):
        village = rng.choice(VILLAGES)
        lives = village if rng.random() < 0.85 else rng.choice(VILLAGES + REGIONS)
        mother = Spec(f"M{i}", "F", day_between(D(1976, 1, 1), D(2003, 12, 31)), village, lives)
        if rng.random() < 0.5:
            mother.married_at_load_start = True
        elif rng.random() < 0.6:
            mother.marriages.append((day_between(D(2022, 1, 1), D(2024, 6, 30)), None))
            if rng.random() < 0.2:
                mother.divorces.append(day_between(D(2024, 7, 1), D(2025, 5, 30)))
        add(mother)
        # children born before the history (parity counts them), and in it
        earliest = max(mother.birth + datetime.timedelta(days=20 * 365), D(2005, 1, 1))
        for j in range(rng.choice((0, 0, 1, 2)) if earliest < D(2021, 12, 1) else 0):
            born = day_between(earliest, D(2021, 12, 1))
            add(Spec(f"K{i}_{j}", rng.choice("MF"), born, village, lives, mother=mother.ref))
        for j in range(rng.choice((0, 1, 1, 2))):
            born = day_between(D(2022, 1, 1), D(2025, 6, 15))
            if (born - mother.birth).days < 16 * 365:
                continue
            late = rng.random() < 0.1
            reported = born + datetime.timedelta(
                days=rng.randrange(60, 120) if late else rng.randrange(0, 10)
            )
            child = Spec(
                f"C{i}_{j}",
                rng.choice("MMMMMMFFFFF"),
                born,
                mother.hukou,
                lives,
                mother=mother.ref,
                born_here=True,
                reported=min(reported, D(2025, 6, 29)),
            )
            if rng.random() < 0.05:
                death = born + datetime.timedelta(days=rng.randrange(0, 200))
                child.death = death if death <= HISTORY[1] else None
            add(child)
        if rng.random() < 0.15:
            day = day_between(D(2022, 3, 1), D(2025, 5, 1))
            to = rng.choice([v for v in VILLAGES + REGIONS if v != lives])
            mother.moves.append(Move(day, "residence", to, rng.random() < 0.5))
    for i in range(120):
        village = rng.choice(VILLAGES)
        old = Spec(
            f"A{i}", rng.choice("MF"), day_between(D(1925, 1, 1), D(2008, 12, 31)), village, village
        )
        r = rng.random()
        if r < 0.12:
            old.death = day_between(D(2022, 1, 1), D(2025, 6, 20))
        elif r < 0.2:
            day = day_between(D(2022, 1, 1), D(2025, 5, 1))
            to = rng.choice([v for v in VILLAGES + REGIONS if v != village])
            old.moves.append(Move(day, "residence", to, rng.random() < 0.5))
        elif r < 0.25:
            day = day_between(D(2022, 1, 1), D(2025, 5, 1))
            old.moves.append(
                Move(day, "hukou", rng.choice([v for v in VILLAGES + REGIONS if v != village]))
            )
        add(old)
    return people


# --- the register's state, day by day --------------------------------------------------------


def place_at(p: Spec, basis: str, instant: datetime.date) -> str:
    """Where ``p`` is on ``basis`` at the instant (moves dated d count from d + 1)."""
    here = p.hukou if basis == "hukou" else p.residence
    for move in sorted((m for m in p.moves if m.basis == basis), key=lambda m: m.day):
        if move.day + DAY <= instant:
            here = move.to
    return here


def alive(p: Spec, instant: datetime.date) -> bool:
    return p.birth + DAY <= instant and (p.death is None or instant <= p.death)


def completed_years(birth: datetime.date, on: datetime.date) -> int:
    years = on.year - birth.year
    try:
        birthday = birth.replace(year=on.year)
    except ValueError:  # 29 February
        birthday = D(on.year, 2, 28)
    return years - (1 if birthday > on else 0)


def stock_age(p: Spec, instant: datetime.date) -> int:
    return completed_years(p.birth, instant - DAY)


def plus_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return D(year, month, d)
        except ValueError:
            continue
    raise AssertionError(day)


def under(residence: str, hukou: str) -> bool:
    return residence.startswith(hukou) if len(hukou) > 6 else residence == hukou


def resident_place(p: Spec, instant: datetime.date) -> str:
    """The six-month rule, by its words: at the residence if registered there, or lived
    there six months or more, or away from the hukou place six months or more; else at
    the hukou place."""
    hukou, residence = place_at(p, "hukou", instant), place_at(p, "residence", instant)
    if under(residence, hukou):
        return residence
    # when this stay at the residence began, and since when away from home
    began = p.birth + DAY
    for move in sorted((m for m in p.moves if m.basis == "residence"), key=lambda m: m.day):
        if move.day + DAY <= instant and move.to == residence:
            began = max(began, move.day + DAY)
    # walk back over the instants where a place changed: away since the end of the last
    # stretch at home (or since birth)
    changes = sorted({m.day + DAY for m in p.moves if m.day + DAY <= instant} | {p.birth + DAY})
    away = p.birth + DAY
    for at, until in reversed(list(zip(changes, [*changes[1:], instant + DAY], strict=True))):
        if under(place_at(p, "residence", at), place_at(p, "hukou", at)):
            away = until
            break
    since = min(began, away)
    settled = plus_months(since - DAY, 6) + DAY
    return residence if instant >= settled else hukou


def stock_place(p: Spec, basis: str, instant: datetime.date) -> str:
    if basis == "registered":
        return place_at(p, "hukou", instant)
    return resident_place(p, instant)


def married(p: Spec, by_ref: dict[str, Spec], instant: datetime.date) -> bool:
    changes: list[tuple[datetime.date, bool]] = []
    for day, spouse in p.marriages:
        changes.append((day + DAY, True))
        other = by_ref.get(spouse) if spouse else None
        if other is not None and other.death is not None and other.death >= day:
            changes.append((other.death + DAY, False))
    changes += [(d + DAY, False) for d in p.divorces]
    state = p.married_at_load_start
    for at, value in sorted(changes):
        if at <= instant:
            state = value
    return state


def units_of(code: str) -> set[str]:
    code = place(code)
    return {u for u in UNITS if not code.startswith("R") and code.startswith(u)}


def expected(spec: list[Spec], periods: list[Any]) -> dict[tuple[str, str, str, str], Any]:
    """Counts by (indicator, unit, period id, basis), worked out person by person."""
    by_ref = {p.ref: p for p in spec}
    order_of: dict[str, int | None] = {}
    children: dict[str, list[Spec]] = defaultdict(list)
    for p in spec:
        if p.mother:
            children[p.mother].append(p)
    for kids in children.values():
        ranked = sorted(kids, key=lambda k: (k.birth, spec.index(k)))
        for n, kid in enumerate(ranked, start=1):
            order_of[kid.ref] = n
    out: dict[tuple[str, str, str, str], Any] = defaultdict(int)
    for period in periods:
        start, end = period.start, period.end_boundary
        year_start = (
            D(start.year if start.month >= 10 else start.year - 1, 10, 1)
            if period.kind in ("stat_year", "stat_half")
            else D(start.year, 1, 1)
        )
        for basis in ("registered", "resident"):

            def key(name: str, unit: str, pid: str = period.id, b: str = basis) -> tuple:
                return (name, unit, pid, b)

            for p in spec:
                for name, instant in (("population_start", start), ("population_end", end)):
                    if alive(p, instant):
                        for u in units_of(stock_place(p, basis, instant)):
                            out[key(name, u)] += 1
                for edge, instant in (("start", start), ("end", end)):
                    if p.sex == "F" and alive(p, instant) and 15 <= stock_age(p, instant) <= 49:
                        for u in units_of(stock_place(p, basis, instant)):
                            out[key(f"women_{stock_age(p, instant)}_{edge}", u)] += 1
                if alive(p, end):
                    units = units_of(stock_place(p, basis, end))
                    age = stock_age(p, end)
                    if p.sex == "F" and 15 <= age <= 49:
                        for u in units:
                            out[key("women_15_49", u)] += 1
                        if married(p, by_ref, end):
                            living = sum(1 for k in children[p.ref] if alive(k, end))
                            for u in units:
                                out[key("married_women_15_49", u)] += 1
                                out[key(f"married_children_{min(living, 3)}", u)] += 1
                if p.born_here:
                    mother = by_ref.get(p.mother) if p.mother else None
                    if basis == "registered":
                        where = place_at(mother or p, "hukou", p.birth + DAY) if mother else p.hukou
                    else:
                        where = p.residence
                    units = units_of(where)
                    if start <= p.birth < end:
                        order = order_of.get(p.ref) if mother else p.birth_order
                        parity = min(order or 0, 3)
                        mother_age = completed_years(mother.birth, p.birth) if mother else None
                        for u in units:
                            out[key("births", u)] += 1
                            out[key(f"births_to_{mother_age}", u)] += 1
                            out[key("births_male" if p.sex == "M" else "births_female", u)] += 1
                            out[key(f"parity_{parity}", u)] += 1
                    reported = p.reported or p.birth
                    if start <= reported < end and p.birth < year_start:
                        for u in units:
                            out[key("late_births_reported", u)] += 1
                if p.death is not None and start <= p.death < end:
                    b = "hukou" if basis == "registered" else "residence"
                    for u in units_of(place_at(p, b, p.death + DAY)):
                        out[key("deaths", u)] += 1
                        if completed_years(p.birth, p.death) < 1:
                            out[key("infant_deaths", u)] += 1
                # moves, one per person and day, on the raw places
                b = "hukou" if basis == "registered" else "residence"
                for day in sorted({m.day for m in p.moves if m.basis == b}):
                    if not start <= day < end or (p.death is not None and day > p.death):
                        continue
                    before, after = (
                        units_of(place_at(p, b, day)),
                        units_of(place_at(p, b, day + DAY)),
                    )
                    for u in after - before:
                        out[key("moves_in", u)] += 1
                    for u in before - after:
                        out[key("moves_out", u)] += 1
    return out


# --- writing the load files ------------------------------------------------------------------


def _marital_state(p: Spec, by_ref: dict[str, Spec]) -> str:
    if married(p, by_ref, LOAD_DAY + DAY):
        return "married"
    if p.divorces:
        return "divorced"
    return "single" if not p.marriages and not p.married_at_load_start else "married"


def _event(
    ref: str,
    kind: str,
    p: Spec,
    day: datetime.date,
    unit: str,
    reported: datetime.date | None = None,
    *,
    frm: str = "",
    to: str = "",
    spouse: str | None = None,
) -> dict[str, str]:
    """One row of events.csv."""
    row = {
        "event_ref": ref,
        "kind": kind,
        "person_ref": p.ref,
        "effective_date": day.isoformat(),
        "report_date": (reported or day).isoformat(),
        "orgunit_code": unit,
        "from_code": frm,
        "to_code": to,
    }
    if spouse is not None:
        row["spouse_ref"] = spouse
    return row


def write_load(spec: list[Spec], directory: Path) -> list[Spec]:
    """The load files of the register before the deaths applied through the services (which
    the caller applies); returns those."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "orgunits.csv", ORGUNITS)
    by_ref = {p.ref: p for p in spec}
    persons, events = [], []
    later = [p for p in spec if p.death_by_service]
    for n, p in enumerate(spec):
        dead_now = p.death is not None and not p.death_by_service
        hukou_now = place_at(p, "hukou", LOAD_DAY + DAY)
        residence_now = place_at(p, "residence", LOAD_DAY + DAY)
        seq = 2 * n + (1 if p.sex == "M" else 2)
        row: dict[str, Any] = {
            "person_ref": p.ref,
            "id_number": id_number(p.birth.isoformat(), seq % 1000),
            "name": f"人{n}",
            "sex": p.sex,
            "birth_date": p.birth.isoformat(),
            "ethnicity": "01",
            "hukou_code": hukou_now,
            "hukou_type": "rural",
            "residence_code": residence_now,
            "marital_status": "married"
            if p.death_by_service and p.marriages
            else _marital_state(p, by_ref),
            "status": "dead" if dead_now else ("emigrated" if p.emigrated else "alive"),
        }
        if dead_now:
            row["death_date"] = p.death.isoformat()
        if p.mother:
            row["mother_ref"] = p.mother
        if p.birth_order is not None:
            row["birth_order"] = str(p.birth_order)
        persons.append(row)

        def reporter(*codes: str) -> str:
            return next((c for c in codes if len(c) > 6), A1)

        if p.born_here:
            events.append(
                _event(
                    f"B-{p.ref}", "birth", p, p.birth, reporter(p.residence, p.hukou), p.reported
                )
            )
        if dead_now:
            after = p.death + DAY
            unit = reporter(place_at(p, "residence", after), place_at(p, "hukou", after))
            events.append(_event(f"D-{p.ref}", "death", p, p.death, unit))
        for k, move in enumerate(p.moves):
            old = place_at(p, move.basis, move.day)
            ours = len(move.to) > 6
            if move.basis == "hukou":
                kinds = [("hukou_in" if ours else "hukou_out", move.to if ours else old)]
            elif move.paired:
                kinds = [("move_out", old), ("move_in", move.to)]
            else:
                kinds = [("move_in" if ours else "move_out", move.to if ours else old)]
            for kind, unit in kinds:
                where = reporter(unit, old, move.to)
                events.append(
                    _event(f"V-{p.ref}-{k}-{kind}", kind, p, move.day, where, frm=old, to=move.to)
                )
        for k, (day, spouse) in enumerate(p.marriages):
            where = reporter(place_at(p, "residence", day))
            events.append(_event(f"W-{p.ref}-{k}", "marriage", p, day, where, spouse=spouse or ""))
        for k, day in enumerate(p.divorces):
            where = reporter(place_at(p, "residence", day))
            events.append(_event(f"X-{p.ref}-{k}", "divorce", p, day, where))
    write_csv(directory / "persons.csv", persons)
    write_csv(directory / "events.csv", events)
    return later
