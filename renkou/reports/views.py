"""The reports page of an org unit: choose period, language and kind; the report is made in
the background, and the page shows its progress and then the download links."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from renkou.analytics.models import IndicatorValue
from renkou.analytics.views import default_period, period_choices
from renkou.core.audit import audit_record
from renkou.core.jobs import job_live, job_start
from renkou.core.models import Job
from renkou.core.scoping import restrict
from renkou.reports.data import ReportError, period_of
from renkou.reports.jobs import job_dir
from renkou.web.views import breadcrumb, unit_for_user

KIND = "reports.generate"
RECENT = 10
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


@login_required
def report_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The form to make a report of a unit, and the unit's recent reports."""
    unit = unit_for_user(request.user, code)
    error = ""
    if request.method == "POST":
        kind = _choice(request.POST.get("kind", ""), ("forms", "summary"))
        lang = _choice(request.POST.get("lang", ""), ("zh", "en"))
        basis = _choice(request.POST.get("basis", ""), ("registered", "resident"))
        text = request.POST.get("period", "").strip()
        try:
            period = period_of(text)
            if not IndicatorValue.objects.filter(
                orgunit=unit.code, period=period.id, basis=basis
            ).exists():
                raise ReportError(
                    _(
                        "The figures of %(period)s are not computed yet: compute them on the "
                        "statistics page first."
                    )
                    % {"period": period.id}
                )
        except ReportError as exc:
            error = str(exc)
        else:
            job_start(
                kind=KIND,
                params={
                    "token": uuid.uuid4().hex,
                    "kind": kind,
                    "orgunit": unit.code,
                    "period": period.id,
                    "lang": lang,
                    "basis": basis,
                    "actor_id": request.user.pk,
                },
                actor=request.user,
                orgunit=unit.code,
            )
            messages.success(request, _("The report is being made; this page shows its progress."))
            return redirect("reports_unit", code=unit.code)
    jobs = [
        job_live(job)
        for job in restrict(
            Job.objects.filter(kind=KIND, orgunit=unit.code), request.user
        ).order_by("-created_at")[:RECENT]
    ]
    return render(
        request,
        "reports/page.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "periods": period_choices(),
            "default_period": default_period(unit, "registered").id,
            "jobs": jobs,
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=400 if error else 200,
    )


def _job(request: HttpRequest, pk: int) -> Job:
    job = restrict(Job.objects.filter(kind=KIND), request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job_live(job)


@login_required
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A report job's progress and, once done, its files (an htmx partial that polls)."""
    return render(request, "reports/_job.html", {"job": _job(request, pk)})


@login_required
def report_download(request: HttpRequest, pk: int, name: str) -> FileResponse:
    """One file of a finished report job (audited)."""
    job = _job(request, pk)
    files = (job.result or {}).get("files", [])
    if name not in files:
        raise Http404
    path = job_dir(job.params["token"]) / Path(name).name
    if not path.exists():
        raise Http404
    audit_record(
        actor=request.user,
        action="report.download",
        object_type="job",
        object_id=job.pk,
        after={"file": name, **{k: job.params.get(k) for k in ("kind", "orgunit", "period")}},
    )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Type"] = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    return response
