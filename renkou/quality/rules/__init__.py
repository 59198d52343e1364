"""The rule catalogue: every rule by its stable code, in a fixed order."""

from __future__ import annotations

from renkou.quality.rules import (
    completeness,
    dates,
    events,
    family,
    households,
    identity,
    marital,
    places,
)
from renkou.quality.rules.base import ERROR, SEVERITIES, WARNING, Rule

RULES: tuple[Rule, ...] = (
    *identity.RULES,
    *dates.RULES,
    *events.RULES,
    *family.RULES,
    *marital.RULES,
    *places.RULES,
    *households.RULES,
    *completeness.RULES,
)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

__all__ = ["BY_CODE", "ERROR", "RULES", "SEVERITIES", "WARNING", "Rule"]
