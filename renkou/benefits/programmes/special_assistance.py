"""Special assistance (特别扶助): parents whose only child died or is disabled grade 1–3, who
have had or adopted no other child, once the mother is 49.

Each parent is paid per month (death and disability amounts differ and change on their
dates); the category follows the child month by month, so a disabled child's death moves
the parents to the death category from the next month, and a recovery stops the payment.
Conditions are judged on each month's first day.
"""

from __future__ import annotations

import numpy as np

from renkou.benefits.facts import Facts
from renkou.benefits.programmes.base import (
    Condition,
    Evaluation,
    add_years,
    alive_at,
    month_starts,
    monthly,
    status,
)
from renkou.benefits.programmes.family import families


def _disabled(facts: Facts, child: np.ndarray, starts: np.ndarray, worst: int) -> np.ndarray:
    """(len(child), 12): the child holds a disability record of grade ≤ ``worst`` that month."""
    out = np.zeros((len(child), len(starts)), bool)
    keep = facts.dis_grade <= worst
    for person, since, until in zip(
        facts.dis_person[keep], facts.dis_from[keep], facts.dis_until[keep], strict=True
    ):
        rows = np.flatnonzero(child == person)
        if len(rows):
            valid = (since <= starts) & (np.isnat(until) | (until >= starts))
            out[rows] |= valid
    return out


def evaluate(facts: Facts, year: int) -> Evaluation:
    """Parents of a child who died or is disabled (the draft shows why each is in or out)."""
    starts = month_starts(year)
    year_end = starts[-1] + np.timedelta64(30, "D")
    worst = int(monthly("special_assistance.max_disability_grade", year).max())
    min_age = int(monthly("special_assistance.mother_min_age", year).min())
    fam = families(facts, year_end)
    # parents with an affected child: died before year end, or a qualifying disability record
    affected = ~np.isnat(facts.death) & (facts.death < year_end)
    qualifying = (facts.dis_grade <= worst) & (facts.dis_from <= year_end) & (facts.dis_person >= 0)
    affected[facts.dis_person[qualifying]] = True
    links = affected[facts.edge_child] & (facts.edge_since <= year_end)
    cand, first = np.unique(facts.edge_parent[links], return_index=True)
    some_child = facts.edge_child[links][first]
    count = fam.count[cand]
    child = np.where(count == 1, fam.only_child[cand], some_child)
    # the mother: the parent herself, else the child's mother
    mother = np.where(facts.female[cand], cand, facts.mother[child])
    mother_known = mother >= 0
    mother_49 = np.where(
        mother_known, add_years(facts.birth[np.maximum(mother, 0)], min_age), np.datetime64("NaT")
    )
    mother_ok = mother_known[:, None] & (mother_49[:, None] <= starts)
    died = ~np.isnat(facts.death[child])[:, None] & (facts.death[child][:, None] < starts)
    disabled = _disabled(facts, child, starts, worst) & ~died
    # a death without its date: nothing is paid until the date is entered (undecided)
    parent_alive = alive_at(facts.death[cand], starts) & ~facts.dead_no_date[cand][:, None]
    only = (count == 1)[:, None]
    base = only & mother_ok & parent_alive
    death_amount = monthly("special_assistance.death_per_month", year)
    disability_amount = monthly("special_assistance.disability_per_month", year)
    amounts = np.where(base & died, death_amount, np.where(base & disabled, disability_amount, 0))
    category = np.where(died[:, -1], "death", np.where(disabled.any(axis=1), "disability", ""))
    n = len(cand)
    conditions = [
        Condition(
            "no_other_child",
            status(count == 1),
            date=fam.second_since[cand],
            number=count,
        ),
        Condition(
            "child_died_or_disabled",
            status(died.any(axis=1) | disabled.any(axis=1)),
            date=np.where(died.any(axis=1), facts.death[child], np.datetime64("NaT")),
            variant=np.where(died.any(axis=1), "died", "disabled"),
        ),
        Condition(
            "mother_age",
            status(mother_ok.any(axis=1), ~mother_known),
            date=mother_49,
            number=np.full(n, min_age),
        ),
        Condition(
            "parent_alive",
            status(parent_alive.any(axis=1), facts.dead_no_date[cand]),
            date=facts.death[cand],
        ),
    ]
    return Evaluation(
        programme="special_assistance",
        year=year,
        subject=cand,
        recipient=cand,
        amounts=amounts.astype(float),
        category=category.astype(str) if n else np.empty(0, str),
        conditions=conditions,
    )
