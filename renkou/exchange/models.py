"""Roster imports, their staged rows (with original values) and quarantined rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person


class Outcome(models.TextChoices):
    """Where a roster row ended after linkage (the worklist's categories)."""

    PENDING = "pending", _("Not linked yet")
    MATCHED = "matched", _("Matched")
    CONFLICTS = "conflicts", _("Matched with conflicts")
    POSSIBLE = "possible", _("Possible match")
    MISSING = "missing", _("Missing from the register")


class Decision(models.TextChoices):
    """What a person decided about a worklist item."""

    OPEN = "", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    EVENT_CREATED = "event", _("Missing event reported")
    CORRECTED = "corrected", _("Register corrected")
    DISMISSED = "dismissed", _("Dismissed")


class RosterImport(models.Model):
    """One imported department roster file (名册导入); a file is imported once per kind."""

    kind = models.CharField(_("roster kind"), max_length=24)
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content_hash = models.CharField(max_length=64)
    # The rows' own fingerprint (after header mapping and normalisation, in any order): a
    # copy re-encoded (CRLF, re-saved as xlsx) has another file hash and the same rows.
    rows_fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    mapping = models.JSONField(_("column mapping"), default=dict)
    rows_total = models.PositiveIntegerField(default=0)
    rows_staged = models.PositiveIntegerField(default=0)
    rows_quarantined = models.PositiveIntegerField(default=0)
    linked_at = models.DateTimeField(_("linked"), null=True, blank=True)
    linkage_model = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        constraints = [
            models.UniqueConstraint(fields=["kind", "content_hash"], name="roster_once_per_kind"),
            models.UniqueConstraint(
                fields=["kind", "rows_fingerprint"],
                condition=~models.Q(rows_fingerprint=""),
                name="roster_rows_once_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class RosterRow(models.Model):
    """A valid roster row: normalised values, the original cells (encrypted), its outcome.

    Identity numbers appear only as blind indexes in ``id_hashes`` and masked in
    ``values``; the original cells are kept as one ciphertext, since they hold them in clear.
    """

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    values = models.JSONField(default=dict)
    id_hashes = models.JSONField(default=dict)
    original_enc = models.TextField()
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    probability = models.FloatField(_("match probability"), null=True, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.JSONField(default=dict, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decision_reason = models.CharField(_("reason"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey(
        "registry.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("roster row")
        verbose_name_plural = _("roster rows")
        constraints = [
            models.UniqueConstraint(fields=["roster_import", "row_number"], name="roster_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.roster_import_id}:{self.row_number}"


class QuarantinedRow(models.Model):
    """A roster row refused with its column and reason; downloadable for correction."""

    roster_import = models.ForeignKey(
        RosterImport, on_delete=models.CASCADE, related_name="quarantined"
    )
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100)
    value = models.CharField(_("value"), max_length=255, blank=True)
    code = models.CharField(max_length=40)
    reason_zh = models.CharField(max_length=255)
    reason_en = models.CharField(max_length=255)
    original_enc = models.TextField()

    class Meta:
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")

    def __str__(self) -> str:
        return f"{self.roster_import_id}:{self.row_number} {self.code}"


class Sender(models.Model):
    """A hospital that pushes birth and death notifications (实时通) through the API.

    It acts as its own account, which holds no role: its tokens can post notifications
    and read nothing of the register. Its notifications go to ``orgunit``'s worklist.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("receiving org unit"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="push_sender"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification sender")
        verbose_name_plural = _("notification senders")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PushNotification(models.Model):
    """One notification as received: the sender's id makes a repeat idempotent."""

    sender = models.ForeignKey(Sender, on_delete=models.PROTECT, related_name="notifications")
    sender_ref = models.CharField(_("sender's id"), max_length=80)
    kind = models.CharField(_("roster kind"), max_length=24)
    fingerprint = models.CharField(max_length=64)
    row = models.OneToOneField(RosterRow, on_delete=models.CASCADE, related_name="notification")
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("pushed notification")
        verbose_name_plural = _("pushed notifications")
        constraints = [
            models.UniqueConstraint(fields=["sender", "sender_ref"], name="push_once_per_sender")
        ]

    def __str__(self) -> str:
        return f"{self.sender_id}:{self.sender_ref}"


class LinkageModel(models.Model):
    """The trained linkage model (Splink settings with m- and u-probabilities) kept for one
    roster kind, receiving unit and pass, reused by later imports until retrained."""

    kind = models.CharField(_("roster kind"), max_length=24)
    orgunit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=24)  # "probabilistic" or "mother_name"
    trained_at = models.DateTimeField(_("trained"))
    register_size = models.PositiveIntegerField()
    roster_import = models.ForeignKey(
        RosterImport, null=True, on_delete=models.SET_NULL, related_name="+"
    )  # the import it was trained on
    splink = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")
        constraints = [
            models.UniqueConstraint(fields=["kind", "orgunit", "stage"], name="linkage_model_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.orgunit_id} {self.stage}"
