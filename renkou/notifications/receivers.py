"""Who is told of what: receivers of the registry's, the jobs' and the benefit cycles' signals.

Each runs inside the transaction of the event it tells of (the signals are sent there),
so a rolled-back event leaves no notification behind.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse

from renkou.notifications.models import Verb
from renkou.notifications.services import active_user_ids, holders, notify, reviewers_of

# Derived by the register itself (a spouse's death), not reported by anyone.
UNREPORTED_KINDS = frozenset({"widowhood", "enrol"})


def _event_params(event: Any) -> dict[str, Any]:
    if event.person_id is not None:
        name = event.person.name
    else:
        name = (event.payload or {}).get("state", {}).get("name", "")
    return {"kind": event.kind, "name": name, "village": event.orgunit.name}


def on_event_submitted(sender: Any, event: Any, actor: Any = None, **kwargs: Any) -> None:
    """A new submission: its village's reviewers are told (not the one who filed it)."""
    if event.kind in UNREPORTED_KINDS or event.historic:
        return
    recipients = reviewers_of(event.orgunit_id) - {getattr(actor, "pk", None)}
    notify(
        recipients=recipients,
        verb=Verb.RESUBMITTED if event.replaces_id else Verb.SUBMITTED,
        params=_event_params(event),
        object_type="event",
        object_id=event.pk,
        orgunit=event.orgunit_id,
    )


def _tell_reporter(event: Any, actor: Any, verb: str, **extra: Any) -> None:
    if event.kind in UNREPORTED_KINDS or event.reporter_id is None:
        return
    if event.reporter_id == getattr(actor, "pk", None):
        return  # who decided their own report knows
    notify(
        recipients=active_user_ids([event.reporter_id]),
        verb=verb,
        params=_event_params(event) | extra,
        object_type="event",
        object_id=event.pk,
        orgunit=event.orgunit_id,
    )


def on_event_applied(sender: Any, event: Any, actor: Any = None, **kwargs: Any) -> None:
    """A report applied: its reporter is told."""
    _tell_reporter(event, actor if actor is not None else event.reviewed_by, Verb.APPLIED)


def on_event_rejected(sender: Any, event: Any, actor: Any = None, **kwargs: Any) -> None:
    """A report rejected: its reporter is told, with the reason."""
    _tell_reporter(event, actor, Verb.REJECTED, reason=event.reject_reason)


def _job_url(job: Any) -> str:
    """The page where a job's outcome is read, by its kind."""
    try:
        if job.kind.startswith("exchange."):
            return reverse("exchange_job", args=[job.pk])
        if job.kind == "reports.generate":
            return reverse("report_job", args=[job.pk])
        if job.kind == "benefits.compute":
            cycle = (job.result or {}).get("cycle") if isinstance(job.result, dict) else None
            if cycle:
                return reverse("benefits_cycle", args=[cycle])
            return reverse("benefits_area", args=[job.orgunit]) if job.orgunit else ""
        if job.kind == "quality.run" and job.orgunit:
            return reverse("quality_unit", args=[job.orgunit])
        if job.kind == "indicators.compute":
            return reverse("statistics")
        if job.kind == "targets.compute":
            return reverse("targets")
    except NoReverseMatch:
        return ""
    return ""


def on_job_ended(sender: Any, job: Any, **kwargs: Any) -> None:
    """A background job finished or failed: whoever started it is told."""
    if job.created_by_id is None:
        return
    notify(
        recipients=active_user_ids([job.created_by_id]),
        verb=Verb.JOB_DONE if job.status == "done" else Verb.JOB_FAILED,
        params={"job": job.kind, "url": _job_url(job)},
        object_type="job",
        object_id=job.pk,
        orgunit=job.orgunit,
    )


def on_cycle_noticed(sender: Any, cycle: Any, **kwargs: Any) -> None:
    """A cycle's notice is published: from the day approval opens (after the notice and its
    minimum days), the cycle waits for the approval of a county administrator of its area
    other than the one who computed it."""
    from renkou.benefits.services import approval_from

    recipients = holders(cycle.orgunit_id, "county_admin") - {cycle.computed_by_id}
    notify(
        recipients=recipients,
        verb=Verb.CYCLE_APPROVAL,
        params={"programme": cycle.programme, "year": cycle.year, "area": cycle.orgunit.name},
        object_type="benefits.cycle",
        object_id=cycle.pk,
        orgunit=cycle.orgunit_id,
        visible_from=approval_from(cycle) or cycle.notice_until + datetime.timedelta(days=1),
    )


def connect() -> None:
    """Connect the receivers (from the app's ``ready``)."""
    from renkou.benefits.services import cycle_noticed
    from renkou.core.jobs import job_ended
    from renkou.registry.signals import event_applied, event_rejected, event_submitted

    event_submitted.connect(on_event_submitted, dispatch_uid="notifications.submitted")
    event_applied.connect(on_event_applied, dispatch_uid="notifications.applied")
    event_rejected.connect(on_event_rejected, dispatch_uid="notifications.rejected")
    job_ended.connect(on_job_ended, dispatch_uid="notifications.job")
    cycle_noticed.connect(on_cycle_noticed, dispatch_uid="notifications.cycle")
