"""A petition or hotline case and the steps of its handling."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.cases.choices import Category, Channel, Satisfaction, Status, StepKind


class Case(models.Model):
    """One petition (信访件) or hotline case: who asked what, of which unit, by when.

    The petitioner's name and telephone are personal information: stored encrypted
    (``*_enc``) and shown masked (``*_masked``); the telephone's blind index
    (``petitioner_phone_hash``) finds earlier cases of the same caller without decrypting.
    ``token`` is the registration form's one-time key: the same form sent twice is one case.
    Deadlines are dates (the last day allowed), fixed from the rules in force on the day
    received (``renkou.cases.deadlines``); the answer's is counted again from acceptance, and
    moved once by an extension (``extended_days``).
    """

    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    received_on = models.DateField(_("day received"), db_index=True)
    orgunit = models.ForeignKey(
        "orgunits.OrgUnit",
        verbose_name=_("unit concerned"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    petitioner_name_enc = models.TextField()
    petitioner_name_masked = models.CharField(_("petitioner"), max_length=50)
    petitioner_phone_enc = models.TextField(blank=True)
    petitioner_phone_masked = models.CharField(_("telephone"), max_length=30, blank=True)
    petitioner_phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    request = models.TextField(_("request"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    accept_days = models.PositiveSmallIntegerField(_("days to accept"))
    answer_days = models.PositiveSmallIntegerField(_("days to answer"))
    extended_days = models.PositiveSmallIntegerField(_("days of extension"), default=0)
    accept_due = models.DateField(_("accept by"))
    answer_due = models.DateField(_("answer by"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    assigned_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply = models.TextField(_("reply"), blank=True)
    closed_on = models.DateField(_("replied on"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["orgunit", "received_on"])]

    def __str__(self) -> str:
        return f"{self.number} {self.get_channel_display()}"

    @property
    def number(self) -> str:
        """The case number people quote: year received and a serial (2025-00017)."""
        return f"{self.received_on.year}-{self.pk or 0:05d}"


class CaseStep(models.Model):
    """One entry of a case's history: registered, accepted, assigned, a step, the reply."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices)
    on = models.DateField(_("date"))
    text = models.TextField(_("what was done"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.on}"
