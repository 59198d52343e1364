"""Exchange pages: upload a roster, confirm its columns, follow the import, see its outcome."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from renkou.core.audit import audit_record
from renkou.core.jobs import job_active, job_latest, job_live, job_start
from renkou.core.models import Job
from renkou.core.problems import InputRefused, Problem
from renkou.core.scoping import may, own_unit_code, restrict, units_for
from renkou.exchange import labels
from renkou.exchange.completeness import completeness, latest_year
from renkou.exchange.forms import UploadForm, kind_choices
from renkou.exchange.kinds import KINDS, confirmed_mapping
from renkou.exchange.models import Outcome, RosterImport
from renkou.exchange.selectors import quarantine_bytes, register_not_in_roster
from renkou.exchange.services import Preview, roster_preview
from renkou.exchange.uploads import upload_discard, upload_path, upload_store
from renkou.orgunits.models import Level, OrgUnit
from renkou.orgunits.scoping import codes_prefix_q
from renkou.web.views import breadcrumb, unit_for_user

JOB_KIND = "exchange.import"


def zh(request: HttpRequest) -> bool:
    """Whether the page is shown in Chinese."""
    return getattr(request, "LANGUAGE_CODE", "zh-hans").startswith("zh")


def receiving_units(user: Any, action: str = "review") -> list[tuple[str, str]]:
    """(code, label) of the counties and townships where the user may import rosters (or
    do ``action``: "benefits" for the files of benefit facts)."""
    units = OrgUnit.objects.filter(
        codes_prefix_q("code", units_for(user, action)),
        level__in=[Level.COUNTY, Level.TOWNSHIP],
        valid_to__isnull=True,
    ).order_by("code")[:500]
    return [(u.code, f"{u.name} ({u.code})") for u in units]


def problem_texts(
    request: HttpRequest, problems: list[Problem] | list[dict[str, Any]]
) -> list[str]:
    """Problems as one line each (file, row, column, reason) in the page's language."""
    lines = []
    for p in problems:
        d = p if isinstance(p, dict) else p.__dict__
        where = [d["file"]]
        if d["row"]:
            where.append(_("row %(row)s") % {"row": d["row"]})
        if d["column"]:
            where.append(_("column %(column)s") % {"column": d["column"]})
        lines.append(f"{', '.join(where)}: {d['message_zh'] if zh(request) else d['message_en']}")
    return lines


def _import_for(user: Any, pk: int) -> RosterImport:
    imp = restrict(RosterImport.objects.select_related("orgunit"), user).filter(pk=pk).first()
    if imp is None:
        raise Http404
    return imp


@login_required
def exchange_home(request: HttpRequest) -> HttpResponse:
    """The imports in the user's area, newest first, and the upload form."""
    units = receiving_units(request.user)
    imports = list(
        restrict(RosterImport.objects.select_related("orgunit"), request.user).order_by(
            "-created_at"
        )[:100]
    )
    names = dict(kind_choices(zh(request)))
    for imp in imports:
        imp.kind_label = names.get(imp.kind, imp.kind)
    jobs = [
        job
        for job in (
            job_live(j)
            for j in Job.objects.filter(
                kind=JOB_KIND, created_by=request.user.pk, status__in=["queued", "running"]
            ).order_by("-created_at")[:5]
        )
        if job.active
    ]
    return render(
        request,
        "exchange/home.html",
        {
            "imports": imports,
            "form": UploadForm(units=units, zh=zh(request)) if units else None,
            "jobs": jobs,
        },
    )


def _start(
    request: HttpRequest, *, token: str, file_name: str, kind: str, unit: str, columns: Any
) -> HttpResponse:
    job = job_start(
        kind=JOB_KIND,
        params={
            "upload": str(upload_path(token)),
            "file_name": file_name,
            "kind": kind,
            "orgunit": unit,
            "columns": columns,
            "actor_id": request.user.pk,
        },
        actor=request.user,
        orgunit=unit,
    )
    return redirect("exchange_job", pk=job.pk)


