"""Facts the rules need that the register does not hold, and the cycle's records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.benefits.choices import (
    CycleStatus,
    EntitlementStatus,
    ObjectionOutcome,
    Outcome,
    Programme,
)
from renkou.benefits.models_facts import FactImport  # and the models of fact imports
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person


class DisabilityRecord(models.Model):
    """A disability certificate (残疾证) of a person: grade 1 (most severe) to 4, with dates."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.PositiveSmallIntegerField(_("disability grade"))
    certificate_number = models.CharField(_("certificate number"), max_length=40)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty while in force.")
    )
    source = models.CharField(
        _("source"), max_length=60, blank=True, help_text=_("Who issued or reported it (残联).")
    )
    source_import = models.ForeignKey(
        FactImport,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("disability record")
        verbose_name_plural = _("disability records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=4), name="disability_grade_1_4"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_number} ({self.grade})"


class OnlyChildCertificate(models.Model):
    """An only-child certificate (独生子女父母光荣证) held by a parent for a child."""

    holder = models.ForeignKey(
        Person, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("certificate number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    source_import = models.ForeignKey(
        FactImport,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("only-child certificate")
        verbose_name_plural = _("only-child certificates")

    def __str__(self) -> str:
        return self.number


class Adoption(models.Model):
    """A registered adoption (收养): the child counts as the parent's child from that date."""

    parent = models.ForeignKey(
        Person, verbose_name=_("adoptive parent"), on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    adopted_on = models.DateField(_("adopted on"))
    source_import = models.ForeignKey(
        FactImport,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="adoption_once")]

    def __str__(self) -> str:
        return f"{self.parent_id} ← {self.child_id} ({self.adopted_on})"


class BankAccount(models.Model):
    """A recipient's bank account, stored like identity numbers: blind index, ciphertext, mask."""

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    bank = models.CharField(_("bank"), max_length=60)
    account_hash = models.CharField(max_length=64, db_index=True)
    account_enc = models.TextField()
    account_masked = models.CharField(_("account"), max_length=40)
    valid_from = models.DateField(_("in use from"), null=True, blank=True)
    source_import = models.ForeignKey(
        FactImport,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.bank} {self.account_masked}"


class Cycle(models.Model):
    """A yearly cycle (年度审核) of one programme over one org unit's subtree."""

    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CycleStatus.choices, default=CycleStatus.COMPUTED
    )
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed"), auto_now_add=True)
    notice_from = models.DateField(_("notice from"), null=True, blank=True)
    notice_until = models.DateField(_("notice until"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit cycle")
        verbose_name_plural = _("benefit cycles")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "orgunit"], name="cycle_once_per_area_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.year} {self.orgunit_id}"

    def get_programme_display(self) -> str:
        """The programme's name, built-in or local (YAML; not among the field's choices)."""
        from renkou.benefits.choices import programme_label

        return programme_label(self.programme)


class Decision(models.Model):
    """One person's decision in a cycle, with the outcome of every condition."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="decisions")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        OrgUnit, verbose_name=_("village"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    category = models.CharField(_("category"), max_length=20, blank=True)
    reasons = models.JSONField(_("reasons"), default=list)
    amount = models.DecimalField(_("amount for the year"), max_digits=10, decimal_places=2)
    months = models.JSONField(_("amount by month"), default=list)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="decision_once_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.person_id}: {self.outcome}"


class Objection(models.Model):
    """An objection (异议) to a person on the public notice, and its outcome.

    The objector's name and contact are personal information: stored encrypted
    (``renkou.core.crypto``) with a mask for the pages, never in clear.
    """

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="objections")
    objector_name_enc = models.TextField(blank=True)
    objector_name_masked = models.CharField(_("objector"), max_length=50, blank=True)
    objector_contact_enc = models.TextField(blank=True)
    objector_contact_masked = models.CharField(_("objector's contact"), max_length=60, blank=True)
    text = models.TextField(_("objection"))
    raised_on = models.DateField(_("received on"))
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=ObjectionOutcome.choices,
        default=ObjectionOutcome.OPEN,
        db_index=True,
    )
    resolution = models.TextField(_("outcome note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.raised_on} {self.outcome}"


class PaymentBatch(models.Model):
    """One payment file sent to the bank (直通车) for a cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="batches")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reconciled_at = models.DateTimeField(_("reconciled"), null=True, blank=True)
    # The file written for the bank, as it was committed: a re-run finds it complete by
    # its checksum and keeps it (empty when the page builds the file per download).
    file_path = models.CharField(_("file"), max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)

    class Meta:
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.pk}"


class Payment(models.Model):
    """One line of a payment file: what one payee receives for one person's months."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    person = models.ForeignKey(
        Person, verbose_name=_("entitled person"), on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        Person, verbose_name=_("payee"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=EntitlementStatus.choices, default="in_batch"
    )
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    # the blind index of the account the line was sent to: a failed line goes out again
    # only to another account (the payee's account corrected after the failure)
    account_hash = models.CharField(max_length=64, blank=True)
    first_month = models.DateField(_("first month"), null=True, blank=True)
    last_month = models.DateField(_("last month"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # one line per person in a batch; the reference itself is unique for ever
            models.UniqueConstraint(fields=["batch", "person"], name="payment_once_per_batch")
        ]

    def __str__(self) -> str:
        return self.reference


class Entitlement(models.Model):
    """What one person is owed by one programme for one month (annual programmes: January).

    The unique constraint is the database's guarantee that nobody is paid twice for the same
    programme and month, whichever cycle or re-issue produced the row.
    """

    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="entitlements")
    status = models.CharField(
        _("status"), max_length=10, choices=EntitlementStatus.choices, default="due"
    )
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    batch = models.ForeignKey(
        PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "person", "month"], name="entitlement_once_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.person_id} {self.month:%Y-%m}"


from renkou.benefits.models_paym import ChildcareApplication  # noqa: E402, F401
