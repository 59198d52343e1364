"""Reads of the indicator cache for people and programs: the breakdowns of a cell."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from renkou.analytics.models import IndicatorValue
from renkou.analytics.names import LAST_AGE_GROUP
from renkou.analytics.periods import Period

AGE_GROUPS = [
    f"{g * 5}–{g * 5 + 4}" if g < LAST_AGE_GROUP else f"{g * 5}+" for g in range(LAST_AGE_GROUP + 1)
]
CHILDREN = ("0", "1", "2", "3+")
BREAKDOWNS = ("pyramid", "married_women")


def _detail(code: str, period: Period, basis: str, indicator: str) -> Any:
    v = IndicatorValue.objects.filter(
        orgunit=code, period=period.id, basis=basis, indicator=indicator
    ).first()
    return v.breakdown if v is not None and v.detail else None


def pyramid(code: str, period: Period, basis: str) -> list[dict[str, Any]] | None:
    """Persons by five-year age group and sex at the period's end (None: not computed)."""
    detail = _detail(code, period, basis, "population_end")
    if detail is None:
        return None
    return [
        {"age_group": age, "men": men, "women": women}
        for age, men, women in zip(AGE_GROUPS, detail["M"], detail["F"], strict=False)
    ]


def married_women(code: str, period: Period, basis: str) -> list[dict[str, Any]] | None:
    """Married women aged 15–49 at the period's end by living children (None: not computed)."""
    detail = _detail(code, period, basis, "married_women_15_49")
    if detail is None:
        return None
    labels = [_("None"), _("One"), _("Two"), _("Three or more")]
    return [
        {"living_children": n, "label": str(lab), "women": women}
        for n, lab, women in zip(CHILDREN, labels, detail, strict=False)
    ]