def _confirm_page(
    request: HttpRequest,
    *,
    token: str,
    file_name: str,
    kind: str,
    unit: str,
    preview: Preview,
    chosen: dict[str, int],
    errors: list[str],
) -> HttpResponse:
    roster_kind = KINDS[kind]
    columns = [
        {
            "name": c.name,
            "label": labels.column_label(c.name),
            "required": c.required,
            "chosen": chosen.get(c.name, -1),
            "guessed": c.name in preview.mapping.guessed,
        }
        for c in roster_kind.columns
    ]
    return render(
        request,
        "exchange/confirm.html",
        {
            "token": token,
            "file_name": file_name,
            "kind": kind,
            "kind_label": roster_kind.label_zh if zh(request) else roster_kind.label_en,
            "unit": unit,
            "headers": list(enumerate(preview.headers)),
            "columns": columns,
            "samples": preview.samples,
            "errors": errors,
            # Every column of the file not imported, and what it seems to hold (id, name, date).
            "ignored": [
                (f.header, f.looks_like) for f in preview.mapping.fates if f.fate == "ignored"
            ],
        },
    )


@login_required
@require_POST
def exchange_upload(request: HttpRequest) -> HttpResponse:
    """Keep the uploaded file, read its header; import at once or ask to confirm the columns."""
    units = receiving_units(request.user)
    if not units:
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES, units=units, zh=zh(request))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("exchange_home")
    upload = form.cleaned_data["file"]
    kind, unit = form.cleaned_data["kind"], form.cleaned_data["orgunit"]
    path = upload_store(upload.chunks(), upload.name)
    try:
        preview = roster_preview(path=path, kind=kind, file_name=upload.name)
    except InputRefused as refused:
        upload_discard(path)
        messages.error(request, _("Nothing was imported:"))
        for line in problem_texts(request, refused.problems):
            messages.error(request, line)
        return redirect("exchange_home")
    except BaseException:  # whatever went wrong, no clear-text upload is left behind
        upload_discard(path)
        raise
    if preview.already is not None:
        upload_discard(path)
        messages.info(request, _("This file was imported before; nothing was done again."))
        if can_see_import(request.user, preview.already):
            return redirect("exchange_import", pk=preview.already.pk)
        return redirect("exchange_home")
    if preview.mapping.unsure:
        return _confirm_page(
            request,
            token=path.name,
            file_name=upload.name,
            kind=kind,
            unit=unit,
            preview=preview,
            chosen=preview.mapping.columns,
            errors=[],
        )
    return _start(
        request, token=path.name, file_name=upload.name, kind=kind, unit=unit, columns=None
    )


def can_see_import(user: Any, imp: RosterImport) -> bool:
    """Whether the user may open this import's page."""
    return restrict(RosterImport.objects.filter(pk=imp.pk), user).exists()


@login_required
@require_POST
def exchange_confirm(request: HttpRequest) -> HttpResponse:
    """Start the import with the columns the person confirmed, or cancel it."""
    token, kind, unit = (request.POST.get(k, "") for k in ("token", "kind", "orgunit"))
    file_name = request.POST.get("file_name", "")[:255]
    path = upload_path(token)
    if kind not in KINDS or unit not in dict(receiving_units(request.user)):
        raise PermissionDenied
    if path is None:
        messages.error(request, _("The uploaded file is no longer here; upload it again."))
        return redirect("exchange_home")
    if "cancel" in request.POST:
        upload_discard(path)
        messages.info(request, _("Cancelled; the uploaded file was deleted."))
        return redirect("exchange_home")
    chosen = {}
    for column in KINDS[kind].columns:
        value = request.POST.get(f"col_{column.name}", "-1")
        chosen[column.name] = int(value) if value.lstrip("-").isdigit() else -1
    try:
        preview = roster_preview(path=path, kind=kind, file_name=file_name)
    except InputRefused as refused:
        upload_discard(path)
        for line in problem_texts(request, refused.problems):
            messages.error(request, line)
        return redirect("exchange_home")
    except BaseException:
        upload_discard(path)
        raise
    mapping = confirmed_mapping(KINDS[kind], preview.headers, chosen)
    if mapping.missing:
        missing = "、".join(labels.column_label(c) for c in mapping.missing)
        return _confirm_page(
            request,
            token=token,
            file_name=file_name,
            kind=kind,
            unit=unit,
            preview=preview,
            chosen=chosen,
            errors=[_("Choose the file's column for: %(columns)s") % {"columns": missing}],
        )
    return _start(
        request, token=token, file_name=file_name, kind=kind, unit=unit, columns=mapping.columns
    )


