"""The administrative tree (行政区划) keyed by statistical division codes."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.display import FastChoiceDisplay


class Level(models.IntegerChoices):
    """Level of a unit, which follows from the length of its code."""

    PROVINCE = 1, _("Province")
    PREFECTURE = 2, _("Prefecture")
    COUNTY = 3, _("County")
    TOWNSHIP = 4, _("Township")
    VILLAGE = 5, _("Village")


CODE_LENGTHS = {
    2: Level.PROVINCE,
    4: Level.PREFECTURE,
    6: Level.COUNTY,
    9: Level.TOWNSHIP,
    12: Level.VILLAGE,
}
EARLIEST = datetime.date(1949, 10, 1)


class OrgUnit(FastChoiceDisplay):
    """One unit of the tree; its subtree is every unit whose code starts with its code."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), default=EARLIEST)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_valid_on(self, day: datetime.date) -> bool:
        """Whether the unit existed on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
