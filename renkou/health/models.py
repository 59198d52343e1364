"""Service records of the health programmes, their steps, the consents behind them, the
institutions that record them and the figures an area enters for its rates.

Health data are sensitive personal information (PIPL): a step's result (a risk level, a
screening result, advice) is stored only encrypted (``result_enc``, as identity numbers
are); what is in clear is that a step of a programme took place, when and where.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.health.programmes import programme_choices


class Institution(models.Model):
    """A health institution that records service steps (妇幼保健院, 乡镇卫生院 …)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceRecord(models.Model):
    """One person's or couple's take-up of one programme (an enrolment, a screening, a
    premarital check), in the unit where they live.

    ``key`` makes the write idempotent: a form sent twice, or a roster row imported twice,
    is one record. ``withdrawn_on`` is set when a consent behind the record is withdrawn:
    from then on the record is hidden from everyone but the auditor and counted nowhere.
    """

    key = models.CharField(max_length=100, unique=True)
    programme = models.CharField(_("programme"), max_length=20, choices=programme_choices())
    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    woman = models.ForeignKey(
        "registry.Person", verbose_name=_("woman"), on_delete=models.PROTECT, related_name="+"
    )
    man = models.ForeignKey(
        "registry.Person",
        verbose_name=_("man"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_on = models.DateField(_("date"))
    withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        indexes = [models.Index(fields=["programme", "orgunit", "opened_on"])]

    def __str__(self) -> str:
        return f"{self.programme} {self.pk}"


class Consent(models.Model):
    """A person's consent to a service record: who consented, when, to what; and its
    withdrawal (who recorded it, when)."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="consents")
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    given_on = models.DateField(_("consented on"))
    scope = models.CharField(_("consented to"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["record", "person"], name="one_consent_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.person_id}"


class ServiceStep(models.Model):
    """One step of a service record: its date, the institution and the staff member who
    recorded it, and its result (encrypted; empty for a step without one)."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=20)
    on = models.DateField(_("date"))
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    staff_name = models.CharField(_("recorded by (staff)"), max_length=50)
    result_enc = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service step")
        verbose_name_plural = _("service steps")
        ordering = ["on", "pk"]
        constraints = [models.UniqueConstraint(fields=["record", "step"], name="one_step_each")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.step} {self.on}"


class FigureKind(models.TextChoices):
    """The numbers an area enters each year for the rates' denominators."""

    TARGET_COUPLES = "target_couples", _("Target couples (planning a pregnancy)")
    PREGNANCIES = "pregnancies", _("Examined couples with a pregnancy")
    PREGNANCIES_DUE = "pregnancies_due", _("Pregnancies due")
    TARGET_WOMEN = "target_women", _("Target women for screening")


class AreaFigure(models.Model):
    """A yearly number of a unit, entered (from the health system's own counts): kept as a
    count, never as a list of persons."""

    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("figure"), max_length=20, choices=FigureKind.choices)
    value = models.PositiveIntegerField(_("number"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("area figure")
        verbose_name_plural = _("area figures")
        constraints = [
            models.UniqueConstraint(fields=["orgunit", "year", "kind"], name="one_figure_each")
        ]

    def __str__(self) -> str:
        return f"{self.orgunit_id} {self.year} {self.kind}={self.value}"


class RosterImport(models.Model):
    """One roster of service steps from the maternal and child health system, imported
    for a unit: how many rows, recorded, already there, and the rows quarantined with
    their reasons (row, column, reason code; never a result or a name in clear).
    ``digest`` makes the import idempotent: the same file again is this import."""

    digest = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(_("file"), max_length=200)
    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    recorded = models.PositiveIntegerField(_("steps recorded"), default=0)
    already = models.PositiveIntegerField(_("steps already recorded"), default=0)
    problems = models.JSONField(default=list)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service roster import")
        verbose_name_plural = _("service roster imports")

    def __str__(self) -> str:
        return self.file_name