def _job_for(user: Any, pk: int) -> Job:
    kinds = [JOB_KIND, "exchange.link"]
    job = restrict(Job.objects.filter(kind__in=kinds), user).filter(pk=pk).first()
    if job is None:
        job = Job.objects.filter(kind__in=kinds, pk=pk, created_by=user.pk).first()
    if job is None:
        raise Http404
    job = job_live(job)
    job.step_label = labels.STEPS.get(job.step, job.step)
    job.problems = (job.result or {}).get("refused", [])[:50]
    return job


@login_required
def exchange_job(request: HttpRequest, pk: int) -> HttpResponse:
    """An upload's import and linking in progress; its result when done."""
    job = _job_for(request.user, pk)
    retry = job.retries.order_by("-pk").first()
    if retry is not None:  # started again: its page shows the new run
        return redirect("exchange_job", pk=retry.pk)
    return render(
        request,
        "exchange/job.html",
        {"job": job, "problems": problem_texts(request, job.problems)},
    )


def _say_if_imported_before(request: HttpRequest, result: dict[str, Any]) -> None:
    """Tell the person when the job found the rows imported before (as the upload does for
    the very same file)."""
    if result.get("created") is False and result.get("same_rows"):
        messages.info(
            request,
            _(
                "These rows were imported before from another file (re-encoded or re-saved);"
                " nothing was done again."
            ),
        )
    elif result.get("created") is False:
        messages.info(request, _("This file was imported before; nothing was done again."))


