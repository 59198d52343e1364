"""Scoring a unit against a target agreement: pure arithmetic, no Django, no I/O.

A target names a value, a direction (higher or lower is better), a weight and a rule:

- **linear**: full marks (the weight) at the target or better, none at the floor or worse,
  in proportion between (higher is better: ``weight × (value − floor) ÷ (target − floor)``);
- **pass/fail**: the weight if the target is met, else nothing.

Where the target says so (``lenient``), a unit that misses its target while the figure's
95 % interval still holds the target is "not distinguishable" (不可区分) from it: the
figure cannot tell a miss from chance (a village with 30 births and an SRB of 115 has an
interval of about 80–170), so it is not counted as failed and keeps the target's marks.

A unit's score is its points on the targets that have a figure, scaled to the agreement's
total over those targets' weights; targets without a figure (no births: no SRB) are listed
as such and left out rather than scored zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["met", "partial", "below_floor", "failed", "indistinguishable", "no_data"]
HIGHER, LOWER = "higher", "lower"
LINEAR, PASS_FAIL = "linear", "pass_fail"


@dataclass(frozen=True)
class TargetRule:
    """What one target asks: the target value, direction, weight, rule and floor."""

    target: float
    direction: str
    weight: float
    rule: str
    floor: float | None = None
    lenient: bool = True


@dataclass(frozen=True)
class Measure:
    """A unit's figure for one indicator and period, with its 95 % interval if it has one."""

    value: float | None
    low: float | None = None
    high: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class TargetScore:
    """One target's outcome for one unit: the figure, the points and why."""

    measure: Measure
    points: float | None
    status: Status

    @property
    def value(self) -> float | None:
        """The unit's figure."""
        return self.measure.value


def meets(direction: str, value: float, target: float) -> bool:
    """Whether ``value`` is at the target or on its better side."""
    return value >= target if direction == HIGHER else value <= target


def floor_on_right_side(direction: str, target: float, floor: float) -> bool:
    """Whether a linear rule's floor lies on the worse side of the target (below it when
    higher is better, above it when lower is better)."""
    return floor < target if direction == HIGHER else floor > target


def straddles(measure: Measure, target: float) -> bool:
    """Whether the figure's interval holds the target value."""
    if measure.low is None or measure.high is None:
        return False
    return measure.low <= target <= measure.high


def score_target(rule: TargetRule, measure: Measure) -> TargetScore:
    """The points one target gives for ``measure``."""
    value = measure.value
    if value is None:
        return TargetScore(measure, None, "no_data")
    if meets(rule.direction, value, rule.target):
        return TargetScore(measure, rule.weight, "met")
    if rule.lenient and straddles(measure, rule.target):
        return TargetScore(measure, rule.weight, "indistinguishable")
    if rule.rule == PASS_FAIL or rule.floor is None:
        return TargetScore(measure, 0.0, "failed")
    floor = rule.floor
    if rule.direction == HIGHER:
        share = (value - floor) / (rule.target - floor)
    else:
        share = (floor - value) / (floor - rule.target)
    if share <= 0:
        return TargetScore(measure, 0.0, "below_floor")
    return TargetScore(measure, rule.weight * share, "partial")


@dataclass(frozen=True)
class UnitScore:
    """A unit's scorecard: each target's outcome and the total, scaled to the agreement's."""

    targets: tuple[TargetScore, ...]
    total: float | None
    points: float
    possible: float

    @property
    def scored(self) -> int:
        """How many targets had a figure."""
        return sum(1 for t in self.targets if t.status != "no_data")


def score_unit(
    rules: Sequence[TargetRule], measures: Sequence[Measure], total_weight: float
) -> UnitScore:
    """Score every target; the total is the points over the weights of the targets that
    had a figure, times the agreement's total (None when none had one)."""
    outcomes = tuple(score_target(r, m) for r, m in zip(rules, measures, strict=True))
    points = sum(o.points or 0.0 for o in outcomes)
    possible = sum(r.weight for r, o in zip(rules, outcomes, strict=True) if o.status != "no_data")
    total = points / possible * total_weight if possible > 0 else None
    return UnitScore(outcomes, total, points, possible)


def ranks(totals: Sequence[float | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of the totals, highest first; None for no total."""
    known = sorted((t for t in totals if t is not None), reverse=True)
    first: dict[float, int] = {}
    for i, t in enumerate(known):
        first.setdefault(t, i + 1)
    return [None if t is None else first[t] for t in totals]
