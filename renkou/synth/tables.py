"""Arrow tables in the load-file layout (docs/load-format.md), every column a string.

All columns are UTF-8 strings and unknown values are nulls, so a Parquet file and its CSV
twin read back identically; CSV writes nulls as empty cells.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.synth import events as ev
from renkou.synth import idnumbers, names, reference
from renkou.synth.columns import lookup, refs
from renkou.synth.dates import NEVER, iso_strings, ymd
from renkou.synth.households import RELATIONS, Households
from renkou.synth.lineage import Lineage
from renkou.synth.orgunits import OrgTree
from renkou.synth.people import MARITAL_NAMES, People
from renkou.synth.transfers import Transfers

PERSON_COLUMNS = (
    "person_ref", "id_number", "name", "sex", "birth_date", "ethnicity", "hukou_code",
    "hukou_type", "residence_code", "marital_status", "mother_ref", "father_ref",
    "birth_order", "status", "death_date", "household_ref", "relation_to_head",
)  # fmt: skip
HOUSEHOLD_COLUMNS = ("household_ref", "orgunit_code", "address", "hukou_type")
EVENT_COLUMNS = (
    "event_ref", "kind", "person_ref", "effective_date", "report_date", "source",
    "orgunit_code", "from_code", "to_code", "spouse_ref",
)  # fmt: skip
ORGUNIT_COLUMNS = ("code", "name", "parent_code", "valid_from", "valid_to")

# order of members within a household when listing persons: head, spouse, parents, ...
_LISTING_RANK = np.array([0, 1, 4, 2, 5, 6, 3, 7], dtype=np.int8)
_NO_ID_SHARE_AT_BIRTH = 0.9  # newborns without a number yet; falls to ~0.2 at one year


def orgunits(tree: OrgTree) -> pa.Table:
    """The org-unit tree."""
    cols = list(zip(*tree.rows, strict=True))
    arrays = [pa.array([v or None for v in col], type=pa.string()) for col in cols]
    return pa.table(dict(zip(ORGUNIT_COLUMNS, arrays, strict=True)))


def build(
    rng: np.random.Generator,
    people: People,
    hh: Households,
    lin: Lineage,
    events: ev.Events,
    tree: OrgTree,
    end: int,
    transfers: Transfers,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(households, persons, events) tables."""
    n = len(people)
    alive = people.death > end
    # households listed by village; persons by village, household, role, age
    h_order = np.lexsort((hh.head, hh.village))
    h_rank = np.empty(len(h_order), dtype=np.int64)
    h_rank[h_order] = np.arange(len(h_order))
    hh_key = np.where(alive, h_rank[np.maximum(hh.of_person, 0)], len(h_order))
    p_order = np.lexsort((people.birth, _LISTING_RANK[hh.relation], hh_key, lin.village))
    p_rank = np.empty(n, dtype=np.int64)
    p_rank[p_order] = np.arange(n)

    households, household_refs, hh_urban = _households(rng, hh, tree, h_order)
    urban = _urban(rng, hh, hh_urban, lin, tree)
    persons = _persons(
        rng, people, hh, lin, tree, end, alive, p_order, p_rank, household_refs, urban, transfers
    )
    return households, persons, _events(events, tree, p_rank)


def _households(
    rng: np.random.Generator, hh: Households, tree: OrgTree, h_order: np.ndarray
) -> tuple[pa.Table, pa.Array, np.ndarray]:
    """Households table (in listing order); each household's ref and urban flag by number."""
    village = hh.village[h_order]
    k = len(h_order)
    starts = np.r_[0, np.flatnonzero(village[1:] != village[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, k]))
    seq = np.arange(k) - first + 1
    width = max(4, len(str(int(seq.max(initial=1)))))
    codes = np.array([int(c) for c in tree.village_codes], dtype=np.int64)
    numbers = codes[village] * 10**width + seq
    ref = pc.cast(pa.array(numbers), pa.string())
    community = tree.community[village]
    # in-migrants mostly hold rural hukou; 社区 households mostly urban, 村 ones rural
    u = rng.random(k)
    urban = np.where(hh.inflow[h_order], u < 0.15, np.where(community, u < 0.75, u < 0.08))
    by_number_urban = np.empty(k, dtype=bool)
    by_number_urban[h_order] = urban
    prefix = lookup([f"浙江省杭州市桐庐县{name}" for name in tree.village_names], village)
    number = pc.cast(pa.array(rng.integers(1, 600, k)), pa.string())
    address = pc.binary_join_element_wise(prefix, number, pa.scalar("号"), "")
    table = pa.table(
        {
            "household_ref": ref,
            "orgunit_code": lookup(tree.village_codes, village),
            "address": address,
            "hukou_type": lookup(["rural", "urban"], urban.astype(np.int8)),
        }
    )
    by_number = np.empty(k, dtype=np.int64)
    by_number[h_order] = numbers
    return table, pc.cast(pa.array(by_number), pa.string()), by_number_urban