@login_required
def exchange_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The polling partial of an import job; once done, htmx is sent to the import page."""
    job = _job_for(request.user, pk)
    result = job.result or {}
    if job.status == "done" and result.get("import") and request.headers.get("HX-Request"):
        _say_if_imported_before(request, result)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("exchange_import", args=[result["import"]])
        return response
    return render(
        request,
        "exchange/_job.html",
        {"job": job, "problems": problem_texts(request, job.problems)},
    )


@login_required
def exchange_import(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its counts by outcome, column mapping, quarantine and worklist links."""
    imp = _import_for(request.user, pk)
    by_outcome = dict(
        imp.rows.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    open_by_outcome = dict(
        imp.rows.filter(decision="")
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    outcomes = [
        {
            "code": code,
            "label": label,
            "n": by_outcome.get(code, 0),
            "open": open_by_outcome.get(code, 0),
        }
        for code, label in Outcome.choices
        if code != Outcome.PENDING or by_outcome.get(code)
    ]
    kind = KINDS.get(imp.kind)
    mapping = [
        (labels.column_label(name), header, name in imp.mapping.get("guessed", []))
        for name, header in imp.mapping.get("columns", {}).items()
    ]
    reasons = list(
        imp.quarantined.values("code", "reason_zh", "reason_en")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    )
    for r in reasons:
        r["reason"] = r["reason_zh"] if zh(request) else r["reason_en"]
    not_listed = register_not_in_roster(imp)
    if not_listed is not None:
        not_listed = restrict(not_listed, request.user)
    return render(
        request,
        "exchange/import.html",
        {
            "imp": imp,
            "kind_label": (kind.label_zh if zh(request) else kind.label_en) if kind else imp.kind,
            "outcomes": outcomes,
            "decided": imp.rows.filter(~Q(decision="")).count(),
            "mapping": mapping,
            "ignored": imp.mapping.get("ignored", []),
            "reasons": reasons,
            "can_export": may(request.user, "review", imp.orgunit_id),
            "reverse": not_listed is not None,
            "not_listed": list(not_listed[:100]) if not_listed is not None else [],
            "not_listed_count": not_listed.count() if not_listed is not None else 0,
            "job": job_latest(
                Job.objects.filter(kind="exchange.link", params__roster_import=imp.pk)
            ),
        },
    )


@login_required
@require_POST
def exchange_relink(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the whole import again in the background (decisions already made are kept)."""
    imp = _import_for(request.user, pk)
    if not may(request.user, "review", imp.orgunit_id):
        raise PermissionDenied
    running = job_active(Job.objects.filter(kind="exchange.link", params__roster_import=imp.pk))
    if running is None:
        job_start(
            kind="exchange.link",
            params={"roster_import": imp.pk, "actor_id": request.user.pk},
            actor=request.user,
            orgunit=imp.orgunit_id,
        )
        messages.success(request, _("Linking has started; this page shows its progress."))
    return redirect("exchange_import", pk=imp.pk)


@login_required
def quarantine_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The quarantined rows with their original cells and a reason column (xlsx or csv).

    The file holds identity numbers as sent: reviewers only, and every download is audited.
    """
    if fmt not in ("csv", "xlsx"):
        raise Http404
    imp = _import_for(request.user, pk)
    if not may(request.user, "review", imp.orgunit_id):
        raise PermissionDenied
    data, n = quarantine_bytes(imp, fmt)
    audit_record(
        actor=request.user,
        action="exchange.quarantine_export",
        object_type="roster_import",
        object_id=imp.pk,
        after={"rows": n, "format": fmt},
    )
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="quarantine-{imp.pk}.{fmt}"'
    return response


@login_required
def completeness_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Completeness of birth and death registration in a unit and its sub-units, for a year:
    by default the user's own unit and the latest year that has births or deaths."""
    unit = unit_for_user(request.user, code if code is not None else own_unit_code(request.user))
    today = timezone.localdate()
    this_year = today.year
    latest = latest_year(unit, today) or this_year
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 1950 <= int(year_text) <= this_year else latest
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    births = completeness(unit=unit, event="birth", start=start, end=end)
    deaths = completeness(unit=unit, event="death", start=start, end=end)
    years = sorted({*range(this_year, this_year - 10, -1), latest, year}, reverse=True)
    return render(
        request,
        "exchange/completeness.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "year": year,
            "years": years,
            "births": [_completeness_row(r, ("hospital_births",)) for r in births],
            "deaths": [_completeness_row(r, ("hospital_deaths", "police_deaths")) for r in deaths],
            "gaps": _gaps(births + deaths, zh(request)),
        },
    )


def _completeness_row(row: Any, kinds: tuple[str, ...]) -> dict[str, Any]:
    """One unit's line of a completeness table: its rosters' figures in the table's order."""
    return {
        "code": row.code,
        "name": row.name,
        "in_register": row.in_register,
        "rosters": [
            {"listed": row.rosters[k], "share": row.share(k), "gap": row.rosters[k].gap}
            for k in kinds
        ],
    }


def _gaps(rows: list[Any], chinese: bool) -> list[dict[str, Any]]:
    """The different reasons why figures are not given, each with its roster and units."""
    out: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        for kind, listed in row.rosters.items():
            if listed.gap is not None:
                out.setdefault((kind, str(listed.gap)), []).append(row.name)
    return [
        {
            "roster": KINDS[kind].label_zh if chinese else KINDS[kind].label_en,
            "text": text,
            "units": pgettext("list separator", ", ").join(units),
        }
        for (kind, text), units in out.items()
    ]
