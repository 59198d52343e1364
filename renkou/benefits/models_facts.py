"""Imports of the facts the benefit rules read (bank accounts, disability records, only-child
certificates, adoptions, certificates revoked, childcare applications) and the rows each
refused."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.orgunits.models import OrgUnit


class FactKind(models.TextChoices):
    """What a fact file holds."""

    BANK_ACCOUNTS = "bank_accounts", _("Bank accounts")
    DISABILITY = "disability_records", _("Disability records")
    CERTIFICATES = "only_child_certificates", _("Only-child certificates")
    ADOPTIONS = "adoptions", _("Adoptions")
    REVOCATIONS = "certificate_revocations", _("Certificates revoked")
    APPLICATIONS = "childcare_applications", _("Childcare applications")


class FactImport(models.Model):
    """One fact file imported for an area: what it held, what it changed, what it refused.

    The same file (by the SHA-256 of its bytes) is imported once per kind; a file of facts
    already recorded changes nothing (its rows are counted as unchanged)."""

    kind = models.CharField(_("kind"), max_length=30, choices=FactKind.choices)
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)
    content_hash = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_applied = models.PositiveIntegerField(_("recorded"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("already recorded"), default=0)
    rows_quarantined = models.PositiveIntegerField(_("refused"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("fact import")
        verbose_name_plural = _("fact imports")
        constraints = [
            models.UniqueConstraint(fields=["kind", "content_hash"], name="fact_import_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class FactProblem(models.Model):
    """A refused row of a fact file: row, column, the value (identity numbers and accounts
    masked) and the reason in both languages."""

    fact_import = models.ForeignKey(FactImport, on_delete=models.CASCADE, related_name="problems")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100)
    value = models.CharField(_("value"), max_length=255, blank=True)
    code = models.CharField(max_length=40)
    reason_zh = models.CharField(max_length=255)
    reason_en = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("refused fact row")
        verbose_name_plural = _("refused fact rows")
        ordering = ["row_number", "pk"]

    def __str__(self) -> str:
        return f"{self.fact_import_id}:{self.row_number} {self.code}"
