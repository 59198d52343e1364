"""A notification: one message for one user, stored as a msgid and its parameters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    """What a notification tells."""

    SUBMITTED = "submitted", _("New report to review")
    RESUBMITTED = "resubmitted", _("Corrected report to review")
    APPLIED = "applied", _("Report applied")
    REJECTED = "rejected", _("Report rejected")
    JOB_DONE = "job_done", _("Job finished")
    JOB_FAILED = "job_failed", _("Job failed")
    CYCLE_APPROVAL = "cycle_approval", _("Cycle waiting for approval")
    CASE_ASSIGNED = "case_assigned", _("Case given to you")
    CASE_ACCEPT_LATE = "case_accept_late", _("Case not accepted in time")
    CASE_ANSWER_LATE = "case_answer_late", _("Case not answered in time")


class Notification(models.Model):
    """One message for one user, rendered in the reader's language when shown.

    ``msgid`` is the untranslated message and ``params`` its %-parameters (codes, names),
    so the reader sees it in their language, not in the language of whoever caused it.
    ``orgunit`` is the area of the object: a notification is shown only while it lies in
    the reader's area. ``visible_from`` holds back one that concerns a later day (a cycle
    whose public notice ends then).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    verb = models.CharField(_("kind"), max_length=20, choices=Verb.choices)
    msgid = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    orgunit = models.CharField(_("org unit"), max_length=12, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    visible_from = models.DateField(null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # One event notifies each user once, whatever repeats it (a resubmitted form).
            models.UniqueConstraint(
                fields=["recipient", "verb", "object_type", "object_id"],
                name="unique_notification",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.verb} {self.object_type}:{self.object_id}"
