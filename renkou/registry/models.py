"""The register: households, persons, events (变动) and village change reports (变动单)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core.display import FastChoiceDisplay
from renkou.orgunits.models import OrgUnit
from renkou.registry.choices import (
    EventKind,
    EventStatus,
    HukouType,
    MaritalStatus,
    PersonStatus,
    Relation,
    Sex,
    Source,
)


class Household(FastChoiceDisplay):
    """A household (户): number, village, address; members are persons pointing at it."""

    number = models.CharField(_("household number"), max_length=40, unique=True)
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    hukou_type = models.CharField(
        _("registration type"), max_length=8, choices=HukouType.choices, blank=True
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Person(FastChoiceDisplay):
    """A person in the register. Its state fields are the fold of its applied events.

    The identity number is never stored in clear: ``id_number_hash`` is an HMAC blind
    index for lookups, ``id_number_enc`` the authenticated encryption for authorised
    display, ``id_number_masked`` what everyone else sees. The phone number (联系电话) is
    kept the same way (``phone_hash``, ``phone_enc``, ``phone_masked``).
    """

    person_ref = models.CharField(
        _("external reference"), max_length=40, unique=True, null=True, blank=True
    )
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_enc = models.TextField(blank=True)
    id_number_masked = models.CharField(_("identity number"), max_length=18, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_enc = models.TextField(blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    # Derived from name (registry.names), for search by pinyin; not part of the folded state.
    name_pinyin = models.CharField(_("name in pinyin"), max_length=120, blank=True, db_index=True)
    name_initials = models.CharField(max_length=20, blank=True, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)
    hukou_orgunit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("registered place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hukou_region = models.CharField(
        _("registered elsewhere (region code)"), max_length=6, blank=True
    )
    hukou_type = models.CharField(
        _("registration type"), max_length=8, choices=HukouType.choices, blank=True
    )
    residence_orgunit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("residence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    residence_region = models.CharField(
        _("living elsewhere (region code)"), max_length=6, blank=True
    )
    marital_status = models.CharField(
        _("marital status"), max_length=10, choices=MaritalStatus.choices, blank=True
    )
    mother = models.ForeignKey(
        "self",
        verbose_name=_("mother"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_as_mother",
    )
    father = models.ForeignKey(
        "self",
        verbose_name=_("father"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_as_father",
    )
    birth_order = models.PositiveSmallIntegerField(_("birth order"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.ALIVE
    )
    death_date = models.DateField(_("death date"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    relation_to_head = models.CharField(
        _("relation to head"), max_length=12, choices=Relation.choices, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked or self.pk})"


class ChangeReport(FastChoiceDisplay):
    """A village's batch of reported changes (人口信息变动单)."""

    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("change report")
        verbose_name_plural = _("change reports")

    def __str__(self) -> str:
        return f"{self.orgunit_id} #{self.pk}"


class Event(FastChoiceDisplay):
    """One change to the register, with its review status; applied events are the history."""

    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.SUBMITTED
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("recorded at"), on_delete=models.PROTECT, related_name="+"
    )
    effective_date = models.DateField(_("effective date"))
    report_date = models.DateField(_("report date"))
    source = models.CharField(_("source"), max_length=14, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change_report = models.ForeignKey(
        ChangeReport, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    historic = models.BooleanField(
        _("history from the initial load"),
        default=False,
        help_text=_("Recorded before enrolment; already reflected in the enrolled state."),
    )
    external_ref = models.CharField(max_length=80, unique=True, null=True, blank=True)
    fingerprint = models.CharField(max_length=40, blank=True)
    applied_seq = models.BigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    # A resubmission: the rejected report this one corrects (its earlier version).
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("corrects the rejected report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["kind", "effective_date"]),
            models.Index(fields=["status", "orgunit"]),
            models.Index(fields=["person", "applied_seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.effective_date} ({self.status})"
