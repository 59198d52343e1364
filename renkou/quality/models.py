"""Findings of the logic checks, confirmations that a flagged record is right, rate tallies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renkou.registry.models import Event, Person


class Severity(models.TextChoices):
    """How a finding weighs: an error blocks applying a change; a warning needs a look."""

    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class Finding(models.Model):
    """One rule flagging one person (逻辑校验问题); a new check of the person replaces it."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    # The village the person counts in (residence, else registration), for lists and rates.
    unit = models.CharField(_("org unit"), max_length=12, blank=True, db_index=True)
    values = models.JSONField(_("values"), default=dict, blank=True)
    found_at = models.DateTimeField(_("found"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["person", "rule"], name="quality_finding_once")
        ]
        indexes = [models.Index(fields=["rule", "unit"]), models.Index(fields=["severity", "unit"])]

    def __str__(self) -> str:
        return f"{self.rule} {self.person_id}"


class Confirmation(models.Model):
    """A flagged record confirmed correct, with a reason: the rule no longer flags it.

    Given for a person, or for a birth event before its child exists (the confirmation
    moves to the child when the birth is applied).
    """

    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=40)
    reason = models.TextField(_("reason"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), auto_now_add=True)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "rule"],
                condition=Q(person__isnull=False),
                name="quality_confirmation_person_once",
            ),
            models.UniqueConstraint(
                fields=["event", "rule"],
                condition=Q(event__isnull=False),
                name="quality_confirmation_event_once",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(event__isnull=False),
                name="quality_confirmation_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.person_id or self.event_id}"


class Tally(models.Model):
    """Counts behind the quality rates of one village, as a bulk run on ``day`` found them."""

    unit = models.CharField(_("org unit"), max_length=12)
    day = models.DateField(_("date"))
    persons = models.PositiveIntegerField(_("persons"))
    persons_with_error = models.PositiveIntegerField(_("persons with an error"))
    required_fields = models.PositiveBigIntegerField(_("required fields"))
    filled_fields = models.PositiveBigIntegerField(_("filled required fields"))
    run_at = models.DateTimeField(_("run at"))

    class Meta:
        verbose_name = _("quality tally")
        verbose_name_plural = _("quality tallies")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="quality_tally_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.day}"


class EmptyReport(models.Model):
    """A village's monthly report that nothing changed (本月无变动).

    One per village and month (``month`` is its first day). It makes the month count as
    reported (reporting rate, timeliness) from the day it was filed. A change for that month
    filed later does not remove it: it is shown as superseded by that change.
    """

    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed"))

    class Meta:
        verbose_name = _("empty monthly report")
        verbose_name_plural = _("empty monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["orgunit", "month"], name="quality_empty_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.orgunit_id} {self.month:%Y-%m}"
