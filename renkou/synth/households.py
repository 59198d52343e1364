"""Households (户) at the end of the window, built from the kinship the simulation left.

A couple and their never-married children form a unit; some young couples live with the
husband's parents and some widowed elders with a married child (stem families, 主干家庭);
children with no parent in the file live with an older household of their group; everyone
else lives alone. Dead people belong to no household (death cancels the registration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.synth.dates import age_at
from renkou.synth.orgunits import OrgTree
from renkou.synth.people import MARRIED, SINGLE, People

RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "in_law", "other")
_R = {name: i for i, name in enumerate(RELATIONS)}

_WIFE_HEADS = 0.15  # share of couples registered with the wife as head of household
_STEM_YOUNG = 0.55  # young couples living with the husband's parents
_STEM_ELDER = 0.75  # widowed or divorced elders living with a married child
_NEAR_PARENTS = 0.7  # households formed by a child settle in the parents' village


@dataclass
class Households:
    """Household of each person (-1 for the dead), relation to head, per-household village."""

    of_person: np.ndarray  # int32 household number, -1 if none
    relation: np.ndarray  # int8 index into RELATIONS
    head: np.ndarray  # int32 person index per household
    village: np.ndarray  # int32 village index per household
    inflow: np.ndarray  # bool per household: a household of in-migrants


def build(rng: np.random.Generator, people: People, tree: OrgTree, end: int) -> Households:
    """Group the living into households and place each household in a village."""
    n = len(people)
    alive = people.death > end
    age = age_at(people.birth, end)
    unit = np.arange(n, dtype=np.int32)

    husbands = np.flatnonzero(people.male & (people.spouse >= 0))
    wives = people.spouse[husbands]
    wife_head = rng.random(len(husbands)) < _WIFE_HEADS
    unit[wives[~wife_head]] = husbands[~wife_head]
    unit[husbands[wife_head]] = wives[wife_head]

    # never-married children stay with their mother, or their father if she is gone
    mother_ok = (people.mother >= 0) & alive[np.maximum(people.mother, 0)]
    father_ok = (people.father >= 0) & alive[np.maximum(people.father, 0)]
    parent = np.where(mother_ok, people.mother, np.where(father_ok, people.father, -1))
    kids = np.flatnonzero(alive & (people.marital == SINGLE) & (parent >= 0))
    unit[kids] = unit[parent[kids]]

    _stem_families(rng, people, alive, age, unit)
    _place_orphans(rng, people, alive, age, unit)
    for _ in range(4):
        unit = unit[unit]

    roots = np.unique(unit[alive])
    of_person = np.full(n, -1, dtype=np.int32)
    of_person[alive] = np.searchsorted(roots, unit[alive]).astype(np.int32)
    head = roots.astype(np.int32)
    inflow = people.inflow[head]
    village = _villages(rng, people, tree, head, inflow, of_person)
    relation = _relations(people, of_person, head, alive)
    return Households(of_person, relation, head, village, inflow)


def _stem_families(
    rng: np.random.Generator, people: People, alive: np.ndarray, age: np.ndarray, unit: np.ndarray
) -> None:
    """Merge some young couples into the husband's parents' unit and some elders into a child's."""
    n = len(people)
    # elders alone: no spouse, no never-married child pointing at them
    sizes = np.bincount(unit[alive], minlength=n)
    lonely = alive & (age >= 65) & (people.spouse < 0) & (sizes == 1) & (unit == np.arange(n))
    married_kids = np.flatnonzero(alive & (people.marital == MARRIED) & (people.spouse >= 0))
    for link in (people.father, people.mother):
        cand = married_kids[link[married_kids] >= 0]
        parents = link[cand]
        # prefer sons (a random son, else a random daughter)
        pref = np.lexsort((rng.random(len(cand)), ~people.male[cand], parents))
        cand, parents = cand[pref], parents[pref]
        first = np.ones(len(cand), dtype=bool)
        first[1:] = parents[1:] != parents[:-1]
        cand, parents = cand[first], parents[first]
        move = lonely[parents] & (rng.random(len(parents)) < _STEM_ELDER)
        unit[parents[move]] = unit[cand[move]]
        lonely[parents[move]] = False

    # young couples with both of the husband's parents alive and married to each other
    young = np.flatnonzero(
        alive & people.male & (people.spouse >= 0) & (age < 38) & (people.father >= 0)
    )
    f, m = people.father[young], people.mother[young]
    ok = (m >= 0) & alive[f] & (people.spouse[f] == m) & (rng.random(len(young)) < _STEM_YOUNG)
    young, f = young[ok], f[ok]
    unit[unit[young]] = unit[f]


