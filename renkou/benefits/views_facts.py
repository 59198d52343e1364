"""Pages of fact files: the imports of the user's areas, an upload started as a job with
its progress, and an import's outcome with every refused row and its reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from renkou.benefits import fact_files
from renkou.benefits.facts_import import KINDS
from renkou.benefits.models_facts import FactImport, FactKind
from renkou.core.audit import audit_record
from renkou.core.jobs import job_latest, job_live, job_start
from renkou.core.models import Job
from renkou.core.scoping import may, units_for
from renkou.exchange.reading import SUFFIXES
from renkou.exchange.uploads import upload_discard, upload_store
from renkou.exchange.views import problem_texts, receiving_units, zh
from renkou.orgunits.scoping import codes_prefix_q

JOB_KIND = "benefits.facts"
MAX_UPLOAD = 200 * 1024 * 1024
SHOWN_PROBLEMS = 500


def _units(user: Any) -> list[tuple[str, str]]:
    """(code, label) of the counties and townships where the user runs benefits."""
    return receiving_units(user, "benefits")


def _imports(user: Any) -> QuerySet[FactImport]:
    return FactImport.objects.filter(codes_prefix_q("orgunit_id", units_for(user, "benefits")))


class FactUploadForm(forms.Form):
    """A fact file, its kind and the area it is for."""

    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=FactKind.choices)
    orgunit = forms.ChoiceField(label=gettext_lazy("Area"))
    file = forms.FileField(label=gettext_lazy("File (xlsx, xls or csv)"))

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["orgunit"].choices = units

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in SUFFIXES:
            raise forms.ValidationError(_("Give an xlsx, xls or csv file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


def _kinds() -> list[dict[str, Any]]:
    """Each kind with the columns it reads (the first header each is known by)."""
    out = []
    for code, label in FactKind.choices:
        kind = KINDS[code]
        out.append(
            {
                "code": code,
                "label": label,
                "required": [c.synonyms[0] for c in kind.columns if c.required],
                "optional": [c.synonyms[0] for c in kind.columns if not c.required],
                "sample": code in fact_files.SAMPLE_KINDS,
            }
        )
    return out


@login_required
def facts_home(request: HttpRequest, kind: str = "") -> HttpResponse:
    """The fact imports of the user's areas, the upload form (for ``kind`` when a page
    naming a missing fact links here) and the latest upload's job."""
    units = _units(request.user)
    if not units:
        raise PermissionDenied
    job = job_latest(Job.objects.filter(kind=JOB_KIND, created_by=request.user.pk))
    refused: list[str] = []
    if job is not None:
        job = job_live(job)
        refused = problem_texts(request, (job.result or {}).get("refused_file", [])[:50])
    return render(
        request,
        "benefits/facts.html",
        {
            "form": FactUploadForm(
                units=units, initial={"kind": kind} if kind in FactKind.values else None
            ),
            "imports": _imports(request.user).select_related("orgunit").order_by("-pk")[:100],
            "job": job,
            "job_refused": refused,
            "kinds": _kinds(),
            "demo": fact_files.demo_installation(),
        },
    )


@login_required
@require_POST
def facts_upload(request: HttpRequest) -> HttpResponse:
    """Keep the uploaded file and start its import as a job (the page shows its progress)."""
    units = _units(request.user)
    if not units:
        raise PermissionDenied
    form = FactUploadForm(request.POST, request.FILES, units=units)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("benefits_facts")
    unit = form.cleaned_data["orgunit"]
    if not may(request.user, "benefits", unit):
        raise PermissionDenied
    upload = form.cleaned_data["file"]
    path = upload_store(upload.chunks(), upload.name)
    try:
        job_start(
            kind=JOB_KIND,
            params={
                "upload": str(path),
                "file_name": upload.name,
                "kind": form.cleaned_data["kind"],
                "orgunit": unit,
                "actor_id": request.user.pk,
            },
            actor=request.user,
            orgunit=unit,
        )
    except BaseException:  # no clear-text upload is left behind
        upload_discard(path)
        raise
    messages.success(request, _("The file is being imported; this page shows its progress."))
    return redirect("benefits_facts")


@login_required
def fact_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One fact import: its counts, the columns read, and every refused row with its reason."""
    imp = _imports(request.user).select_related("orgunit", "created_by").filter(pk=pk).first()
    if imp is None:
        raise Http404
    chinese = zh(request)
    problems = [
        {
            "row": p.row_number,
            "column": p.column,
            "value": p.value,
            "reason": p.reason_zh if chinese else p.reason_en,
        }
        for p in imp.problems.all()[:SHOWN_PROBLEMS]
    ]
    kind = KINDS[imp.kind]
    columns = [
        {
            "header": imp.mapping.get(c.name, ""),
            "label": c.synonyms[0],
            "required": c.required,
        }
        for c in kind.columns
    ]
    return render(
        request,
        "benefits/fact_import.html",
        {
            "imp": imp,
            "problems": problems,
            "more": max(imp.rows_quarantined and imp.problems.count() - SHOWN_PROBLEMS, 0),
            "columns": columns,
        },
    )


def _download(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def fact_template(request: HttpRequest, kind: str) -> HttpResponse:
    """An empty file of the kind: its headers only."""
    if kind not in FactKind.values or not _units(request.user):
        raise Http404
    return _download(fact_files.template_xlsx(kind), f"{kind}-template.xlsx")


@login_required
def fact_sample(request: HttpRequest, kind: str) -> HttpResponse:
    """A sample file of the kind made from the register of the user's area, while the
    installation has its demo users (identity numbers in clear: audited as an export)."""
    units = _units(request.user)
    if kind not in fact_files.SAMPLE_KINDS or not units or not fact_files.demo_installation():
        raise Http404
    area = units[0][0]
    data, rows = fact_files.sample_xlsx(kind, area, timezone.localdate())
    audit_record(
        actor=request.user,
        action="benefits.facts.sample",
        object_type="orgunit",
        object_id=area,
        after={"kind": kind, "rows": rows},
    )
    return _download(data, f"{kind}-sample-{area}.xlsx")
