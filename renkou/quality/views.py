"""Findings pages: the list per org unit (filter by rule, severity, village) and confirming."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.scoping import can_see_code, may, restrict, user_prefixes
from renkou.orgunits.models import OrgUnit
from renkou.quality.models import Finding, Severity
from renkou.quality.rates import quality_rates
from renkou.quality.rules import BY_CODE, RULES
from renkou.quality.services import finding_confirm
from renkou.registry.models import Person
from renkou.registry.validation import EventRefused

PAGE = 200


def _visible(user: Any):
    """Findings of the persons the user may see (ARCHITECTURE rule 3, through ``restrict``)."""
    return Finding.objects.filter(person__in=restrict(Person.objects.all(), user))


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    """Findings the user may see, filtered by rule, severity and village (code prefix)."""
    rule = request.GET.get("rule", "")
    severity = request.GET.get("severity", "")
    village = request.GET.get("village", "").strip()
    qs = _visible(request.user).select_related("person")
    if rule in BY_CODE:
        qs = qs.filter(rule=rule)
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if village.isdigit():
        qs = qs.filter(unit__startswith=village)
    rows = list(qs.order_by("unit", "rule", "person_id")[: PAGE + 1])
    language = "zh" if request.LANGUAGE_CODE.startswith("zh") else "en"
    findings = [
        {
            "finding": f,
            "message": BY_CODE[f.rule].message(f.values, language) if f.rule in BY_CODE else "",
            "can_confirm": may(request.user, "review", f.unit),
        }
        for f in rows[:PAGE]
    ]
    return render(
        request,
        "quality/finding_list.html",
        {
            "findings": findings,
            "more": len(rows) > PAGE,
            "rules": [r.code for r in RULES],
            "rule": rule,
            "severity": severity,
            "village": village,
            "severities": Severity.choices,
        },
    )


@login_required
@require_POST
def finding_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a finding's record as correct, with the reason (a reviewer of its village)."""
    finding = _visible(request.user).filter(pk=pk).select_related("person").first()
    if finding is None:
        raise Http404
    if not may(request.user, "review", finding.unit):
        raise PermissionDenied
    try:
        finding_confirm(
            person=finding.person,
            rule=finding.rule,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except EventRefused:
        messages.error(request, _("Give the reason why the record is correct."))
    else:
        messages.success(request, _("Confirmed: this rule no longer flags the record."))
    return redirect(f"{reverse('finding_list')}?{request.GET.urlencode()}")


@login_required
def quality_overview(request: HttpRequest) -> HttpResponse:
    """Logic accuracy and completeness of an org unit and each of its child units, with counts."""
    prefixes = user_prefixes(request.user)  # None: everything; []: nothing
    if prefixes == []:
        raise PermissionDenied
    code = request.GET.get("orgunit", "")
    if not code:
        top = OrgUnit.objects.filter(parent__isnull=True).order_by("code").first()
        code = prefixes[0] if prefixes else (top.code if top else "")
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not can_see_code(request.user, unit.code):
        raise Http404
    day = None
    if request.GET.get("date"):
        try:
            day = datetime.date.fromisoformat(request.GET["date"])
        except ValueError:
            day = None
    rows = quality_rates(orgunit=unit, day=day)
    return render(
        request,
        "quality/overview.html",
        {"unit": unit, "total": rows[0], "children": rows[1:], "date": rows[0].date},
    )
