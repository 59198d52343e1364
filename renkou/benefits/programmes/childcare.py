"""Childcare subsidy (育儿补贴): every child under 3, from 2025-01, 300 yuan a month.

Months run from the birth month (never before the subsidy is in force) to the month before
the third birthday; months starting after the child's death are not paid. The decision and
the entitlement are the child's (so one child is never paid twice, whichever parent
applies); the payment goes to the guardian's account.
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


def evaluate(facts: Facts, year: int) -> Evaluation:
    """Children whose first three years overlap ``year``."""
    starts = month_starts(year)
    in_force = monthly("childcare.in_force", year) > 0
    per_month = monthly("childcare.per_month", year, default=0.0)
    # before the subsidy exists there is no age limit either; any child's window is empty
    max_age = int(monthly("childcare.max_age", year, default=0.0).max())
    limit = add_years(facts.birth, max_age)
    cand = np.flatnonzero(
        (facts.birth <= starts[-1] + np.timedelta64(30, "D")) & (limit > starts[0])
    )
    birth, limit_c = facts.birth[cand], limit[cand]
    death = facts.death[cand]
    birth_month = birth.astype("datetime64[M]").astype("datetime64[D]")
    limit_month = limit_c.astype("datetime64[M]").astype("datetime64[D]")
    in_window = (birth_month[:, None] <= starts) & (starts < limit_month[:, None])
    alive = alive_at(death, starts) & ~facts.dead_no_date[cand][:, None]
    registered = facts.orgunit[cand] != ""
    guardian = np.where(facts.mother[cand] >= 0, facts.mother[cand], facts.father[cand])
    ok = in_window & alive & in_force & registered[:, None] & (guardian >= 0)[:, None]
    amounts = np.where(ok, per_month, 0.0)
    conditions = [
        Condition("child_born", status(np.ones(len(cand), bool)), date=birth),
        Condition("under_age", status(in_window.any(axis=1)), date=limit_c),
        Condition("registered_here", status(registered, ~registered)),
        Condition(
            "child_alive",
            status(alive.any(axis=1), facts.dead_no_date[cand]),
            date=death,
        ),
        Condition("has_guardian", status(guardian >= 0, guardian < 0)),
    ]
    return Evaluation(
        programme="childcare",
        year=year,
        subject=cand,
        recipient=cand,
        amounts=amounts,
        category=np.full(len(cand), ""),
        conditions=conditions,
    )
