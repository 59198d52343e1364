"""Core models: the append-only audit log and named counters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(PermissionError):
    """Raised on any attempt to change or remove audit rows through the application."""


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    """Audit rows can be read and added, never updated or deleted in bulk."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log is append-only")


class AuditLog(models.Model):
    """One audited action: who, when, from where, what, why; chained by hash.

    Rows are only ever inserted (``core.audit.audit_record``); each carries the hash of
    the previous row so that editing or deleting a row in the database is detectable by
    ``renkou audit verify``.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    ip = models.CharField(_("client address"), max_length=45, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log is append-only")


class Counter(models.Model):
    """A named monotonically increasing number (e.g. the event application sequence)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PasswordState(models.Model):
    """Whether a user must choose a new password at the next sign-in (one-time passwords)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_state"
    )
    must_change = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("password state")

    def __str__(self) -> str:
        return f"{self.user_id}: {'must change' if self.must_change else 'ok'}"


class Role(models.TextChoices):
    """What a user may do in the org unit they are assigned to."""

    REPORTER = "reporter", _("Village reporter")
    STATISTICIAN = "statistician", _("Township statistician")
    COUNTY_ADMIN = "county_admin", _("County administrator")
    AUDITOR = "auditor", _("Auditor")
    SERVICE_STAFF = "service_staff", _("Service staff")
    SYSADMIN = "sysadmin", _("System administrator")


class RoleAssignment(models.Model):
    """A user holds a role in an org unit and so sees that unit's subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    orgunit = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "orgunit"], name="unique_role_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} @ {self.orgunit_id}"


class JobStatus(models.TextChoices):
    """Where a background job is."""

    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobFailure(models.TextChoices):
    """Why a job failed, when the reason is not the runner's own error."""

    NONE = "", _("The job's own error")
    WORKER_STOPPED = "worker_stopped", _("The worker stopped while it ran")


class Job(models.Model):
    """A piece of long work started from a page, run by the worker, with its progress.

    While it runs, the worker holds a lease on it: ``worker_host``, ``worker_pid`` and
    ``worker_id`` say which process, ``heartbeat_at`` is renewed every few seconds
    (``renkou.core.jobs``). A job whose worker is gone is failed, or queued again when its
    kind is resumable.
    """

    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    orgunit = models.CharField(_("org unit"), max_length=12, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    failure = models.CharField(
        _("failure"), max_length=16, choices=JobFailure.choices, blank=True, default=""
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker_host = models.CharField(_("worker host"), max_length=100, blank=True)
    worker_pid = models.PositiveIntegerField(_("worker process"), null=True, blank=True)
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    retry_of = models.ForeignKey(
        "self",
        verbose_name=_("started again from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
    )

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["kind", "orgunit", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        """Progress as a whole percentage."""
        return round(self.progress * 100)

    @property
    def active(self) -> bool:
        """Still waiting or running."""
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class UserProfile(models.Model):
    """What the system keeps about a user beyond the account: their own language for the
    pages, and whether ``renkou init`` made them as a demo user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    demo = models.BooleanField(_("demo user"), default=False)

    class Meta:
        verbose_name = _("user profile")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'}{' demo' if self.demo else ''}"


class KeyCheck(models.Model):
    """What the keys of the data directory must give, stored beside the data they protect.

    ``blind_index_check`` is the blind index of a fixed text (an HMAC: it reveals nothing
    of the key), ``encryption_check`` the same text encrypted under the keyring. Keys that
    give another index, or cannot decrypt the token, are not the keys this database was
    written with (``renkou.core.keycheck``). One row.
    """

    blind_index_check = models.CharField(max_length=64)
    encryption_check = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"key check {self.blind_index_check[:8]}…"
