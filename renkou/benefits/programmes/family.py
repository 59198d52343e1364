"""Children of each parent, counted from the parent-child links (births and adoptions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.benefits.facts import Facts


@dataclass
class Families:
    """Per parent row: children counted up to a date, daughters, the only child and the
    date of a second child."""

    count: np.ndarray
    daughters: np.ndarray
    only_child: np.ndarray  # child row when count == 1, else -1
    second_since: np.ndarray  # date the second child came (birth or adoption), NaT if none
    last_death: np.ndarray  # latest child death (NaT if a child has no death date)
    living_at: np.ndarray  # children alive on ``on``


def families(facts: Facts, on: np.datetime64) -> Families:
    """Count every parent's children born or adopted on or before ``on``."""
    n = len(facts.pid)
    keep = (facts.edge_since <= on) & (facts.edge_parent >= 0) & (facts.edge_child >= 0)
    parent, child = facts.edge_parent[keep], facts.edge_child[keep]
    since = facts.edge_since[keep]
    # one link per (parent, child): an adoption of one's own birth child counts once
    key = parent * (n + 1) + child
    _, first = np.unique(key, return_index=True)
    parent, child, since = parent[first], child[first], since[first]
    count = np.bincount(parent, minlength=n)
    daughters = np.bincount(parent, weights=facts.female[child], minlength=n).astype(np.int64)
    child_death = facts.death[child]
    living = np.isnat(child_death) | (child_death > on)
    living_at = np.bincount(parent, weights=living, minlength=n).astype(np.int64)
    only_child = np.full(n, -1, np.int64)
    single = count[parent] == 1
    only_child[parent[single]] = child[single]
    order = np.lexsort((since, parent))
    p_sorted, s_sorted = parent[order], since[order]
    second_since = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    if len(p_sorted) > 1:
        same = p_sorted[1:] == p_sorted[:-1]
        firsts = np.r_[True, ~same]
        rank = np.arange(len(p_sorted)) - np.maximum.accumulate(
            np.where(firsts, np.arange(len(p_sorted)), 0)
        )
        second = rank == 1
        second_since[p_sorted[second]] = s_sorted[second]
    last_death = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    died = ~np.isnat(child_death)
    if died.any():
        o = np.argsort(child_death[died])
        last_death[parent[died][o]] = child_death[died][o]
    return Families(count, daughters, only_child, second_since, last_death, living_at)
