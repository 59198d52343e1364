"""Household-registration transfers (户口迁移) in the window, out of and into the county.

Each person transfers at most once, at rates that land at a few per thousand persons a year,
as in a rural county where most who leave keep their hukou at home for years:

- natives living elsewhere (流出) who move their registration to where they live (out of the
  county: afterwards they live and are registered elsewhere, and leave their household here);
- brides of the window's marriages who move their registration to the husband's village, a
  few months after the wedding: from their mother's village, another village of ours, or
  (some with no mother in the file) from a nearby county;
- in-migrants (流入) who settle and move their registration to the village they live in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.synth import reference
from renkou.synth.dates import LONG_AGO, NEVER
from renkou.synth.households import Households
from renkou.synth.lineage import Lineage
from renkou.synth.orgunits import OrgTree
from renkou.synth.people import People
from renkou.synth.simulate import Unions

YEAR = 365.2425
HUKOU_IN, HUKOU_OUT = 0, 1

# Per person-year: natives away who transfer out; in-migrants who transfer in.
AWAY_TRANSFER_RATE = 0.03
SETTLE_RATE = 0.02
# Brides with no mother in the file: from a nearby county, or from another village of ours.
BRIDE_FROM_NEARBY = 0.25
BRIDE_FROM_OTHER_VILLAGE = 0.45
BRIDE_DELAY_DAYS = 90  # mean days from the wedding to the transfer


@dataclass
class Transfers:
    """Transfer events, and each person's registered place at the end where it changed."""

    kind: np.ndarray  # int8: HUKOU_IN or HUKOU_OUT
    person: np.ndarray  # int32
    day: np.ndarray  # int32
    village: np.ndarray  # int32: the village of ours recording it (left for out, joined for in)
    from_place: np.ndarray  # int64: 12-digit village code or 6-digit region code
    to_place: np.ndarray  # int64
    hukou: np.ndarray  # int64 per person: registered place at the end, 0 = as the lineage says
    left: np.ndarray  # bool per person: registration moved out of the county


def _day_in(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day in [lo, hi] for each row."""
    return (lo + np.floor(rng.random(len(lo)) * (hi - lo + 1))).astype(np.int32)


def build(
    rng: np.random.Generator,
    people: People,
    unions: Unions,
    hh: Households,
    lin: Lineage,
    tree: OrgTree,
    village_codes: np.ndarray,
    origin_codes: np.ndarray,
    start: int,
    end: int,
) -> Transfers:
    """The window's transfers; ``start`` and ``end`` are its first and last days."""
    n = len(people)
    last = np.minimum(people.death, end)  # last day each person can transfer
    u = rng.random(n)
    kinds, persons, days, villages, froms, tos = [], [], [], [], [], []
    hukou = np.zeros(n, dtype=np.int64)
    left = np.zeros(n, dtype=bool)

    def add(kind: int, who: np.ndarray, when: np.ndarray, at: np.ndarray, frm, to) -> None:
        kinds.append(np.full(len(who), kind, dtype=np.int8))
        persons.append(who.astype(np.int32))
        days.append(when.astype(np.int32))
        villages.append(at.astype(np.int32))
        froms.append(np.asarray(frm, dtype=np.int64))
        tos.append(np.asarray(to, dtype=np.int64))

    # natives away: not a household's head (the household stays theirs to run)
    gone_since = np.where(people.departure == LONG_AGO, start, people.departure + 1)
    away = (
        ~people.inflow
        & (people.departure != NEVER)
        & (lin.residence_region > 0)
        & (hh.relation != 0)
    )
    lo = np.maximum(np.maximum(gone_since, start), people.birth)
    exposure = np.clip(last - lo + 1, 0, None) / YEAR
    out = np.flatnonzero(away & (u < AWAY_TRANSFER_RATE * exposure))
    when = _day_in(rng, lo[out], last[out])
    add(
        HUKOU_OUT,
        out,
        when,
        lin.village[out],
        village_codes[lin.village[out]],
        lin.residence_region[out],
    )
    hukou[out] = lin.residence_region[out]
    left[out] = True

    # in-migrants who settle, from their arrival (or the window's start) on
    lo = np.maximum(np.maximum(people.entry, start), people.birth)
    exposure = np.clip(last - lo + 1, 0, None) / YEAR
    settle = people.inflow & (lin.residence_village >= 0)
    came = np.flatnonzero(settle & (u < SETTLE_RATE * exposure))
    when = _day_in(rng, lo[came], last[came])
    home = lin.residence_village[came]
    add(
        HUKOU_IN,
        came,
        when,
        home,
        origin_codes[np.maximum(lin.origin[came], 0)],
        village_codes[home],
    )
    hukou[came] = village_codes[home]

    # brides: the registration follows the wife to the husband's household
    kind, wife, _husband, wed = unions.arrays()
    brides, wed = wife[kind == 0], wed[kind == 0]
    native = ~people.inflow[brides] & ~left[brides]
    brides, wed = brides[native], wed[native]
    delay = rng.geometric(1.0 / BRIDE_DELAY_DAYS, len(brides))
    when = np.minimum(wed + delay, last[brides]).astype(np.int32)
    mother = people.mother[brides]
    own = lin.village[brides]
    mother_village = np.where(mother >= 0, lin.village[np.maximum(mother, 0)], -1)
    v = rng.random(len(brides))
    other = rng.choice(len(village_codes), size=len(brides), p=tree.weight_local)
    origin = np.where(mother >= 0, mother_village, np.where(v >= BRIDE_FROM_NEARBY, other, -1))
    from_village = (origin >= 0) & (origin != own)
    from_village &= (mother >= 0) | (v < BRIDE_FROM_NEARBY + BRIDE_FROM_OTHER_VILLAGE)
    b = np.flatnonzero(from_village)
    add(
        HUKOU_OUT,
        brides[b],
        when[b],
        origin[b],
        village_codes[origin[b]],
        village_codes[own[b]],
    )
    nearby = reference.regions("nearby")
    w = np.array([r.weight for r in nearby])
    codes = np.array([int(r.code) for r in nearby], dtype=np.int64)
    far = np.flatnonzero((mother < 0) & (v < BRIDE_FROM_NEARBY))
    add(
        HUKOU_IN,
        brides[far],
        when[far],
        own[far],
        codes[rng.choice(len(nearby), size=len(far), p=w / w.sum())],
        village_codes[own[far]],
    )
    return Transfers(
        kind=np.concatenate(kinds),
        person=np.concatenate(persons),
        day=np.concatenate(days),
        village=np.concatenate(villages),
        from_place=np.concatenate(froms),
        to_place=np.concatenate(tos),
        hukou=hukou,
        left=left,
    )
