"""Coded values of the benefits app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.TextChoices):
    """The four family benefit programmes."""

    RURAL_REWARD = "rural_reward", _("Rural reward and assistance")
    SPECIAL_ASSISTANCE = "special_assistance", _("Special assistance")
    ONLY_CHILD = "only_child", _("Only-child health allowance")
    CHILDCARE = "childcare", _("Childcare subsidy")


def programme_choices() -> list[tuple[str, str]]:
    """The built-in programmes, then the local ones defined in YAML (``benefits.local``)."""
    from renkou.benefits.local import local_programmes

    built_in = [(value, str(label)) for value, label in Programme.choices]
    return built_in + [(code, p.label()) for code, p in local_programmes().items()]


def programme_label(code: str) -> str:
    """A programme's name in the page's language (the code itself when it is unknown)."""
    return dict(programme_choices()).get(code, code)


class Outcome(models.TextChoices):
    """A decision: eligible, not eligible, or cannot decide for a missing fact."""

    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    UNDECIDED = "undecided", _("Cannot decide")


class CycleStatus(models.TextChoices):
    """Where a yearly cycle (年度审核) is: computed → on notice → approved → paid → closed."""

    COMPUTED = "computed", _("Computed (draft)")
    NOTICE = "notice", _("On public notice")
    APPROVED = "approved", _("Approved")
    PAYING = "paying", _("Payment file issued")
    CLOSED = "closed", _("Reconciled")


class EntitlementStatus(models.TextChoices):
    """One month's (or year's) entitlement of one person."""

    DUE = "due", _("Due")
    IN_BATCH = "in_batch", _("In a payment file")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")
    RECOVER = "recover", _("Paid after death: to recover")


class ObjectionOutcome(models.TextChoices):
    """An objection (异议): open until decided, then upheld (the person is removed) or dismissed."""

    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld: removed from the list")
    DISMISSED = "dismissed", _("Dismissed: stays on the list")
