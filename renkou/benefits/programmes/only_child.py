"""Only-child health allowance (独生子女保健费): holders of an only-child certificate while the
child is younger than the provincial age limit; the yearly amount is paid as twelfths."""

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


def evaluate(facts: Facts, year: int) -> Evaluation:
    """Every certificate holder (one decision per holder; the first certificate counts)."""
    starts = month_starts(year)
    limit_age = int(monthly("only_child.child_max_age", year).max())
    holders, first = np.unique(facts.cert_holder, return_index=True)
    keep = holders >= 0
    cand, first = holders[keep], first[keep]
    child = facts.cert_child[first]
    issued, revoked = facts.cert_issued[first], facts.cert_revoked[first]
    valid = (issued[:, None] <= starts) & (np.isnat(revoked)[:, None] | (revoked[:, None] > starts))
    limit = add_years(facts.birth[child], limit_age)
    young = limit[:, None] > starts
    child_alive = alive_at(facts.death[child], starts)
    holder_alive = alive_at(facts.death[cand], starts)
    ok = valid & young & child_alive & holder_alive
    amounts = np.where(ok, monthly("only_child.amount_per_year", year) / 12, 0.0)
    conditions = [
        Condition("certificate", status(valid.any(axis=1)), date=issued),
        Condition(
            "child_young",
            status(young.any(axis=1)),
            date=limit,
            number=np.full(len(cand), limit_age),
        ),
        Condition("child_alive", status(child_alive.any(axis=1)), date=facts.death[child]),
        Condition("alive", status(holder_alive.any(axis=1)), date=facts.death[cand]),
    ]
    return Evaluation(
        programme="only_child",
        year=year,
        subject=cand,
        recipient=cand,
        amounts=amounts,
        category=np.full(len(cand), ""),
        conditions=conditions,
    )
