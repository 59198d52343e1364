"""The audit trail page for auditors: filter by action, person, object, time."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from renkou.core.audit import ACTION_LABELS
from renkou.core.models import AuditLog, Job
from renkou.core.scoping import restrict, user_roles

PAGE = 100
AUDIT_ROLES = frozenset({"auditor", "sysadmin", "county_admin"})


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Newest first, 100 a page; ``before`` pages back by row id (no counting of the table)."""
    if not user_roles(request.user) & AUDIT_ROLES:
        raise PermissionDenied
    params = {
        k: request.GET.get(k, "").strip()
        for k in ("action", "actor", "object_type", "object_id", "since", "until", "before")
    }
    qs = AuditLog.objects.all()
    if params["action"]:
        qs = qs.filter(action__startswith=params["action"])
    if params["actor"]:
        qs = qs.filter(actor_label=params["actor"])
    if params["object_type"]:
        qs = qs.filter(object_type=params["object_type"])
    if params["object_id"]:
        qs = qs.filter(object_id=params["object_id"])
    if since := _date(params["since"]):
        qs = qs.filter(at__date__gte=since)
    if until := _date(params["until"]):
        qs = qs.filter(at__date__lte=until)
    if params["before"].isdigit():
        qs = qs.filter(id__lt=int(params["before"]))
    rows = list(qs.order_by("-id")[: PAGE + 1])
    for row in rows:
        row.label = ACTION_LABELS.get(row.action, "")  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        **params,
        "rows": rows[:PAGE],
        "older": rows[PAGE - 1].id if len(rows) > PAGE else None,
        "query": request.GET.copy(),
        "actions": sorted(ACTION_LABELS.items(), key=lambda item: item[0]),
    }
    return render(request, "core/audit_list.html", context)


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A background job's progress (an htmx partial that polls itself while it runs)."""
    job = restrict(Job.objects.all(), request.user).filter(pk=pk).first()
    if job is None:
        job = Job.objects.filter(pk=pk, created_by=request.user.pk).first()
    if job is None:
        raise Http404
    return render(request, "core/_job.html", {"job": job})
