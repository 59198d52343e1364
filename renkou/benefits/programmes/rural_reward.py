"""Rural reward and assistance (奖励扶助): rural-registered parents aged 60 and over with one
child, or two daughters, or whose children have all died.

The yearly amount is paid as twelfths, month by month, so a mid-year change of amount or
of age, and a death, take effect from their month. A person with no child in the register
cannot be decided (the children may simply not be linked): the draft asks for the facts.
"""

from __future__ import annotations

import numpy as np

from renkou.benefits import catalogue  # the module: it imports programmes.base in turn
from renkou.benefits.facts import Facts
from renkou.benefits.programmes.base import (
    Condition,
    Evaluation,
    add_years,
    month_starts,
    monthly,
    status,
)
from renkou.benefits.programmes.family import families


def evaluate(facts: Facts, year: int) -> Evaluation:
    """Persons reaching the minimum age by December of ``year``, alive on 1 January."""
    starts = month_starts(year)
    year_end = starts[-1] + np.timedelta64(30, "D")
    min_age = int(monthly("rural_reward.min_age", year).min())
    reached = add_years(facts.birth, min_age)
    alive_jan = np.isnat(facts.death) | (facts.death >= starts[0])
    cand = np.flatnonzero((reached <= starts[-1]) & alive_jan)
    fam = families(facts, year_end)
    count, daughters, living = fam.count[cand], fam.daughters[cand], fam.living_at[cand]
    # registration type and "alive" from the catalogue (the conditions YAML programmes use)
    ctx = catalogue.Context(facts, starts, cand, np.full(len(cand), -1), np.full(len(cand), -1))
    rural_cond, rural_ok = catalogue.hukou(ctx, type="rural")
    alive_cond, alive = catalogue.alive(ctx)
    one = count == 1
    two_daughters = (count == 2) & (daughters == 2)
    none_left = (count >= 1) & (living == 0)
    family_ok = one | two_daughters | none_left
    variant = np.where(
        one,
        "one_child",
        np.where(two_daughters, "two_daughters", np.where(none_left, "none_living", "other")),
    )
    age_ok = reached[cand][:, None] <= starts
    ok = rural_ok & age_ok & family_ok[:, None] & alive
    amounts = np.where(ok, monthly("rural_reward.amount_per_year", year) / 12, 0.0)
    conditions = [
        rural_cond,
        Condition(
            "age",
            status(age_ok.any(axis=1)),
            date=reached[cand],
            number=np.full(len(cand), min_age),
        ),
        Condition("children", status(family_ok, count == 0), number=count, variant=variant),
        alive_cond,
    ]
    return Evaluation(
        programme="rural_reward",
        year=year,
        subject=cand,
        recipient=cand,
        amounts=amounts,
        category=np.full(len(cand), ""),
        conditions=conditions,
    )
