"""Writes of the analytics app: the dated sex ratio setting, audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from renkou.analytics import srb_settings
from renkou.analytics.models import IndicatorValue, SexRatioSetting
from renkou.core.audit import audit_record


def _record(row: SexRatioSetting | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "valid_from": row.valid_from.isoformat(),
        "normal_low": row.normal_low,
        "normal_high": row.normal_high,
        "parts": row.parts,
    }


@transaction.atomic
def srb_setting_set(
    *,
    valid_from: datetime.date,
    normal_low: float,
    normal_high: float,
    parts: tuple[srb_settings.WeightPart, ...],
    actor: Any,
    reason: str,
) -> SexRatioSetting:
    """Set the band and weighted SRB parts in force from ``valid_from`` (replacing a setting
    of the same date), audited with the old and new values.

    The cached weighted SRB of the years and statistical years judged by it (those ending on
    or after ``valid_from``) is marked stale, so the next refresh recomputes it; the band is
    read when a figure is shown, so it needs nothing recomputed.
    """
    setting = srb_settings.SrbSetting(valid_from, normal_low, normal_high, parts)  # checks it
    row = SexRatioSetting.objects.select_for_update().filter(valid_from=valid_from).first()
    before = _record(row)
    row = row or SexRatioSetting(valid_from=valid_from)
    row.normal_low = setting.normal_low
    row.normal_high = setting.normal_high
    row.parts = [{"first": p.first, "last": p.last, "percent": p.percent} for p in parts]
    row.reason = reason[:200]
    row.save()
    audit_record(
        actor=actor,
        action="statistics.srb_setting",
        object_type="sex_ratio_setting",
        object_id=valid_from.isoformat(),
        before=before,
        after=_record(row),
        reason=reason,
    )
    _weighted_stale(valid_from)
    return row


def _weighted_stale(valid_from: datetime.date) -> int:
    """Mark stale the cached weighted SRB of periods whose last day is on or after the date."""
    from renkou.analytics.periods import parse

    rows = IndicatorValue.objects.filter(indicator="weighted_sex_ratio_at_birth")
    touched = [p for p in set(rows.values_list("period", flat=True)) if parse(p).end >= valid_from]
    return rows.filter(period__in=touched).update(stale=True)
