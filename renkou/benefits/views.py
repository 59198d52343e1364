"""Benefit pages: parameters, cycles of an area, a cycle's steps, its decisions and notice.

Reads go through ``selectors`` (scoped to the user's area); every step calls a service that
checks the state and writes the audit row; the county administrator runs the steps
(``may(user, "benefits", code)``), reviewers record objections in their villages.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.benefits import fact_files, selectors, services
from renkou.benefits.choices import (
    CycleStatus,
    EntitlementStatus,
    ObjectionOutcome,
    Outcome,
    Programme,
    programme_choices,
)
from renkou.benefits.models import ChildcareApplication, Cycle, Entitlement, Objection
from renkou.benefits.notice import category_label, notice_write, on_notice
from renkou.benefits.parameter_labels import parameter_label
from renkou.benefits.parameters import all_parameters
from renkou.benefits.payments import disbursement_rate
from renkou.benefits.reasons import render as render_reason
from renkou.benefits.reasons import render_all
from renkou.core.jobs import job_active, job_latest, job_start
from renkou.core.masking import mask_name
from renkou.core.models import Job
from renkou.core.scoping import may, restrict
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.web.lists import Column, export_requested, list_export, paginate
from renkou.web.views import breadcrumb, unit_for_user

PAGE = 100


def _names(codes: set[str]) -> dict[str, str]:
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


def _shown_value(value: Any) -> Any:
    """A parameter's value as a page shows it (yes/no in the page's language)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


@login_required
def parameters(request: HttpRequest) -> HttpResponse:
    """Every parameter of every programme with its dated values (edited in the YAML files)."""
    groups: dict[str, list[Any]] = {}
    labels: dict[str, Any] = {**dict(programme_choices()), "notice": _("Public notice")}
    today = timezone.localdate()
    for path, description, history in all_parameters():
        programme = path.split(".", 1)[0]
        current = next((d for d in reversed(history) if d.start <= today), None)
        groups.setdefault(programme, []).append(
            {
                "path": path,
                "description": parameter_label(path, description),
                "history": [(d.start, _shown_value(d.value)) for d in history],
                "current": _shown_value(current.value) if current else None,
            }
        )
    return render(
        request,
        "benefits/parameters.html",
        {"groups": [(labels.get(k, k), rows) for k, rows in groups.items()]},
    )


