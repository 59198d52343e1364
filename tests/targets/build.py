"""Agreements built through the service, and cache cells written as a refresh writes them."""

from __future__ import annotations

from typing import Any

from renkou.targets.services import TargetSpec


def spec(indicator: str, target: float, direction: str, weight: float, **kw: Any) -> TargetSpec:
    """A target (linear unless ``rule`` says otherwise)."""
    fields: dict[str, Any] = {"rule": "linear", "floor": None, "basis": "registered"}
    fields.update(kw)
    return TargetSpec(
        indicator=indicator, target_value=target, direction=direction, weight=weight, **fields
    )


# The targets of the hand-computed scorecard (weights add up to 100).
HAND_TARGETS = [
    spec("sex_ratio_at_birth", 107, "lower", 30, floor=115, lenient=True),
    spec("crude_birth_rate", 10, "higher", 20, floor=6, lenient=False),
    spec("infant_mortality_rate", 5, "lower", 20, rule="pass_fail", lenient=True),
    spec("general_fertility_rate", 40, "higher", 30, floor=20, lenient=False),
]


def agreement(actor: Any, unit: str, year: int = 2025, targets: Any = None, **kw: Any) -> Any:
    """An agreement saved through the service (defaults: the hand targets, total 100)."""
    from renkou.orgunits.models import OrgUnit
    from renkou.targets.services import agreement_save

    fields: dict[str, Any] = {"total_weight": 100.0, "watch_line": 60.0}
    fields.update(kw)
    return agreement_save(
        unit=OrgUnit.objects.get(code=unit),
        year=year,
        targets=list(HAND_TARGETS if targets is None else targets),
        actor=actor,
        **fields,
    )


def cache_cells(
    cells: list[tuple[str, str, str, float | None, float | None, float | None]],
) -> None:
    """Write (indicator, unit, period, value, low, high) cells of the registered basis into
    the indicator cache, as a refresh writes the rows it computed."""
    from renkou.analytics.cache import cache_store

    rows = [
        (name, unit, period, "registered", value, None, None, 50, low, high, None)
        for name, unit, period, value, low, high in cells
    ]
    cache_store(rows, snapshot_seq=1)
