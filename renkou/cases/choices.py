"""The fixed vocabularies of a case: channel, category, status, satisfaction.

There is deliberately no category for reporting someone's births or any other conduct of
a family (举报): the office serves petitioners, it does not take reports against them
(docs/cases.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How the case reached the office."""

    LETTER = "letter", _("Letter (来信)")
    VISIT = "visit", _("Visit (来访)")
    PHONE = "phone", _("Telephone (电话咨询)")
    HOTLINE = "hotline", _("12356 hotline")
    ONLINE = "online", _("Online petition (网上信访)")


class Category(models.TextChoices):
    """What the petitioner asks about."""

    CONSULTATION = "consultation", _("Policy consultation")
    BENEFITS = "benefits", _("Benefits and subsidies")
    CERTIFICATES = "certificates", _("Certificates and proofs")
    REGISTRATION = "registration", _("Birth registration and register records")
    SERVICES = "services", _("Health services")
    SERVICE_COMPLAINT = "service_complaint", _("Complaint about a service")
    STAFF_COMPLAINT = "staff_complaint", _("Complaint about staff")
    SUGGESTION = "suggestion", _("Suggestion")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    """Where a case is: registered, accepted and being handled, closed."""

    NEW = "new", _("Waiting to be accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class Satisfaction(models.TextChoices):
    """What the petitioner said of the reply when asked."""

    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Not satisfied")
    NOT_REACHED = "not_reached", _("Could not be reached")


class StepKind(models.TextChoices):
    """One entry of a case's history."""

    REGISTERED = "registered", _("Registered")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Handling step")
    EXTENDED = "extended", _("Deadline extended")
    CLOSED = "closed", _("Replied and closed")
