"""The childcare subsidy's application (育儿补贴申领): who applies, when, for which months."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.registry.models import Person


class ChildcareApplication(models.Model):
    """A parent's application for a child's childcare subsidy, for the months from
    ``first_month`` to ``last_month`` (first days of months). Only months applied for are
    paid, and they are paid to the applicant."""

    child = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        Person, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    applied_on = models.DateField(_("applied on"))
    first_month = models.DateField(_("first month applied for"))
    last_month = models.DateField(_("last month applied for"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    source_import = models.ForeignKey(
        "benefits.FactImport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported from"),
    )

    class Meta:
        app_label = "benefits"
        verbose_name = _("childcare application")
        verbose_name_plural = _("childcare applications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_month__lte=models.F("last_month")),
                name="childcare_application_months_in_order",
            )
        ]

    def __str__(self) -> str:
        months = f"{self.first_month:%Y-%m}–{self.last_month:%Y-%m}"
        return f"{self.child_id} ← {self.applicant_id} {months}"
