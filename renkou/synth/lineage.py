"""What people inherit or bring: ethnicity, surname, registered place, identity-number region.

Founders (people with no parent in the file) draw these from where they come from: natives by
their village (the 畲族 township has many 畲族 families), in-migrants by their home county.
Children take them from their parents, generation by generation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.synth import names, reference
from renkou.synth.dates import NEVER, ymd
from renkou.synth.households import Households
from renkou.synth.orgunits import COUNTY, OrgTree
from renkou.synth.people import SINGLE, People
from renkou.synth.population import family_key

_GENERATIONS = 6  # enough passes for the deepest chain of mothers in the file
_WIFE_SHARES_ORIGIN = 0.8  # in-migrant couples mostly come from one county
_IN_MARRIED_ELSEWHERE = 0.25  # native wives born in a nearby county (ID issued there)
# 人户分离 inside the county: registered in one village, living in another
_LIVES_IN_OTHER_VILLAGE = 0.03


@dataclass
class Lineage:
    """Per-person inherited attributes and places (village indices, region codes)."""

    village: np.ndarray  # int32: the village of ours where the person is recorded
    ethnicity: np.ndarray  # int16 index into reference.ethnicities().codes
    surname: np.ndarray  # int16 index into names.surname_vocabulary()
    origin: np.ndarray  # int16 index into reference.regions("origin"), -1 for natives
    id_region: np.ndarray  # int32 six-digit region code of the identity number
    residence_region: np.ndarray  # int32 six-digit code where a native living away lives, else 0
    residence_village: np.ndarray  # int32 village index where they live (-1 if away)


def _inherit(values: np.ndarray, people: People, from_father: np.ndarray) -> np.ndarray:
    """Children take the father's value where ``from_father`` (if known), else the mother's."""
    out = values.copy()
    fa, mo = people.father, people.mother
    use_father = (fa >= 0) & (from_father | (mo < 0))
    use_mother = ~use_father & (mo >= 0)
    for _ in range(_GENERATIONS):
        out = np.where(
            use_father, out[np.maximum(fa, 0)], np.where(use_mother, out[np.maximum(mo, 0)], values)
        )
    return out


def _region_code_table(regions: tuple[reference.Region, ...]) -> np.ndarray:
    """Code in force per (region, year 1900..2099)."""
    table = np.zeros((len(regions), 200), dtype=np.int32)
    for i, r in enumerate(regions):
        table[i] = [int(r.code_in(1900 + y)) for y in range(200)]
    return table


def _issue_year(rng: np.random.Generator, birth: np.ndarray) -> np.ndarray:
    """Year the identity number was first issued: at birth since 1985, else on the first card."""
    year = ymd(birth)[0]
    first_cards = 1985 + rng.integers(0, 5, len(birth))
    return np.where(year >= 1985, year, np.maximum(year + 16, first_cards))


def build(rng: np.random.Generator, people: People, hh: Households, tree: OrgTree) -> Lineage:
    """Derive villages, ethnicity, surnames and regions for everyone."""
    n = len(people)
    village = _person_villages(rng, people, hh, tree)
    founder = (people.mother < 0) & (people.father < 0)

    origins = reference.regions("origin")
    weights = np.array([r.weight for r in origins])
    origin = rng.choice(len(origins), size=n, p=weights / weights.sum()).astype(np.int16)
    husband = np.where(people.spouse >= 0, people.spouse, people.late_spouse)
    wives = np.flatnonzero(~people.male & (husband >= 0) & founder & people.inflow)
    same = rng.random(len(wives)) < _WIFE_SHARES_ORIGIN
    origin[wives[same]] = origin[husband[wives[same]]]
    from_father = rng.random(n) < 0.5
    origin = _inherit(origin, people, np.ones(n, dtype=bool))
    origin = np.where(people.inflow, origin, -1).astype(np.int16)

    eth = reference.ethnicities()
    ethnicity = np.where(
        tree.she_township[village],
        rng.choice(len(eth.codes), size=n, p=eth.she_township),
        rng.choice(len(eth.codes), size=n, p=eth.local),
    )
    for i, r in enumerate(origins):
        rows = np.flatnonzero(people.inflow & (origin == i))
        codes = [eth.codes.index(c) for c, _ in r.ethnicity]
        p = np.array([w for _, w in r.ethnicity])
        ethnicity[rows] = rng.choice(codes, size=len(rows), p=p / p.sum())
    ethnicity = _inherit(ethnicity.astype(np.int16), people, from_father)

    drawn = names.draw_surnames(rng, np.array(eth.codes)[ethnicity])
    # children take the father's surname, about one in thirteen the mother's (MPS 2020 report)
    fathers_name = rng.random(n) >= 1 / 13
    surname = drawn.copy()
    fa, mo = people.father, people.mother
    for _ in range(_GENERATIONS):
        from_mother = np.where(mo >= 0, surname[np.maximum(mo, 0)], drawn)
        surname = np.where(
            fathers_name,
            np.where(fa >= 0, surname[np.maximum(fa, 0)], drawn),
            from_mother,
        )
    surname = np.where(founder, drawn, surname).astype(np.int16)

    issue = np.clip(_issue_year(rng, people.birth) - 1900, 0, 199)
    id_region = np.full(n, int(COUNTY[0]), dtype=np.int32)
    table = _region_code_table(origins)
    inflow = np.flatnonzero(people.inflow)
    id_region[inflow] = table[origin[inflow], issue[inflow]]
    nearby = reference.regions("nearby")
    wives = np.flatnonzero(
        ~people.inflow & ~people.male & founder & (people.marital != SINGLE)
        & (rng.random(n) < _IN_MARRIED_ELSEWHERE)
    )  # fmt: skip
    w = np.array([r.weight for r in nearby])
    which = rng.choice(len(nearby), size=len(wives), p=w / w.sum())
    id_region[wives] = _region_code_table(nearby)[which, issue[wives]]

    residence_region, residence_village = _residences(rng, people, tree, village)
    return Lineage(
        village, ethnicity, surname, origin, id_region, residence_region, residence_village
    )


def _person_villages(
    rng: np.random.Generator, people: People, hh: Households, tree: OrgTree
) -> np.ndarray:
    """Household village for the living; for the dead, a relative's village (else a random one)."""
    n = len(people)
    village = np.where(hh.of_person >= 0, hh.village[np.maximum(hh.of_person, 0)], -1)
    child_of = np.full(n, -1, dtype=np.int32)
    for link in (people.mother, people.father):
        kids = np.flatnonzero(link >= 0)
        child_of[link[kids]] = kids
    for _ in range(3):
        for rel in (people.late_spouse, child_of, people.mother, people.father):
            take = (village < 0) & (rel >= 0) & (people.inflow == people.inflow[np.maximum(rel, 0)])
            village = np.where(take, village[np.maximum(rel, 0)], village)
    nv = len(tree.village_codes)
    fallback = np.where(
        people.inflow,
        rng.choice(nv, size=n, p=tree.weight_inflow),
        rng.choice(nv, size=n, p=tree.weight_local),
    )
    return np.where(village < 0, fallback, village).astype(np.int32)


def _residences(
    rng: np.random.Generator, people: People, tree: OrgTree, village: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where each person lives: away (region code) or a village (usually their own)."""
    n = len(people)
    dest = reference.regions("destination")
    w = np.array([r.weight for r in dest])
    codes = np.array([int(r.code) for r in dest], dtype=np.int32)
    pick = codes[rng.choice(len(dest), size=n, p=w / w.sum())]
    # a wife and children who are away live where the family lives, and so do those who live
    # in another village of the county
    key = family_key(people)
    away = people.departure != NEVER
    residence_region = np.where(away, pick[key], 0).astype(np.int32)
    elsewhere = ~away & ~people.inflow & (rng.random(n) < _LIVES_IN_OTHER_VILLAGE)[key]
    other = rng.choice(len(tree.village_codes), size=n, p=tree.weight_local)[key]
    residence_village = np.where(away, -1, np.where(elsewhere, other, village)).astype(np.int32)
    return residence_region, residence_village
