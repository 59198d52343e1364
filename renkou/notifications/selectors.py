"""Reads of notifications: a user's own, in their area, rendered in the reader's language."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from renkou.core.scoping import user_prefixes
from renkou.notifications.models import Notification
from renkou.orgunits.scoping import codes_prefix_q


def notifications_for(user: Any, today: datetime.date | None = None) -> QuerySet[Notification]:
    """The user's notifications that are due, about objects still in the user's area.

    A notification about a village the user no longer covers (a role revoked or moved) is
    not shown: what a notification says is personal data of that village.
    """
    today = today or timezone.localdate()
    qs = Notification.objects.filter(recipient_id=user.pk).filter(
        Q(visible_from__isnull=True) | Q(visible_from__lte=today)
    )
    prefixes = user_prefixes(user)
    if prefixes is not None:
        qs = qs.filter(Q(orgunit="") | codes_prefix_q("orgunit", prefixes))
    return qs


def unread_count(user: Any) -> int:
    """How many of the user's shown notifications are unread (the header's number)."""
    return notifications_for(user).filter(read_at__isnull=True).count()


def _param_label(name: str, value: Any) -> Any:
    """A code parameter as the reader reads it (an event kind, a job kind, a programme)."""
    from renkou.notifications.labels import label_of

    return label_of(name, value)


def message_of(notification: Notification) -> str:
    """The notification's text in the active language."""
    params = {k: _param_label(k, v) for k, v in (notification.params or {}).items()}
    try:
        return gettext(notification.msgid) % params
    except (KeyError, TypeError, ValueError):
        return gettext(notification.msgid)


def link_of(notification: Notification) -> str:
    """Where the notification's object is shown."""
    kind, pk = notification.object_type, notification.object_id
    if kind == "event":
        return reverse("change_detail", args=[pk])
    if kind == "benefits.cycle":
        return reverse("benefits_cycle", args=[pk])
    if kind == "cases.case":
        return reverse("case_detail", args=[pk])
    if kind == "job":
        target = (notification.params or {}).get("url", "")
        return str(target) if str(target).startswith("/") else reverse("job_status", args=[pk])
    return reverse("notification_list")
