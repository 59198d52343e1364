"""The audit trail page for auditors: filter by action, person, object, time."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from renkou.core.audit_labels import (
    OBJECT_LABELS,
    action_label,
    all_action_labels,
    channel_label,
    object_label,
)
from renkou.core.jobs import job_live
from renkou.core.models import AuditLog, Job
from renkou.core.scoping import restrict, user_roles
from renkou.web.lists import Column, export_requested, list_export, paginate

PAGE = 100
AUDIT_ROLES = frozenset({"auditor", "sysadmin", "county_admin"})


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


AUDIT_FILTERS = ("action", "actor", "object_type", "object_id", "since", "until")


def _audit_rows(params: dict[str, str]) -> Any:
    """The audit rows matching the filters, newest first."""
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
    return qs.order_by("-id")


AUDIT_COLUMNS = (
    Column(_("Time"), lambda r: r.at, width=20),
    Column(_("User"), lambda r: r.actor_label),
    Column(_("Action"), lambda r: action_label(r.action) or r.action, width=30),
    Column(_("Action code"), lambda r: r.action, width=24),
    Column(_("Object type"), lambda r: object_label(r.object_type)),
    Column(_("Object id"), lambda r: r.object_id),
    Column(_("Reason"), lambda r: r.reason, width=30),
    Column(_("Address"), lambda r: r.ip),
    Column(_("Channel"), lambda r: channel_label(r.channel)),
)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Newest first, 100 a page with numbered pages; the filtered trail as xlsx (audited)."""
    if not user_roles(request.user) & AUDIT_ROLES:
        raise PermissionDenied
    params = {k: request.GET.get(k, "").strip() for k in AUDIT_FILTERS}
    qs = _audit_rows(params)
    if export_requested(request):
        return list_export(
            request,
            name="audit",
            rows=qs.iterator(chunk_size=2000),
            columns=AUDIT_COLUMNS,
            filters=params,
        )
    page = paginate(request, qs, per_page=PAGE)
    for row in page.rows:
        row.label = action_label(row.action)
        row.object_label = object_label(row.object_type)
        row.channel_label = channel_label(row.channel)
    context: dict[str, Any] = {
        **params,
        "rows": page.rows,
        "page": page,
        "actions": sorted(
            ((code, str(label)) for code, label in all_action_labels().items()),
            key=lambda item: item[0],
        ),
        "object_types": sorted(
            {code: object_label(code) for code in OBJECT_LABELS}.items(), key=lambda i: i[1]
        ),
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
    return render(request, "core/_job.html", {"job": job_live(job)})
