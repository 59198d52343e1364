"""The indicator cache: computed figures per (indicator, org unit, period, basis)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
