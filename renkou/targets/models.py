"""A year's target agreement of a unit for its sub-units, and its targets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.analytics.models import Basis


class Direction(models.TextChoices):
    """Which way a figure is better."""

    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Rule(models.TextChoices):
    """How a target turns a figure into points."""

    LINEAR = "linear", _("Linear: full marks at the target, none at the floor")
    PASS_FAIL = "pass_fail", _("Pass or fail")


class Agreement(models.Model):
    """A year's target agreement (目标管理责任书) a unit sets for each of its sub-units: a
    county for its townships, a township for its villages. Units are scored, never persons."""

    orgunit = models.ForeignKey(
        "orgunits.OrgUnit",
        verbose_name=_("unit setting the targets"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    total_weight = models.FloatField(_("total of the weights"), default=100.0)
    watch_line = models.FloatField(_("watch line"), default=60.0)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("target agreement")
        verbose_name_plural = _("target agreements")
        constraints = [
            models.UniqueConstraint(fields=["orgunit", "year"], name="targets_one_agreement_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.orgunit_id} {self.year}"


class Target(models.Model):
    """One target of an agreement: an indicator, its target value, direction, weight and
    scoring rule (``floor``: where a linear rule reaches zero)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(_("position"))
    indicator = models.CharField(_("indicator"), max_length=40)
    basis = models.CharField(
        _("basis"), max_length=10, choices=Basis.choices, default=Basis.REGISTERED
    )
    target_value = models.FloatField(_("target"))
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    weight = models.FloatField(_("weight"))
    rule = models.CharField(_("scoring rule"), max_length=10, choices=Rule.choices)
    floor = models.FloatField(_("floor"), null=True, blank=True)
    lenient = models.BooleanField(_("not distinguishable rather than failed"), default=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["agreement", "position"]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.indicator}"
