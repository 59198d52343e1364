"""Known errors injected into a synthetic county, with ground truth (``--error-rate``).

Each kind of error is put into about ``rate`` × persons records, each record getting at most
one kind, chosen so that the error does not spill into other error-level rules: a wrong
mother is a woman with no other children, a copied record has no household, and so on.
``errors.csv`` lists every (person_ref, rule) a correct checker must report. Kinds that the
initial load refuses outright (a bad check character, a birth date disagreeing with the
number) cannot be carried by load files; the quality benchmark puts those into the loaded
database instead (``bench/quality.py``).
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.core.idnumber import check_character

YEAR = 365.2425
MERGED_FROM = np.datetime64("2020-01-01")


class _Table:
    """A load table as numpy object columns, edited in place and grown by appended rows."""

    def __init__(self, table: pa.Table) -> None:
        self.names = table.column_names
        self.cols = {n: table.column(n).to_numpy(zero_copy_only=False).copy() for n in self.names}
        self.extra: list[dict[str, str | None]] = []

    def __len__(self) -> int:
        return len(self.cols[self.names[0]])

    def append(self, row: dict[str, str | None]) -> None:
        self.extra.append(row)

    def table(self) -> pa.Table:
        arrays = []
        for n in self.names:
            values = list(self.cols[n]) + [r.get(n) for r in self.extra]
            arrays.append(pa.array(values, type=pa.string()))
        return pa.table(dict(zip(self.names, arrays, strict=True)))


def _days(values: np.ndarray) -> np.ndarray:
    return np.array([v if v else "NaT" for v in values], dtype="datetime64[D]")


def _iso(day: np.datetime64) -> str:
    return str(day.astype("datetime64[D]"))


def _renumber(number: str, birth: np.datetime64) -> str:
    first17 = number[:6] + _iso(birth).replace("-", "") + number[14:17]
    return first17 + check_character(first17)


def inject(
    rng: np.random.Generator,
    persons: pa.Table,
    events: pa.Table,
    orgunits: pa.Table,
    end: date,
    rate: float,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(persons, events, truth) with errors of every kind in about ``rate`` of the records."""
    P, E = _Table(persons), _Table(events)
    truth: list[tuple[str, str]] = []
    n = len(P)
    k = max(1, round(rate * n))
    today = np.datetime64(end.isoformat())
    ref = P.cols["person_ref"]
    birth = _days(P.cols["birth_date"])
    death = _days(P.cols["death_date"])
    age = (today - birth).astype(np.int64) / YEAR
    sex = P.cols["sex"]
    alive = P.cols["status"] == "alive"
    has_id = pc.is_valid(persons.column("id_number")).to_numpy(zero_copy_only=False)
    mother, father = P.cols["mother_ref"], P.cols["father_ref"]
    has_mother = pc.is_valid(persons.column("mother_ref")).to_numpy(zero_copy_only=False)
    has_father = pc.is_valid(persons.column("father_ref")).to_numpy(zero_copy_only=False)
    parent_refs = set(mother[has_mother]) | set(father[has_father])
    is_parent = np.array([r in parent_refs for r in ref])
    event_refs = set(E.cols["person_ref"]) | {r for r in E.cols["spouse_ref"] if r}
    in_events = np.array([r in event_refs for r in ref])
    standalone = ~has_mother & ~has_father & ~is_parent & ~in_events
    village = np.array([bool(c) and len(c) == 12 for c in P.cols["residence_code"]])
    merged = [
        c
        for c, to in zip(
            orgunits.column("code").to_pylist(),
            orgunits.column("valid_to").to_pylist(),
            strict=True,
        )
        if to and len(c) == 12
    ]
    used = np.zeros(n, dtype=bool)
    index = {r: i for i, r in enumerate(ref)}

    def pick(mask: np.ndarray, count: int = k) -> np.ndarray:
        pool = np.flatnonzero(mask & ~used)
        chosen = rng.choice(pool, size=min(count, len(pool)), replace=False) if len(pool) else pool
        used[chosen] = True
        return np.sort(chosen)

    def flag(i: int, *rules: str) -> None:
        truth.extend((str(ref[i]), rule) for rule in rules)

    def copy_of(i: int, new_ref: str, **changes: str | None) -> str:
        row = {c: P.cols[c][i] for c in P.names}
        row.update({"person_ref": new_ref, "household_ref": None, "relation_to_head": None})
        row.update(changes)
        P.append(row)
        return new_ref

    # Households without a head: every living member is flagged, so they go first.
    members: dict[str, list[int]] = {}
    for i in np.flatnonzero(
        alive & pc.is_valid(persons.column("household_ref")).to_numpy(zero_copy_only=False)
    ):
        members.setdefault(P.cols["household_ref"][i], []).append(int(i))
    households = [h for h, m in members.items() if len(m) >= 2]
    for h in rng.permutation(np.array(households, dtype=object))[: k // 4 or 1]:
        rows = members[h]
        heads = [i for i in rows if P.cols["relation_to_head"][i] == "head"]
        if len(heads) != 1 or used[rows].any():
            continue
        P.cols["relation_to_head"][heads[0]] = "other"
        used[rows] = True
        for i in rows:
            flag(i, "Q-HH-NO-HEAD")

    adult = alive & has_id & (age >= 30)
    for i in pick(adult):
        P.cols["id_number"][i] = None
        flag(i, "Q-ID-MISSING-ADULT", "Q-REQ-ID-NUMBER")
    extra = 0
    for i in pick(adult & standalone):
        extra += 1
        flag(i, "Q-ID-DUPLICATE")
        truth.append((copy_of(i, f"PX{extra:07d}"), "Q-ID-DUPLICATE"))
    newborn = alive & ~has_id & has_mother & (age < 0.9)
    for i in pick(newborn):
        extra += 1
        flag(i, "Q-DUP-NO-ID")
        truth.append((copy_of(i, f"PX{extra:07d}"), "Q-DUP-NO-ID"))
    for years, rule in ((112, "Q-AGE-OVER-110"), (130, "Q-AGE-IMPOSSIBLE")):
        for i in pick(adult & standalone):
            new_birth = today - np.timedelta64(int(years * YEAR + rng.integers(30, 300)), "D")
            P.cols["birth_date"][i] = _iso(new_birth)
            P.cols["id_number"][i] = _renumber(P.cols["id_number"][i], new_birth)
            P.cols["marital_status"][i] = "widowed"
            flag(i, rule)
    for i in pick(adult & standalone):
        P.cols["death_date"][i] = _iso(today - np.timedelta64(100, "D"))
        flag(i, "Q-STATUS-DATE-NOT-DEAD")
    teen = alive & (P.cols["marital_status"] == "single") & (age >= 16.2)
    teen &= age < np.where(sex == "M", 21.8, 19.8)
    for i in pick(teen):
        P.cols["marital_status"][i] = "married"
        flag(i, "Q-MAR-UNDER-AGE")

    # Wrong parent links: the child is re-linked to someone with no children of their own.
    free = ~is_parent & ~has_mother & ~in_events
    relinks = (
        ("mother_ref", "F", (5, 11), alive, "Q-FAM-MOTHER-AGE"),
        ("mother_ref", "F", (51, 54), alive, "Q-FAM-MOTHER-AGE-UNUSUAL"),
        ("mother_ref", "F", (-20, -1), alive, "Q-FAM-BEFORE-MOTHER"),
        ("father_ref", "M", (5, 14), alive, "Q-FAM-FATHER-AGE"),
        ("mother_ref", "M", (25, 40), alive, "Q-FAM-MOTHER-SEX"),
        ("mother_ref", "F", (25, 40), ~alive, "Q-FAM-MOTHER-DEAD"),
    )
    children = has_mother & has_father & ~is_parent & ~in_events
    for column, parent_sex, (low, high), state, rule in relinks:
        pool = np.flatnonzero(free & state & (sex == parent_sex) & ~used)
        if rule == "Q-FAM-MOTHER-DEAD":
            pool = pool[~np.isnat(death[pool])]
        pool = pool[np.argsort(birth[pool])]
        pool_birth = birth[pool]
        taken = np.zeros(len(pool), dtype=bool)
        for c in pick(children):
            lo = birth[c] - np.timedelta64(int((high + 1) * YEAR), "D")
            hi = birth[c] - np.timedelta64(int(low * YEAR) + 1, "D")
            a, b = np.searchsorted(pool_birth, lo, "right"), np.searchsorted(pool_birth, hi, "left")
            options = [j for j in range(a, b) if not taken[j]]
            if rule == "Q-FAM-MOTHER-DEAD":
                options = [j for j in options if death[pool[j]] < birth[c]]
            if not options:
                continue
            j = options[int(rng.integers(len(options)))]
            taken[j] = True
            used[pool[j]] = True
            P.cols[column][c] = ref[pool[j]]
            flag(c, rule)

    # A later child given the birth order of the mother's first registered child (order 1):
    # that order is then too low for her earlier births, and shared by two deliveries.
    order = P.cols["birth_order"]
    kids = np.flatnonzero(
        has_mother & pc.is_valid(persons.column("birth_order")).to_numpy(zero_copy_only=False)
    )
    kids = kids[np.lexsort((birth[kids], mother[kids]))]
    first_of = {}
    for i in kids:
        first_of.setdefault(mother[i], int(i))
    pairs = [
        (first_of[mother[b]], int(b))
        for a, b in itertools.pairwise(kids)
        if mother[a] == mother[b]
        and first_of[mother[b]] == a
        and order[a] == "1"
        and (birth[b] - birth[a]).astype(int) > 1
    ]
    done = 0
    for a, b in [pairs[int(j)] for j in rng.permutation(len(pairs))]:
        if done >= k:
            break
        if used[a] or used[b]:
            continue
        done += 1
        used[[a, b]] = True
        order[b] = order[a]
        flag(a, "Q-PARITY-DUPLICATE")
        flag(b, "Q-PARITY-DUPLICATE", "Q-PARITY-TOO-LOW")

    # Events: a move after death; an event recorded at a village merged away.
    dead_recent = ~alive & ~np.isnat(death) & (death <= today - np.timedelta64(30, "D"))
    dead_recent &= village | pc.is_valid(persons.column("hukou_code")).to_numpy(
        zero_copy_only=False
    )
    for i in pick(dead_recent):
        when = _iso(death[i] + np.timedelta64(int(rng.integers(5, 25)), "D"))
        unit = P.cols["residence_code"][i] if village[i] else None
        unit = unit or next(c for c in E.cols["orgunit_code"] if c)
        E.append({
            "event_ref": f"EX{len(E.extra) + 1:08d}", "kind": "move_out", "person_ref": ref[i],
            "effective_date": when, "report_date": when, "source": "village",
            "orgunit_code": unit, "to_code": "410102",
        })  # fmt: skip
        flag(i, "Q-EVENT-AFTER-DEATH")
    if merged:
        eff = _days(E.cols["effective_date"])
        candidates = np.flatnonzero((eff >= MERGED_FROM) & (E.cols["kind"] != "enrol"))
        chosen = 0
        for j in rng.permutation(candidates):
            i = index.get(E.cols["person_ref"][j])
            if i is None or used[i]:
                continue
            used[i] = True
            E.cols["orgunit_code"][j] = merged[int(rng.integers(len(merged)))]
            flag(i, "Q-EVENT-UNIT-INVALID")
            chosen += 1
            if chosen >= k:
                break
        for i in pick(alive & village):
            P.cols["residence_code"][i] = merged[int(rng.integers(len(merged)))]
            flag(i, "Q-RES-UNIT-CLOSED")
    for i in pick(alive & standalone & (P.cols["marital_status"] == "married") & (age >= 30)):
        for years in (3, 1):
            when = _iso(today - np.timedelta64(int(years * YEAR), "D"))
            E.append({
                "event_ref": f"EX{len(E.extra) + 1:08d}", "kind": "marriage", "person_ref": ref[i],
                "effective_date": when, "report_date": when, "source": "civil_affairs",
                "orgunit_code": P.cols["residence_code"][i] if village[i] else
                next(c for c in E.cols["orgunit_code"] if c),
            })  # fmt: skip
        flag(i, "Q-MAR-TWICE")

    # Completeness: required fields left empty.
    for column, rule, mask in (
        ("ethnicity", "Q-REQ-ETHNICITY", np.ones(n, dtype=bool)),
        ("hukou_type", "Q-REQ-HUKOU-TYPE", alive),
        ("marital_status", "Q-REQ-MARITAL", np.ones(n, dtype=bool)),
        ("relation_to_head", "Q-REQ-RELATION",
         np.array([r not in (None, "head") for r in P.cols["relation_to_head"]])),
    ):  # fmt: skip
        for i in pick(mask):
            P.cols[column][i] = None
            flag(i, rule)

    truth_table = pa.table(
        {
            "person_ref": pa.array([r for r, _ in truth], type=pa.string()),
            "rule": pa.array([rule for _, rule in truth], type=pa.string()),
        }
    )
    return P.table(), E.table(), truth_table
