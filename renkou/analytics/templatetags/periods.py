"""Periods as people read them, in templates: ``{{ job.params.period|period_text }}``."""

from __future__ import annotations

from django import template

from renkou.analytics.labels import period_text as _period_text
from renkou.analytics.periods import PeriodError, parse

register = template.Library()


@register.filter
def period_text(period_id: str) -> str:
    """``2023Oct`` → 2024 统计年度 (2023-10-01 – 2024-09-30); a text that names no period is
    shown as it is."""
    try:
        return _period_text(parse(str(period_id)))
    except PeriodError:
        return str(period_id)