@login_required
def cycle_list(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Cycles over a unit (and above it), with the form that computes a new one."""
    unit = unit_for_user(request.user, code)
    cycles = list(selectors.cycles_for(request.user, unit.code).order_by("-year", "programme"))
    job = job_latest(
        restrict(Job.objects.filter(kind="benefits.compute", orgunit=unit.code), request.user)
    )
    return render(
        request,
        "benefits/cycles.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "children": list(unit.children.all()),
            "cycles": cycles,
            "programmes": programme_choices(),
            "year": timezone.localdate().year,
            "can_run": may(request.user, "benefits", unit.code),
            "job": job,
        },
    )


@login_required
@require_POST
def compute_start(request: HttpRequest, code: str) -> HttpResponse:
    """Queue the computation of a programme's draft for a year over the unit."""
    unit = unit_for_user(request.user, code)
    if not may(request.user, "benefits", unit.code):
        raise PermissionDenied
    programme = request.POST.get("programme", "")
    year = request.POST.get("year", "")
    if (
        programme not in dict(programme_choices())
        or not year.isdigit()
        or not 2000 <= int(year) <= 2100
    ):
        messages.error(request, _("Choose a programme and a year."))
        return redirect("benefits_area", code=unit.code)
    existing = Cycle.objects.filter(programme=programme, year=int(year), orgunit=unit).first()
    if existing is not None:
        messages.error(request, _("This cycle exists already."))
        return redirect("benefits_cycle", pk=existing.pk)
    running = job_active(Job.objects.filter(kind="benefits.compute", orgunit=unit.code))
    if running is None:
        job_start(
            kind="benefits.compute",
            params={
                "programme": programme,
                "year": int(year),
                "orgunit": unit.code,
                "actor_id": request.user.pk,
            },
            actor=request.user,
            orgunit=unit.code,
        )
        messages.success(request, _("The computation has started; this page shows its progress."))
    return redirect("benefits_area", code=unit.code)


def _villages(request: HttpRequest, cycle: Cycle) -> list[dict[str, Any]]:
    """Per village of the user's area: decisions by outcome, owed, paid and the rate."""
    rows: dict[str, dict[str, Any]] = {}
    counts = (
        selectors.decisions_for(request.user, cycle)
        .values("village_id", "outcome")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    for r in counts:
        row = rows.setdefault(r["village_id"] or "", {"code": r["village_id"] or ""})
        row[r["outcome"]] = r["n"]
        if r["outcome"] == Outcome.ELIGIBLE:
            row["amount"] = r["amount"]
    for village, owed, paid, rate in disbursement_rate(cycle):
        if village in rows:
            rows[village].update(owed=owed, paid=paid, rate=rate * 100)
    names = _names(set(rows))
    for code, row in rows.items():
        row["name"] = names.get(code, code or "—")
    return [rows[k] for k in sorted(rows)]


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One cycle: where it is, its villages, objections, payment files and the next step."""
    cycle = selectors.cycle_get(request.user, pk)
    user = request.user
    villages = _villages(request, cycle)
    totals: Counter[str] = Counter()
    for v in villages:
        for key in Outcome.values:
            totals[key] += v.get(key, 0)
    open_objections = list(
        Objection.objects.filter(
            decision__in=selectors.decisions_for(user, cycle), outcome=ObjectionOutcome.OPEN
        )
        .select_related("decision__person")
        .order_by("raised_on", "pk")
    )
    batches = list(
        cycle.batches.annotate(lines=Count("payments"), total=Sum("payments__amount")).order_by(
            "-pk"
        )
    )
    for b in batches:
        b.counts = dict(b.payments.values_list("status").annotate(n=Count("id")).order_by("status"))
        b.failed = list(
            selectors.payments_for(user, b).filter(status="failed").select_related("person")[:100]
        )
    # months paid after the death of the person or of the payee: to recover
    recover = list(
        Entitlement.objects.filter(
            cycle=cycle,
            status=EntitlementStatus.RECOVER,
            person_id__in=selectors.decisions_for(user, cycle).values("person_id"),
        )
        .select_related("person")
        .order_by("person__name", "month")[:500]
    )
    runs = may(user, "benefits", cycle.orgunit_id)
    today = timezone.localdate()
    opens = services.approval_from(cycle)
    return render(
        request,
        "benefits/cycle.html",
        {
            "cycle": cycle,
            "villages": villages,
            "totals": [(value, label, totals[value]) for value, label in Outcome.choices],
            "open_objections": open_objections,
            "batches": batches,
            "recover": recover,
            "can_run": runs,
            "can_notice": runs and cycle.status == CycleStatus.COMPUTED,
            "can_approve": runs and cycle.status == CycleStatus.NOTICE,
            "notice_over": opens is not None and today >= opens,
            "approval_from": opens,
            "min_days": services.notice_min_days(today),
            "same_user": cycle.computed_by_id == user.pk,
            "can_pay": runs and cycle.status in (CycleStatus.APPROVED, CycleStatus.PAYING),
            "can_resolve": runs and cycle.status == CycleStatus.NOTICE,
            "today": today,
            "demo": runs and bool(batches) and fact_files.demo_installation(),
        },
    )


def _step(request: HttpRequest, pk: int) -> Cycle:
    cycle = selectors.cycle_get(request.user, pk)
    if not may(request.user, "benefits", cycle.orgunit_id):
        raise PermissionDenied
    return cycle


@login_required
@require_POST
def cycle_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the draft as the public notice from a date, for a number of days."""
    cycle = _step(request, pk)
    try:
        start = datetime.date.fromisoformat(request.POST.get("start", ""))
        days = int(request.POST.get("days", ""))
        if not 1 <= days <= 60:
            raise ValueError
    except ValueError:
        messages.error(request, _("Give the first day of the notice and 1 to 60 days."))
        return redirect("benefits_cycle", pk=cycle.pk)
    try:
        services.cycle_notice(cycle=cycle, start=start, days=days, actor=request.user)
    except services.CycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The list is on public notice."))
    return redirect("benefits_cycle", pk=cycle.pk)


@login_required
@require_POST
def cycle_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the cycle (not by the user who computed it) and create the entitlements."""
    cycle = _step(request, pk)
    try:
        created = services.cycle_approve(cycle=cycle, actor=request.user)
    except services.CycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Approved: %(n)s monthly entitlements created.") % {"n": created}
        )
    return redirect("benefits_cycle", pk=cycle.pk)


def _decisions_export(request: HttpRequest, cycle: Cycle, qs: Any, filters: Any) -> Any:
    names = _names(set(qs.values_list("village_id", flat=True).distinct()) - {None})
    outcomes = dict(Outcome.choices)
    columns = (
        Column(_("Name"), lambda d: d.person.name),
        Column(_("Identity number"), lambda d: d.person.id_number_masked, id_number=True),
        Column(_("Village"), lambda d: names.get(d.village_id or "", d.village_id or "")),
        Column(_("Unit code"), lambda d: d.village_id or ""),
        Column(_("Decision"), lambda d: outcomes.get(d.outcome, d.outcome)),
        Column(_("Category"), lambda d: category_label(d.category) if d.category else ""),
        Column(_("Amount (yuan)"), lambda d: d.amount),
        Column(_("Reasons"), lambda d: render_all(d.reasons), width=60),
    )
    return list_export(
        request,
        name="decisions",
        rows=qs.iterator(chunk_size=2000),
        columns=columns,
        filters={"cycle": cycle.pk, **filters},
    )


def _applicants(cycle: Cycle, rows: Any) -> dict[int, str] | None:
    """Childcare: who is paid for each child of the page (the applicants of the cycle's
    year, in one query); None for the other programmes (the person is paid)."""
    if cycle.programme != Programme.CHILDCARE:
        return None
    out: dict[int, list[str]] = {}
    for child, name in (
        ChildcareApplication.objects.filter(
            child_id__in=[d.person_id for d in rows],
            first_month__year__lte=cycle.year,
            last_month__year__gte=cycle.year,
        )
        .order_by("first_month")
        .values_list("child_id", "applicant__name")
    ):
        out.setdefault(child, [])
        if name not in out[child]:
            out[child].append(name)
    return {child: ", ".join(names) for child, names in out.items()}


@login_required
def decision_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft list: each person's decision with every condition, filterable, numbered
    pages of 100; the filtered list as xlsx (audited)."""
    cycle = selectors.cycle_get(request.user, pk)
    outcome = request.GET.get("outcome", "")
    village = request.GET.get("village", "").strip()
    qs = selectors.decisions_for(request.user, cycle)
    if outcome in Outcome.values:
        qs = qs.filter(outcome=outcome)
    if village:
        qs = qs.filter(code_prefix_q("village_id", village))
    qs = qs.select_related("person").order_by("village_id", "id")
    if export_requested(request):
        return _decisions_export(request, cycle, qs, {"outcome": outcome, "village": village})
    page = paginate(request, qs.prefetch_related("objections"), per_page=PAGE)
    rows = page.rows
    names = _names({d.village_id for d in rows if d.village_id})
    applicants = _applicants(cycle, rows)
    for d in rows:
        d.payee_text = applicants.get(d.person_id, "") if applicants is not None else ""
        if applicants is not None and not d.payee_text and d.outcome == Outcome.ELIGIBLE:
            d.payee_text = _("nobody yet: no application")
        d.lines = [(render_reason(item), item["status"]) for item in d.reasons]
        d.village_name = names.get(d.village_id or "", d.village_id or "—")
        d.category_label = category_label(d.category)
        d.can_object = (
            cycle.status == CycleStatus.NOTICE
            and d.outcome == Outcome.ELIGIBLE
            and may(request.user, "review", d.village_id or "")
        )
    return render(
        request,
        "benefits/decisions.html",
        {
            "cycle": cycle,
            "rows": rows,
            "page": page,
            "outcome": outcome,
            "village": village,
            "outcomes": Outcome.choices,
            "today": timezone.localdate(),
        },
    )


def _back(request: HttpRequest, decision: Any) -> HttpResponse:
    """Back to the notice page the form was on, or to the cycle."""
    if request.POST.get("back") == "notice" and decision.village_id:
        return redirect("benefits_notice_page", pk=decision.cycle_id, village=decision.village_id)
    return redirect("benefits_cycle", pk=decision.cycle_id)


@login_required
@require_POST
def objection_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an objection (异议) to a person on the notice, with who raised it."""
    return _objection_record(request, selectors.decision_get(request.user, pk))


@login_required
@require_POST
def notice_objection(request: HttpRequest, pk: int, village: str) -> HttpResponse:
    """Record an objection from the notice page, the person chosen from its list."""
    cycle = selectors.cycle_get(request.user, pk)
    unit = unit_for_user(request.user, village)
    if not may(request.user, "review", unit.code):
        raise PermissionDenied
    choice = request.POST.get("decision", "")
    wanted = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 16 else 0
    decision = (
        selectors.decisions_for(request.user, cycle)
        .filter(village_id=unit.code, pk=wanted)
        .select_related("cycle")
        .first()
    )
    if decision is None:
        messages.error(request, _("Choose the person on the notice the objection is about."))
        return redirect("benefits_notice_page", pk=cycle.pk, village=unit.code)
    return _objection_record(request, decision)


def _objection_record(request: HttpRequest, decision: Any) -> HttpResponse:
    if not may(request.user, "review", decision.village_id or ""):
        raise PermissionDenied
    try:
        raised_on = datetime.date.fromisoformat(request.POST.get("raised_on", ""))
    except ValueError:
        messages.error(request, _("Give the day the objection was received (YYYY-MM-DD)."))
        return _back(request, decision)
    try:
        services.objection_raise(
            decision=decision,
            objector_name=request.POST.get("objector_name", ""),
            objector_contact=request.POST.get("objector_contact", ""),
            text=request.POST.get("text", ""),
            raised_on=raised_on,
            actor=request.user,
        )
    except services.CycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection is recorded."))
    return _back(request, decision)


@login_required
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide an objection: upheld (the person leaves the list) or dismissed (audited)."""
    objection = selectors.objection_get(request.user, pk)
    cycle = objection.decision.cycle
    if not may(request.user, "benefits", cycle.orgunit_id):
        raise PermissionDenied
    try:
        services.objection_decide(
            objection=objection,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("resolution", ""),
            actor=request.user,
        )
    except services.CycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection is decided."))
    return _back(request, objection.decision)


@login_required
def notice_page(request: HttpRequest, pk: int, village: str) -> HttpResponse:
    """The printable public notice (公示) of one village: eligible persons only, masked;
    below it (not printed) the village's objections and the form that records one."""
    cycle = selectors.cycle_get(request.user, pk)
    unit = unit_for_user(request.user, village)
    decisions = selectors.decisions_for(request.user, cycle).filter(village_id=unit.code)
    rows = list(on_notice(decisions))
    for d in rows:
        d.name_masked = mask_name(d.person.name)
        d.category_label = category_label(d.category)
    objections = sorted(
        Objection.objects.filter(decision__in=decisions).select_related("decision__person"),
        key=lambda o: (o.outcome != ObjectionOutcome.OPEN, o.raised_on, o.pk),  # open first
    )
    for o in objections:
        o.name_masked = mask_name(o.decision.person.name)
    on = cycle.status == CycleStatus.NOTICE
    return render(
        request,
        "benefits/notice.html",
        {
            "cycle": cycle,
            "unit": unit,
            "rows": rows,
            "objections": objections,
            "can_object": on and may(request.user, "review", unit.code),
            "can_decide": on and may(request.user, "benefits", cycle.orgunit_id),
            "today": timezone.localdate(),
        },
    )


@login_required
def notice_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice list as xlsx, one sheet per village of the user's area."""
    cycle = selectors.cycle_get(request.user, pk)
    decisions = selectors.decisions_for(request.user, cycle)
    village = request.GET.get("village", "").strip()
    if village:
        decisions = decisions.filter(code_prefix_q("village_id", village))
    buffer = io.BytesIO()
    notice_write(cycle, buffer, decisions)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"notice-{cycle.programme}-{cycle.year}-{village or cycle.orgunit_id}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
