"""Writes of notifications: who is told of what, and marking read.

Notifications are written by the receivers of the registry's, the jobs' and the benefit
cycle's signals, inside the transaction of the event they tell of: rolled back with it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from renkou.core.audit import audit_record
from renkou.core.models import RoleAssignment
from renkou.notifications.models import Notification, Verb

# The messages, untranslated (msgids); the reader's language renders them (selectors).
MESSAGES: dict[str, str] = {
    Verb.SUBMITTED: gettext_noop("New report to review: %(kind)s of %(name)s, %(village)s"),
    Verb.RESUBMITTED: gettext_noop("Corrected report to review: %(kind)s of %(name)s, %(village)s"),
    Verb.APPLIED: gettext_noop("Your report was applied: %(kind)s of %(name)s"),
    Verb.REJECTED: gettext_noop(
        "Your report was rejected: %(kind)s of %(name)s. Reason: %(reason)s"
    ),
    Verb.JOB_DONE: gettext_noop("Background job finished: %(job)s"),
    Verb.JOB_FAILED: gettext_noop("Background job failed: %(job)s"),
    Verb.CYCLE_APPROVAL: gettext_noop(
        "Benefit cycle waiting for your approval: %(programme)s %(year)s, %(area)s"
    ),
}

# Petitions and hotline cases (renkou.cases)
CASE_ASSIGNED = Verb.CASE_ASSIGNED
CASE_ACCEPT_LATE = Verb.CASE_ACCEPT_LATE
CASE_ANSWER_LATE = Verb.CASE_ANSWER_LATE
MESSAGES |= {
    CASE_ASSIGNED: gettext_noop("A case was given to you: %(number)s, %(category)s"),
    CASE_ACCEPT_LATE: gettext_noop(
        "Case %(number)s (%(category)s) was to be accepted by %(due)s and is not yet"
    ),
    CASE_ANSWER_LATE: gettext_noop(
        "Case %(number)s (%(category)s) was to be answered by %(due)s and is not yet"
    ),
}


def _ancestors(code: str) -> list[str]:
    """Every code prefix of ``code`` (the units whose subtree holds it, itself included)."""
    return [code[:i] for i in range(1, len(code) + 1)]


def holders(code: str, role: str) -> set[int]:
    """Ids of active users holding ``role`` at a unit whose subtree holds ``code``."""
    return set(
        RoleAssignment.objects.filter(
            role=role, orgunit_id__in=_ancestors(code), user__is_active=True
        ).values_list("user_id", flat=True)
    )


def reviewers_of(code: str) -> set[int]:
    """Who is told of a new submission of village ``code``: its reviewers.

    Statisticians and county administrators may both review a village (``core.scoping``),
    but the township statisticians do the daily review: the reviewers are the
    statisticians whose area holds the village, and only where no statistician covers it,
    the county administrators whose area holds it (they then review it themselves).
    """
    return holders(code, "statistician") or holders(code, "county_admin")


def notify(
    *,
    recipients: Iterable[int],
    verb: str,
    params: dict[str, Any],
    object_type: str,
    object_id: Any,
    orgunit: str = "",
    visible_from: datetime.date | None = None,
) -> int:
    """Tell each of ``recipients`` (user ids) of one event, once; returns how many were new.

    Runs in the caller's transaction. A user already told of this event (same verb and
    object) is not told again.
    """
    ids = sorted(set(recipients))
    if not ids:
        return 0
    already = set(
        Notification.objects.filter(
            recipient_id__in=ids, verb=verb, object_type=object_type, object_id=str(object_id)
        ).values_list("recipient_id", flat=True)
    )
    rows = [
        Notification(
            recipient_id=uid,
            verb=verb,
            msgid=MESSAGES[verb],
            params=params,
            object_type=object_type,
            object_id=str(object_id),
            orgunit=orgunit,
            visible_from=visible_from,
        )
        for uid in ids
        if uid not in already
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: Any) -> Notification:
    """Mark one of the actor's notifications read (audited; reading it again changes nothing)."""
    if notification.recipient_id != actor.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(
            actor=actor,
            action="notification.read",
            object_type="notification",
            object_id=notification.pk,
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Any, today: datetime.date | None = None) -> int:
    """Mark all the actor's shown unread notifications read; returns how many (audited)."""
    from renkou.notifications.selectors import notifications_for

    unread = notifications_for(actor, today=today).filter(read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True))
    if ids:
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        audit_record(
            actor=actor,
            action="notification.read_all",
            object_type="user",
            object_id=actor.pk,
            after={"count": len(ids)},
        )
    return len(ids)


def withdraw_pending(
    *,
    verbs: Iterable[str],
    object_type: str,
    object_id: Any,
    recipients: Iterable[int] | None = None,
) -> int:
    """Remove the unread notifications of ``verbs`` about one object (a reminder of a
    deadline the object no longer has); returns how many. Read ones stay: they are what the
    reader was told. Runs in the caller's transaction."""
    qs = Notification.objects.filter(
        verb__in=list(verbs), object_type=object_type, object_id=str(object_id), read_at=None
    )
    if recipients is not None:
        qs = qs.filter(recipient_id__in=list(recipients))
    return qs.delete()[0]


def active_user_ids(ids: Iterable[int | None]) -> set[int]:
    """The ids among ``ids`` of users who are still active."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    users = get_user_model().objects.filter(pk__in=wanted, is_active=True)
    return set(users.values_list("pk", flat=True))
