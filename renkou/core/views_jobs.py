"""Starting a failed background job again from the page that shows it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.jobs import PERMISSIONS, RestartRefused, job_restart
from renkou.core.models import Job
from renkou.core.scoping import may, restrict


def job_may_restart(user: Any, job: Job) -> bool:
    """Whether ``user`` may start ``job`` again: who started it, or who may do that kind of
    work at the job's unit."""
    permission = PERMISSIONS.get(job.kind)
    return job.created_by_id == user.pk or (
        bool(permission) and bool(job.orgunit) and may(user, permission, job.orgunit)
    )


def _back(request: HttpRequest) -> str:
    """The page to go back to: ``next`` when it is a page of this site, else home."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    parts = urlsplit(target)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@login_required
@require_POST
def job_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a failed job again with its parameters (audited), for whoever started it or
    may do that kind of work at the job's unit."""
    job = restrict(Job.objects.all(), request.user).filter(pk=pk).first()
    if job is None:
        job = Job.objects.filter(pk=pk, created_by=request.user.pk).first()
    if job is None:
        raise Http404
    if not job_may_restart(request.user, job):
        raise PermissionDenied
    try:
        job_restart(job=job, actor=request.user)
    except RestartRefused:
        messages.error(request, _("Only a job that failed can be started again."))
    else:
        messages.success(request, _("The job has started again; this page shows its progress."))
    return redirect(_back(request))