def _urban(
    rng: np.random.Generator, hh: Households, hh_urban: np.ndarray, lin: Lineage, tree: OrgTree
) -> np.ndarray:
    """Urban hukou per person: the household's, or by the village for the dead."""
    n = len(hh.of_person)
    guess = np.where(tree.community[lin.village], rng.random(n) < 0.75, rng.random(n) < 0.08)
    has = hh.of_person >= 0
    return np.where(has, hh_urban[np.maximum(hh.of_person, 0)], guess)


def _persons(
    rng: np.random.Generator,
    people: People,
    hh: Households,
    lin: Lineage,
    tree: OrgTree,
    end: int,
    alive: np.ndarray,
    p_order: np.ndarray,
    p_rank: np.ndarray,
    household_refs: pa.Array,
    urban: np.ndarray,
    transfers: Transfers,
) -> pa.Table:
    """Persons table in listing order; registered places as the hukou transfers left them."""
    o = p_order
    n = len(o)
    birth = people.birth[o]
    # newborns of the last year: about half have no identity number yet
    age_days = end - birth
    p_missing = np.where(age_days < 365, _NO_ID_SHARE_AT_BIRTH - 0.7 * age_days / 365, 0.0)
    has_id = rng.random(n) >= p_missing
    village_codes = np.array([int(c) for c in tree.village_codes], dtype=np.int64)
    origin_codes = np.array([int(r.code) for r in reference.regions("origin")], dtype=np.int64)
    hukou = np.where(
        people.inflow[o], origin_codes[np.maximum(lin.origin[o], 0)], village_codes[lin.village[o]]
    )
    hukou = np.where(transfers.hukou[o] > 0, transfers.hukou[o], hukou)
    residence = np.where(
        lin.residence_village[o] >= 0,
        village_codes[np.maximum(lin.residence_village[o], 0)],
        lin.residence_region[o],
    )
    mother, father = people.mother[o], people.father[o]
    # a registration moved out of the county takes the person out of their household here
    members = np.where(transfers.left[o], -1, hh.of_person[o])
    eth = reference.ethnicities()
    columns = {
        "person_ref": refs("P", np.arange(1, n + 1), 8),
        "id_number": idnumbers.build(rng, lin.id_region[o], birth, people.male[o], valid=has_id),
        "name": names.full_names(
            rng, lin.surname[o], people.male[o].astype(np.int8), ymd(birth)[0]
        ),
        "sex": lookup(["F", "M"], people.male[o].astype(np.int8)),
        "birth_date": iso_strings(birth),
        "ethnicity": lookup(list(eth.codes), lin.ethnicity[o]),
        "hukou_code": pc.cast(pa.array(hukou), pa.string()),
        "hukou_type": lookup(["rural", "urban"], urban[o].astype(np.int8)),
        "residence_code": pc.cast(pa.array(residence), pa.string()),
        "marital_status": lookup(list(MARITAL_NAMES), people.marital[o]),
        "mother_ref": refs("P", p_rank[np.maximum(mother, 0)] + 1, 8, valid=mother >= 0),
        "father_ref": refs("P", p_rank[np.maximum(father, 0)] + 1, 8, valid=father >= 0),
        "birth_order": pc.cast(pa.array(people.order[o], mask=people.order[o] == 0), pa.string()),
        "status": lookup(["dead", "alive"], alive[o].astype(np.int8)),
        "death_date": iso_strings(people.death[o], valid=people.death[o] != NEVER),
        "household_ref": household_refs.take(pa.array(np.maximum(members, 0), mask=members < 0)),
        "relation_to_head": lookup(list(RELATIONS), hh.relation[o], valid=members >= 0),
    }
    return pa.table(columns)


def _events(events: ev.Events, tree: OrgTree, p_rank: np.ndarray) -> pa.Table:
    """Events table, ordered by effective date, kind and person."""
    rank = p_rank[events.person]
    o = np.lexsort((rank, events.kind, events.effective))
    spouse = events.spouse[o]
    frm, to = events.from_place[o], events.to_place[o]
    columns = {
        "event_ref": refs("E", np.arange(1, len(o) + 1), 9),
        "kind": lookup(list(ev.KINDS), events.kind[o]),
        "person_ref": refs("P", rank[o] + 1, 8),
        "effective_date": iso_strings(events.effective[o]),
        "report_date": iso_strings(events.reported[o]),
        "source": lookup(list(ev.SOURCES), events.source[o]),
        "orgunit_code": lookup(tree.village_codes, events.village[o]),
        "from_code": pc.cast(pa.array(frm, mask=frm == 0), pa.string()),
        "to_code": pc.cast(pa.array(to, mask=to == 0), pa.string()),
        "spouse_ref": refs("P", p_rank[np.maximum(spouse, 0)] + 1, 8, valid=spouse >= 0),
    }
    return pa.table(columns)
