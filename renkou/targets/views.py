"""Pages of target agreements: the list, the agreement form (and copying last year's),
the scorecard of a period (ranking, watch list, each unit's targets), the trend across a
year's months, quarters or ten-day periods, the xlsx export, and computing missing figures."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.labels import not_a_period, period_name, period_text
from renkou.analytics.periods import Period, PeriodError, parse
from renkou.core.audit import audit_record
from renkou.core.jobs import job_active, job_start
from renkou.core.models import Job
from renkou.core.scoping import may, units_for
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import codes_prefix_q
from renkou.targets import catalogue, selectors, services
from renkou.targets.display import status_label
from renkou.targets.export import scorecard_xlsx
from renkou.targets.forms import (
    NEW_ROWS,
    AgreementForm,
    TargetFormSet,
    specs_from,
    target_formset,
)
from renkou.targets.jobs import year_periods
from renkou.targets.models import Agreement
from renkou.web.lists import XLSX

MAX_UNITS = 500


def _setting_units(user: Any) -> list[OrgUnit]:
    """The counties and townships whose agreements the user may set."""
    prefixes = units_for(user, "targets")
    qs = OrgUnit.objects.filter(codes_prefix_q("code", prefixes), level__in=services.SETTING_LEVELS)
    return [u for u in qs.order_by("code")[:MAX_UNITS] if services.may_set(user, u)]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The agreements the user may read, newest year first, and the start of a new one."""
    today = timezone.localdate()
    agreements = list(
        selectors.agreements_for(request.user)
        .annotate(n_targets=Count("targets"))
        .order_by("-year", "orgunit_id")[:200]
    )
    return render(
        request,
        "targets/home.html",
        {
            "agreements": agreements,
            "units": _setting_units(request.user),
            "year": today.year,
        },
    )


def _edit(
    request: HttpRequest, unit: OrgUnit, year: int | None, agreement: Agreement | None
) -> HttpResponse:
    if not services.may_set(request.user, unit):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        form = AgreementForm(request.POST)
        rows = TargetFormSet(request.POST, prefix="t")
        if form.is_valid() and rows.is_valid():
            data = form.cleaned_data
            if agreement is not None and data["year"] != agreement.year:
                errors.append(_("The year of an agreement cannot change: start a new one."))
            else:
                try:
                    saved = services.agreement_save(
                        unit=unit,
                        year=data["year"],
                        total_weight=data["total_weight"],
                        watch_line=data["watch_line"],
                        note=data["note"],
                        targets=specs_from(rows),
                        actor=request.user,
                    )
                except services.TargetsRefused as exc:
                    errors = [message for _field, message in exc.errors]
                except PermissionError:
                    raise PermissionDenied from None
                else:
                    messages.success(request, _("The agreement is saved."))
                    return redirect("targets_scorecard", pk=saved.pk)
    else:
        if agreement is not None:
            form = AgreementForm(
                initial={
                    "year": agreement.year,
                    "total_weight": agreement.total_weight,
                    "watch_line": agreement.watch_line,
                    "note": agreement.note,
                }
            )
            initial = [asdict(spec) for spec in services.specs_of(agreement)]
            rows = TargetFormSet(prefix="t", initial=initial)
        else:
            form = AgreementForm(initial={"year": year or timezone.localdate().year})
            rows = target_formset(NEW_ROWS)(prefix="t")
    return render(
        request,
        "targets/edit.html",
        {
            "unit": unit,
            "agreement": agreement,
            "form": form,
            "rows": rows,
            "errors": errors,
        },
    )


def _unit_param(request: HttpRequest) -> OrgUnit:
    code = (request.POST.get("unit") or request.GET.get("unit") or "").strip()
    unit = OrgUnit.objects.filter(code=code).first() if code.isdigit() else None
    if unit is None or not services.may_set(request.user, unit):
        raise PermissionDenied
    return unit


