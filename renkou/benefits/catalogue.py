"""The catalogue of named, parameterised conditions a local programme (YAML) is built from.

Each condition takes the candidates' context and its parameters and returns the condition
(its status per candidate, with the date or count its reason quotes) and the months in which
it holds, shape (candidates, 12). The names and parameters are listed in docs/benefits.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from renkou.benefits.facts import Facts
from renkou.benefits.programmes.base import Condition, add_years, alive_at, status
from renkou.benefits.programmes.family import Families, families

NAT = np.datetime64("NaT")


@dataclass
class Context:
    """What the conditions read: the register, the year's month starts and the candidates.

    ``child`` is the child a condition about "the child" reads: the certificate's child for
    certificate holders, the candidate itself for a child paid to a parent, else the
    person's only child (-1 when there is not exactly one)."""

    facts: Facts
    starts: np.ndarray
    cand: np.ndarray
    child: np.ndarray
    cert: np.ndarray  # first certificate row held by each candidate, -1 when none
    _families: Families | None = field(default=None, repr=False)

    @property
    def family(self) -> Families:
        if self._families is None:
            self._families = families(self.facts, self.starts[-1] + np.timedelta64(30, "D"))
        return self._families

    @property
    def n(self) -> int:
        return len(self.cand)


Result = tuple[Condition, np.ndarray]


def _age_window(birth: np.ndarray, starts: np.ndarray, low: int, high: int | None) -> np.ndarray:
    ok = add_years(birth, low)[:, None] <= starts
    if high is not None:
        ok &= add_years(birth, high)[:, None] > starts
    return ok


def alive(ctx: Context) -> Result:
    """The person is alive (a death without its date is a missing fact)."""
    f, c = ctx.facts, ctx.cand
    ok = alive_at(f.death[c], ctx.starts) & ~f.dead_no_date[c][:, None]
    return Condition("alive", status(ok.any(axis=1), f.dead_no_date[c]), date=f.death[c]), ok


def age_between(ctx: Context, min: int = 0, max: int | None = None) -> Result:
    """The person's age is at least ``min`` and (when given) under ``max`` years."""
    birth = ctx.facts.birth[ctx.cand]
    ok = _age_window(birth, ctx.starts, min, max)
    variant = np.full(ctx.n, "" if max is None else str(max))
    cond = Condition(
        "age_between",
        status(ok.any(axis=1)),
        date=add_years(birth, min),
        number=np.full(ctx.n, min),
        variant=variant,
    )
    return cond, ok


def child_age_between(ctx: Context, min: int = 0, max: int | None = None) -> Result:
    """The child's age is at least ``min`` and (when given) under ``max`` years; the child
    unknown (no single child linked) is a missing fact."""
    known = ctx.child >= 0
    birth = np.where(known, ctx.facts.birth[np.maximum(ctx.child, 0)], NAT)
    ok = _age_window(birth, ctx.starts, min, max) & known[:, None]
    until = add_years(birth, max) if max is not None else np.full(ctx.n, NAT)
    cond = Condition(
        "child_age_between",
        status(ok.any(axis=1), ~known),
        date=until,
        number=np.full(ctx.n, min),
        variant=np.full(ctx.n, "" if max is None else str(max)),
    )
    return cond, ok


def certificate(ctx: Context) -> Result:
    """The person holds an only-child certificate, issued and not revoked, that month."""
    f, held = ctx.facts, ctx.cert >= 0
    row = np.maximum(ctx.cert, 0)
    issued = np.where(held, f.cert_issued[row] if len(f.cert_issued) else NAT, NAT)
    revoked = np.where(held, f.cert_revoked[row] if len(f.cert_revoked) else NAT, NAT)
    ok = (
        held[:, None]
        & (issued[:, None] <= ctx.starts)
        & (np.isnat(revoked)[:, None] | (revoked[:, None] > ctx.starts))
    )
    return Condition("certificate", status(ok.any(axis=1)), date=issued), ok


def hukou(ctx: Context, type: str = "rural") -> Result:
    """The person's registration type (户口性质) is ``type`` (rural or urban); unknown is a
    missing fact."""
    value = ctx.facts.rural[ctx.cand]
    want = 1 if type == "rural" else 0
    ok = np.repeat((value == want)[:, None], len(ctx.starts), axis=1)
    return Condition(type, status(value == want, value < 0)), ok


def child_count(ctx: Context, min: int = 1, max: int | None = None) -> Result:
    """The person has at least ``min`` and at most ``max`` children (births and adoptions);
    none linked in the register is a missing fact."""
    count = ctx.family.count[ctx.cand]
    good = (count >= min) & ((count <= max) if max is not None else True)
    ok = np.repeat(good[:, None], len(ctx.starts), axis=1)
    return Condition("child_count", status(good, count == 0), number=count), ok


def only_child(ctx: Context) -> Result:
    """The person has exactly one child; none linked in the register is a missing fact."""
    count = ctx.family.count[ctx.cand]
    good = count == 1
    ok = np.repeat(good[:, None], len(ctx.starts), axis=1)
    variant = np.where(good, "one_child", "other")
    return Condition("one_child", status(good, count == 0), number=count, variant=variant), ok


def child_alive(ctx: Context) -> Result:
    """The child is alive; the child unknown is a missing fact."""
    f, known = ctx.facts, ctx.child >= 0
    row = np.maximum(ctx.child, 0)
    death = np.where(known, f.death[row], NAT)
    ok = alive_at(death, ctx.starts) & known[:, None] & ~(f.dead_no_date[row] & known)[:, None]
    missing = ~known | (f.dead_no_date[row] & known)
    return Condition("child_alive", status(ok.any(axis=1), missing), date=death), ok


def disability_grade(ctx: Context, max: int = 3) -> Result:
    """The person holds a disability record of grade 1 to ``max`` that month."""
    f = ctx.facts
    ok = np.zeros((ctx.n, len(ctx.starts)), bool)
    keep = f.dis_grade <= max
    for person, since, until in zip(
        f.dis_person[keep], f.dis_from[keep], f.dis_until[keep], strict=True
    ):
        rows = np.flatnonzero(ctx.cand == person)
        if len(rows):
            ok[rows] |= (since <= ctx.starts) & (np.isnat(until) | (until >= ctx.starts))
    cond = Condition("disability", status(ok.any(axis=1)), number=np.full(ctx.n, max))
    return cond, ok


CATALOGUE: dict[str, tuple[Callable[..., Result], dict[str, type]]] = {
    # name: (function, its parameters and their types)
    "alive": (alive, {}),
    "age_between": (age_between, {"min": int, "max": int}),
    "child_age_between": (child_age_between, {"min": int, "max": int}),
    "certificate": (certificate, {}),
    "hukou": (hukou, {"type": str}),
    "child_count": (child_count, {"min": int, "max": int}),
    "only_child": (only_child, {}),
    "child_alive": (child_alive, {}),
    "disability_grade": (disability_grade, {"max": int}),
}

CHOICES: dict[tuple[str, str], tuple[str, ...]] = {("hukou", "type"): ("rural", "urban")}
"""Parameters taking one of a few words."""


def run(name: str, ctx: Context, params: dict[str, Any]) -> Result:
    """One catalogue condition over the candidates."""
    fn, _types = CATALOGUE[name]
    return fn(ctx, **params)