def _place_orphans(
    rng: np.random.Generator, people: People, alive: np.ndarray, age: np.ndarray, unit: np.ndarray
) -> None:
    """Children with no parent here join an older household of their group (as grandchildren)."""
    n = len(people)
    orphans = np.flatnonzero(alive & (age < 18) & (unit == np.arange(n)) & (people.spouse < 0))
    for group in (False, True):
        mine = orphans[people.inflow[orphans] == group]
        hosts = np.flatnonzero(
            alive & (people.inflow == group) & (age >= 45) & (age <= 80) & (unit == np.arange(n))
        )
        if len(mine) and len(hosts):
            unit[mine] = hosts[rng.integers(0, len(hosts), len(mine))]


def _villages(
    rng: np.random.Generator,
    people: People,
    tree: OrgTree,
    head: np.ndarray,
    inflow: np.ndarray,
    of_person: np.ndarray,
) -> np.ndarray:
    """A village per household; a child's new household is mostly near the parents'."""
    k = len(head)
    nv = len(tree.village_codes)
    village = np.where(
        inflow,
        rng.choice(nv, size=k, p=tree.weight_inflow),
        rng.choice(nv, size=k, p=tree.weight_local),
    ).astype(np.int32)
    parent = np.where(people.mother[head] >= 0, people.mother[head], people.father[head])
    parent_hh = np.where(parent >= 0, of_person[np.maximum(parent, 0)], -1)
    follow = (parent_hh >= 0) & (rng.random(k) < _NEAR_PARENTS)
    for _ in range(4):  # generations settle from the oldest down
        village = np.where(follow, village[np.maximum(parent_hh, 0)], village)
    return village


def _relations(
    people: People, of_person: np.ndarray, head: np.ndarray, alive: np.ndarray
) -> np.ndarray:
    """Each member's relation to the head (户主), from the kinship links."""
    n = len(people)
    rel = np.full(n, _R["other"], dtype=np.int8)
    members = np.flatnonzero(alive)
    h = head[of_person[members]]
    sh = people.spouse[h]  # head's spouse, -1 if none

    def is_head_or_spouse(x: np.ndarray) -> np.ndarray:
        return (x >= 0) & ((x == h) | ((x == sh) & (sh >= 0)))

    def parent_of(x: np.ndarray, link: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, link[np.maximum(x, 0)], -1)

    mo, fa = people.mother[members], people.father[members]
    child = is_head_or_spouse(mo) | is_head_or_spouse(fa)
    sp = people.spouse[members]
    child_in_law = (sp >= 0) & (
        is_head_or_spouse(parent_of(sp, people.mother))
        | is_head_or_spouse(parent_of(sp, people.father))
    )
    grandchild = (
        is_head_or_spouse(parent_of(mo, people.mother))
        | is_head_or_spouse(parent_of(mo, people.father))
        | is_head_or_spouse(parent_of(fa, people.mother))
        | is_head_or_spouse(parent_of(fa, people.father))
    )
    parent = (people.mother[h] == members) | (people.father[h] == members)
    spouse_parent = (sh >= 0) & (
        (parent_of(sh, people.mother) == members) | (parent_of(sh, people.father) == members)
    )
    sibling = ((mo >= 0) & (mo == people.mother[h])) | ((fa >= 0) & (fa == people.father[h]))
    orphan = (mo < 0) & (fa < 0) & (people.birth[members] > people.birth[h]) & ~(sp >= 0)

    r = np.full(len(members), _R["other"], dtype=np.int8)
    # later rules win; the most specific ones come last
    r[orphan] = _R["grandchild"]
    r[sibling] = _R["sibling"]
    r[spouse_parent | child_in_law] = _R["in_law"]
    r[grandchild] = _R["grandchild"]
    r[parent] = _R["parent"]
    r[child] = _R["child"]
    r[(sp == h) & (sp >= 0)] = _R["spouse"]
    r[members == h] = _R["head"]
    rel[members] = r
    return rel