def _year_param(request: HttpRequest) -> int | None:
    text = (request.POST.get("year") or request.GET.get("year") or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


@login_required
def agreement_new(request: HttpRequest) -> HttpResponse:
    """A new agreement of a unit (its year's agreement, if it has one, is edited instead)."""
    unit = _unit_param(request)
    year = _year_param(request)
    existing = Agreement.objects.filter(orgunit=unit, year=year).first() if year else None
    if existing is not None and request.method != "POST":
        return redirect("targets_edit", pk=existing.pk)
    return _edit(request, unit, year, existing)


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an agreement's targets."""
    agreement = selectors.agreement_get(request.user, pk)
    return _edit(request, agreement.orgunit, agreement.year, agreement)


@login_required
@require_POST
def agreement_copy(request: HttpRequest) -> HttpResponse:
    """Start a year's agreement as a copy of last year's (one click)."""
    unit = _unit_param(request)
    year = _year_param(request)
    if year is None:
        messages.error(
            request,
            _("Year: give a year from %(first)d to %(last)d.") % {"first": 2000, "last": 2100},
        )
        return redirect("targets")
    try:
        copied = services.agreement_copy(unit=unit, year=year, actor=request.user)
    except services.TargetsRefused as exc:
        messages.error(request, str(exc))
        return redirect("targets")
    messages.success(
        request,
        _("The agreement of %(year)d is copied from %(last)d: check its targets.")
        % {"year": year, "last": year - 1},
    )
    return redirect("targets_edit", pk=copied.pk)


def _period(request: HttpRequest, agreement: Agreement) -> Period:
    text = request.GET.get("period", "").strip()
    return parse(text) if text else selectors.year_of(agreement)


def _bad_period(request: HttpRequest, agreement: Agreement, exc: PeriodError) -> HttpResponse:
    context = {"error": not_a_period(str(exc)), "back": f"/targets/{agreement.pk}/"}
    return render(request, "400.html", context, status=400)


def _unit_rows(card: selectors.Scorecard) -> list[dict[str, Any]]:
    rows = []
    for row in card.rows:
        items = []
        for target, outcome in zip(card.targets, row.score.targets, strict=True):
            items.append(
                {
                    "target": target,
                    "name": catalogue.CATALOGUE[target.indicator].label,
                    "m": outcome.measure,
                    "points": outcome.points,
                    "status": outcome.status,
                    "status_label": status_label(outcome.status),
                }
            )
        rows.append({"row": row, "items": items})
    return rows


@login_required
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    """An agreement's scores for a period: ranking, watch list, each unit's targets."""
    agreement = selectors.agreement_get(request.user, pk)
    try:
        period = _period(request, agreement)
    except PeriodError as exc:
        return _bad_period(request, agreement, exc)
    card = selectors.scorecard(agreement, period)
    computing = job_active(Job.objects.filter(kind="targets.compute", params__year=agreement.year))
    return render(
        request,
        "targets/scorecard.html",
        {
            "agreement": agreement,
            "unit": agreement.orgunit,
            "card": card,
            "units": _unit_rows(card),
            "period": period,
            "period_text": period_text(period),
            "periods": _period_links(agreement),
            "can_edit": services.may_set(request.user, agreement.orgunit),
            "can_compute": may(request.user, "review", agreement.orgunit_id),
            "computing": computing,
        },
    )


def _period_links(agreement: Agreement) -> list[tuple[str, str]]:
    year = selectors.year_of(agreement)
    quarters = [parse(f"{agreement.year}Q{q}") for q in range(1, 5)]
    return [(p.id, period_name(p)) for p in (year, *quarters)]


@login_required
def trend(request: HttpRequest, pk: int) -> HttpResponse:
    """Each unit's score and rank across the year's months, quarters or ten-day periods."""
    agreement = selectors.agreement_get(request.user, pk)
    kind = request.GET.get("kind", "month")
    kind = kind if kind in selectors.TREND_KINDS else "month"
    periods = selectors.trend_periods(agreement, kind, timezone.localdate())
    cards = selectors.scorecards(agreement, periods)
    units = selectors.scored_units(agreement)
    table = []
    for unit in units:
        cells = []
        for p in periods:
            row = next(r for r in cards[p.id].rows if r.unit.code == unit.code)
            cells.append(row)
        table.append((unit, cells))
    return render(
        request,
        "targets/trend.html",
        {
            "agreement": agreement,
            "unit": agreement.orgunit,
            "kind": kind,
            "kinds": [
                ("month", _("Months")),
                ("quarter", _("Quarters")),
                ("dekad", _("Ten-day periods")),
            ],
            "periods": [(p, period_name(p), cards[p.id].missing) for p in periods],
            "table": table,
            "missing": any(cards[p.id].missing for p in periods),
        },
    )


@login_required
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The scorecard of a period as xlsx (audited)."""
    agreement = selectors.agreement_get(request.user, pk)
    try:
        period = _period(request, agreement)
    except PeriodError as exc:
        return _bad_period(request, agreement, exc)
    card = selectors.scorecard(agreement, period)
    content = scorecard_xlsx(card)
    audit_record(
        actor=request.user,
        action="targets.scorecard.export",
        object_type="targets.agreement",
        object_id=agreement.pk,
        after={"period": period.id, "units": len(card.rows)},
    )
    response = HttpResponse(content, content_type=XLSX)
    name = f"targets-{agreement.orgunit_id}-{agreement.year}-{period.id}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def compute(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the computation of the agreement's year, quarters, months and ten days."""
    agreement = selectors.agreement_get(request.user, pk)
    if not may(request.user, "review", agreement.orgunit_id):
        raise PermissionDenied
    if job_active(Job.objects.filter(kind="targets.compute", params__year=agreement.year)) is None:
        job_start(
            kind="targets.compute",
            params={"year": agreement.year},
            actor=request.user,
            orgunit=agreement.orgunit_id,
        )
    messages.success(
        request,
        _(
            "The figures of %(year)d are being computed (%(n)d periods); "
            "this page shows them when ready."
        )
        % {"year": agreement.year, "n": len(year_periods(agreement.year))},
    )
    period = request.POST.get("period", "")
    suffix = f"?period={period}" if period and period.isascii() and len(period) < 12 else ""
    return redirect(f"/targets/{agreement.pk}/{suffix}")
