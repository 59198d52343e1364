"""The indicator cache: computed figures per (indicator, org unit, period, basis); the dated
setting of the sex ratio at birth."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.analytics import srb_settings


class Basis(models.TextChoices):
    """Whom a figure counts: registered here (户籍) or living here (常住)."""

    REGISTERED = "registered", pgettext_lazy("basis", "Registered")
    RESIDENT = "resident", pgettext_lazy("basis", "Resident")


class IndicatorValue(models.Model):
    """One cached figure with what it was computed from; ``stale`` once new events touch it."""

    indicator = models.CharField(_("indicator"), max_length=40)
    orgunit = models.CharField(_("org unit"), max_length=12)
    period = models.CharField(_("period"), max_length=12)
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    value = models.FloatField(_("value"), null=True)
    numerator = models.FloatField(_("numerator"), null=True)
    denominator = models.FloatField(_("denominator"), null=True)
    count = models.BigIntegerField(_("events counted"), null=True)
    low = models.FloatField(_("interval low"), null=True)
    high = models.FloatField(_("interval high"), null=True)
    detail = models.TextField(
        _("breakdown"),
        null=True,
        help_text=_("JSON: the figure split further (by sex and age, by living children)"),
    )
    snapshot_seq = models.BigIntegerField(_("snapshot sequence"))
    computed_at = models.DateTimeField(_("computed"))
    stale = models.BooleanField(_("stale"), default=False)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        # One cell (unit, period, basis) is read and replaced at a time. Not a unique
        # constraint: a full refresh drops the index and builds it again after the insert
        # (cache_store replaces cells whole, so no cell is written twice).
        indexes = [
            models.Index(
                fields=["orgunit", "period", "basis", "indicator"], name="indicator_value_cell"
            ),
            # Only the few stale rows: a refresh finds them without reading the whole cache.
            models.Index(
                fields=["period", "orgunit"],
                name="indicator_value_stale",
                condition=models.Q(stale=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.orgunit} {self.period} {self.basis}"

    @property
    def breakdown(self) -> Any:
        """The decoded ``detail``, or None."""
        return json.loads(self.detail) if self.detail else None


class SexRatioSetting(models.Model):
    """The sex ratio at birth's normal band and the weighted SRB's years and weights, in
    force from ``valid_from`` until the next setting (a county's dated setting)."""

    valid_from = models.DateField(_("valid from"), unique=True)
    normal_low = models.FloatField(_("normal range, low"))
    normal_high = models.FloatField(_("normal range, high"))
    parts = models.JSONField(
        _("weighted parts"),
        help_text=_("years relative to the scored year Y, each part with its weight in per cent"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("sex ratio setting")
        verbose_name_plural = _("sex ratio settings")
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"SRB setting from {self.valid_from}"

    def as_setting(self) -> srb_settings.SrbSetting:
        """The setting as the indicators read it."""
        return srb_settings.SrbSetting(
            valid_from=self.valid_from,
            normal_low=self.normal_low,
            normal_high=self.normal_high,
            parts=tuple(
                srb_settings.WeightPart(int(p["first"]), int(p["last"]), float(p["percent"]))
                for p in self.parts
            ),
        )


def stored_srb_settings() -> srb_settings.SrbSettings:
    """The stored history of the sex ratio setting (one query)."""
    return srb_settings.SrbSettings(
        tuple(row.as_setting() for row in SexRatioSetting.objects.order_by("valid_from"))
    )


srb_settings.use_source(stored_srb_settings)
