"""Quality pages: rates per unit with a chart, the findings list, confirming a finding."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.jobs import job_active, job_latest, job_start
from renkou.core.models import Job
from renkou.core.scoping import may, restrict
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.quality import services
from renkou.quality.models import Finding, Severity
from renkou.quality.rates import quality_rates
from renkou.quality.rule_names import rule_name
from renkou.quality.rules import BY_CODE, RULES
from renkou.registry.validation import EventRefused
from renkou.web.lists import (
    Column,
    bulk_messages,
    export_requested,
    list_export,
    paginate,
    selected_ids,
)
from renkou.web.views import breadcrumb, unit_for_user

PAGE = 100


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _chart(rows: list[Any]) -> dict[str, Any]:
    """ECharts option: both rates per sub-unit, as horizontal bars (readable on a phone)."""
    names = [r.name for r in rows]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {
                "name": _("Logic accuracy"),
                "type": "bar",
                "data": [r.logic_accuracy_percent for r in rows],
            },
            {
                "name": _("Completeness"),
                "type": "bar",
                "data": [r.completeness_percent for r in rows],
            },
        ],
    }


@login_required
def quality_overview(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Rates of a unit and its sub-units, with the open findings by rule."""
    unit = unit_for_user(request.user, code)
    rows = quality_rates(orgunit=unit)
    children = rows[1:]
    by_rule = list(
        Finding.objects.filter(code_prefix_q("unit", unit.code))
        .values("rule", "severity")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    last_job = job_latest(Job.objects.filter(kind="quality.run", orgunit=unit.code))
    return render(
        request,
        "quality/overview.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "total": rows[0],
            "children": children,
            "chart": json.dumps(_chart(children), ensure_ascii=False) if children else "",
            "by_rule": by_rule,
            "can_run": may(request.user, "review", unit.code),
            "job": last_job,
        },
    )


@login_required
@require_POST
def quality_run_start(request: HttpRequest, code: str) -> HttpResponse:
    """Queue a bulk check of the unit; the page then shows its progress."""
    unit = unit_for_user(request.user, code)
    if not may(request.user, "review", unit.code):
        raise PermissionDenied
    running = job_active(Job.objects.filter(kind="quality.run", orgunit=unit.code))
    if running is None:
        job_start(
            kind="quality.run",
            params={"orgunit": unit.code, "actor_id": request.user.pk},
            actor=request.user,
            orgunit=unit.code,
        )
        messages.success(request, _("The check has started; this page shows its progress."))
    return redirect("quality_unit", code=unit.code)


FINDING_FILTERS = ("unit", "rule", "severity")


def _finding_rows(request: HttpRequest, params: dict[str, str]) -> Any:
    """Open findings in the user's area matching the filters, newest first."""
    qs = restrict(Finding.objects.all(), request.user)
    if params["unit"]:
        qs = qs.filter(code_prefix_q("unit", params["unit"]))
    if params["rule"]:
        qs = qs.filter(rule=params["rule"])
    if params["severity"]:
        qs = qs.filter(severity=params["severity"])
    return qs.select_related("person").order_by("-id")


def _finding_message(f: Finding, zh: bool) -> str:
    rule = BY_CODE.get(f.rule)
    return rule.message(f.values, "zh" if zh else "en") if rule else f.rule


def _findings_export(request: HttpRequest, qs: Any, params: dict[str, str]) -> HttpResponse:
    names = dict(OrgUnit.objects.filter(code__in=qs.values("unit")).values_list("code", "name"))
    zh = _zh()
    severities = dict(Severity.choices)
    columns = (
        Column(_("Name"), lambda f: f.person.name),
        Column(_("Identity number"), lambda f: f.person.id_number_masked, id_number=True),
        Column(_("Unit"), lambda f: names.get(f.unit, f.unit)),
        Column(_("Unit code"), lambda f: f.unit),
        Column(_("Rule"), lambda f: rule_name(f.rule), width=28),
        Column(_("Rule code"), lambda f: f.rule, width=22),
        Column(_("Severity"), lambda f: severities.get(f.severity, f.severity)),
        Column(_("Finding"), lambda f: _finding_message(f, zh), width=50),
        Column(_("Found"), lambda f: f.found_at, width=20),
    )
    return list_export(
        request,
        name="findings",
        rows=qs.iterator(chunk_size=2000),
        columns=columns,
        filters=params,
    )


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    """Open findings in the user's area, filtered by unit, rule and severity; numbered
    pages of 100, the filtered list as xlsx; several findings of one rule confirmed at once."""
    params = {k: request.GET.get(k, "").strip() for k in FINDING_FILTERS}
    qs = _finding_rows(request, params)
    if export_requested(request):
        return _findings_export(request, qs, params)
    page = paginate(request, qs, per_page=PAGE)
    rows = page.rows
    names = dict(
        OrgUnit.objects.filter(code__in={f.unit for f in rows}).values_list("code", "name")
    )
    zh = _zh()
    for f in rows:
        f.message = _finding_message(f, zh)
        f.rule_name = rule_name(f.rule)
        f.unit_name = names.get(f.unit, f.unit)
        f.can_confirm = may(request.user, "review", f.unit)
    return render(
        request,
        "quality/findings.html",
        {
            **params,
            "rows": rows,
            "page": page,
            "rule_name": rule_name(params["rule"]) if params["rule"] else "",
            "can_bulk": bool(params["rule"]) and any(f.can_confirm for f in rows),
            "rules": [(r.code, rule_name(r.code)) for r in RULES],
            "severities": Severity.choices,
        },
    )


@login_required
@require_POST
def finding_confirm_bulk(request: HttpRequest) -> HttpResponse:
    """Confirm several findings of one rule with one reason; each is checked and audited
    on its own, and the page says how many were confirmed and which were refused."""
    result = services.findings_confirm_bulk(
        user=request.user,
        finding_ids=selected_ids(request),
        rule=request.POST.get("rule", ""),
        reason=request.POST.get("reason", ""),
    )
    bulk_messages(request, result)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/quality/") else reverse("finding_list"))


@login_required
@require_POST
def finding_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a finding as confirmed correct, with a reason: the rule stops flagging the person."""
    finding = restrict(Finding.objects.select_related("person"), request.user).filter(pk=pk).first()
    if finding is None:
        raise Http404
    if not may(request.user, "review", finding.unit):
        raise PermissionDenied
    try:
        services.finding_confirm(
            rule=finding.rule,
            reason=request.POST.get("reason", ""),
            actor=request.user,
            person=finding.person,
        )
    except EventRefused:
        messages.error(request, _("Give the reason why the record is correct."))
    else:
        messages.success(request, _("Confirmed: this rule no longer flags this person."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/quality/") else reverse("finding_list"))
