"""Pages of the service programmes: the rates of a unit (every office role), a person's
service records and a record's steps (service staff only; the auditor reads a record by
its number), and the yearly figures and institutions the rates need."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.labels import not_a_period, period_text
from renkou.analytics.periods import PeriodError, containing, parse
from renkou.core import crypto
from renkou.core.scoping import own_unit_code, restrict, units_for
from renkou.health import selectors, services
from renkou.health.display import rate_rows
from renkou.health.forms import FigureForm, RecordForm, StepForm
from renkou.health.models import FigureKind, Institution
from renkou.health.programmes import PROGRAMMES
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import codes_prefix_q
from renkou.registry import selectors as registry_selectors
from renkou.registry.models import Person
from renkou.web.views import breadcrumb, unit_for_user


def _rates_reader(request: HttpRequest) -> None:
    if not selectors.may_see_rates(request.user):
        raise PermissionDenied


def _service_staff(request: HttpRequest) -> None:
    if not selectors.is_service_staff(request.user):
        raise PermissionDenied


@login_required
def overview(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """A unit's service rates for a period, and its sub-units': counts only, no persons."""
    _rates_reader(request)
    user = request.user
    unit = unit_for_user(user, own_unit_code(user) if code is None else code)
    text = request.GET.get("period", "").strip()
    try:
        period = parse(text) if text else containing(timezone.localdate(), "year")
    except PeriodError as exc:
        context = {"error": not_a_period(str(exc)), "back": f"/health/area/{unit.code}/"}
        return render(request, "400.html", context, status=400)
    return render(
        request,
        "health/overview.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(user, unit),
            "period": period,
            "period_name": period_text(period),
            "rates": rate_rows(selectors.rates_of(unit.code, period)),
            "children": [
                (child, rate_rows(r)) for child, r in selectors.rates_by_child(unit, period)
            ],
            "can_figures": services.may_set_figures(user, unit.code),
            "can_import": selectors.is_service_staff(user),
        },
    )


def _person(request: HttpRequest, pk: int) -> Person:
    try:
        return registry_selectors.person_for_user(user=request.user, person_id=pk)
    except Person.DoesNotExist:
        raise Http404 from None


@login_required
def person_records(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's service records (service staff of the person's area; audited)."""
    _service_staff(request)
    person = _person(request, pk)
    if not services.may_serve(request.user, person.residence_orgunit_id or ""):
        raise Http404
    services.person_records_viewed(person=person, actor=request.user)
    form = RecordForm(
        initial={
            "token": uuid.uuid4().hex,
            "opened_on": timezone.localdate(),
            "consent_on": timezone.localdate(),
        }
    )
    return render(
        request,
        "health/person.html",
        {
            "person": person,
            "records": selectors.person_records(request.user, person),
            "form": form,
            "may_open": person.sex == "F",
        },
    )


def _partner(request: HttpRequest, number: str) -> Person | None:
    number = number.strip().upper()
    if not number:
        return None
    qs = restrict(Person.objects.all(), request.user).filter(
        id_number_hash=crypto.blind_index(number)
    )
    return qs.first()


@login_required
@require_POST
def record_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a service record of a woman (and her partner), with their consents."""
    _service_staff(request)
    woman = _person(request, pk)
    form = RecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        man = _partner(request, data["man_id_number"])
        if data["man_id_number"].strip() and man is None:
            messages.error(request, _("No person with this identity number in your area."))
            return redirect("health_person", pk=woman.pk)
        given = [
            services.ConsentGiven(p, data["consent_on"], data["consent_scope"])
            for p in (woman, man)
            if p is not None
        ]
        try:
            record = services.record_open(
                key=f"form:{data['token']}",
                programme=data["programme"],
                woman=woman,
                man=man,
                opened_on=data["opened_on"],
                consents=given,
                actor=request.user,
            )
        except services.HealthRefused as exc:
            messages.error(request, str(exc))
        except PermissionError:
            raise PermissionDenied from None
        else:
            messages.success(request, _("The service record is opened."))
            return redirect("health_record", pk=record.pk)
    else:
        messages.error(request, _("Fill in the date and the consent."))
    return redirect("health_person", pk=woman.pk)


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One service record with its steps and results (audited)."""
    user = request.user
    record = selectors.record_get(user, pk)
    services.record_viewed(record=record, actor=user)
    programme = PROGRAMMES[record.programme]
    steps = selectors.steps_shown(record)
    done = {s.step for s, _r in steps}
    may_write = services.may_serve(user, record.orgunit_id) and record.withdrawn_on is None
    institutions = Institution.objects.filter(
        codes_prefix_q("orgunit_id", [record.orgunit_id[:6]])
    ).order_by("code")
    return render(
        request,
        "health/record.html",
        {
            "record": record,
            "programme": programme,
            "steps": [
                (
                    s,
                    r,
                    programme.step(s.step).label,
                    dict(programme.step(s.step).outcomes).get(r.get("outcome", ""), ""),
                )
                for s, r in steps
            ],
            "next_steps": [s for s in programme.steps if s.code not in done],
            "may_write": may_write,
            "institutions": institutions,
            "consents": record.consents.select_related("person"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def step_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one step of a service record."""
    _service_staff(request)
    record = selectors.record_get(request.user, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Fill in the step, its date, institution and staff member."))
        return redirect("health_record", pk=record.pk)
    data = form.cleaned_data
    institution = Institution.objects.filter(code=data["institution"]).first()
    if institution is None:
        messages.error(request, _("Unknown institution."))
        return redirect("health_record", pk=record.pk)
    try:
        services.step_record(
            record=record,
            step=data["step"],
            on=data["on"],
            institution=institution,
            staff_name=data["staff_name"],
            outcome=data["outcome"],
            advice=data["advice"],
            actor=request.user,
        )
    except services.HealthRefused as exc:
        messages.error(request, str(exc))
    except PermissionError:
        raise PermissionDenied from None
    else:
        messages.success(request, _("The step is recorded."))
    return redirect("health_record", pk=record.pk)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the withdrawal of a consent: the record is hidden from then on."""
    _service_staff(request)
    record = selectors.record_get(request.user, pk)
    person = record.consents.filter(person_id=request.POST.get("person")).first()
    if person is None:
        messages.error(request, _("Choose whose consent is withdrawn."))
        return redirect("health_record", pk=record.pk)
    try:
        services.consent_withdraw(
            record=record, person=person.person, on=timezone.localdate(), actor=request.user
        )
    except services.HealthRefused as exc:
        messages.error(request, str(exc))
        return redirect("health_record", pk=record.pk)
    except PermissionError:
        raise PermissionDenied from None
    messages.success(request, _("The consent is withdrawn: the record is hidden."))
    return redirect("health_person", pk=record.woman_id)


@login_required
def figures(request: HttpRequest, code: str) -> HttpResponse:
    """The yearly figures of a unit (the rates' denominators): read and enter."""
    _rates_reader(request)
    unit = unit_for_user(request.user, code)
    may_set = services.may_set_figures(request.user, unit.code)
    form = FigureForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.figure_set(
                    orgunit=unit,
                    year=data["year"],
                    kind=data["kind"],
                    value=data["value"],
                    actor=request.user,
                )
            except services.HealthRefused as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The figure is saved."))
                return redirect("health_figures", code=unit.code)
    entered = selectors.figures_entered(unit.code)
    return render(
        request,
        "health/figures.html",
        {
            "unit": unit,
            "form": form,
            "may_set": may_set,
            "kinds": FigureKind.choices,
            "rows": [
                (year, [entered[year].get(k, "—") for k, _label in FigureKind.choices])
                for year in sorted(entered, reverse=True)
            ],
        },
    )


@login_required
def institutions(request: HttpRequest) -> HttpResponse:
    """The institutions that record service steps (list; service staff add one)."""
    _rates_reader(request)
    if request.method == "POST":
        _service_staff(request)
        code = request.POST.get("orgunit", "")
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None or not services.may_serve(request.user, code):
            messages.error(request, _("Choose a unit of your area."))
        else:
            try:
                services.institution_create(
                    code=request.POST.get("code", ""),
                    name=request.POST.get("name", ""),
                    orgunit=unit,
                    actor=request.user,
                )
            except services.HealthRefused as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The institution is registered."))
        return redirect("health_institutions")
    prefixes = units_for(request.user, "health") if selectors.is_service_staff(request.user) else []
    return render(
        request,
        "health/institutions.html",
        {
            "institutions": Institution.objects.select_related("orgunit").order_by("code"),
            "units": OrgUnit.objects.filter(codes_prefix_q("code", prefixes)).order_by("code")[
                :2000
            ],
        },
    )


def person_link(user: Any, person: Person) -> bool:
    """Whether the person page offers the link to the person's service records."""
    return selectors.is_service_staff(user) and services.may_serve(
        user, person.residence_orgunit_id or ""
    )


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """Rosters of service steps: the imports of the user's area, and the upload (service
    staff only: the rows name persons and their services)."""
    from renkou.core.problems import InputRefused
    from renkou.exchange.uploads import upload_discard, upload_store
    from renkou.health.models import RosterImport
    from renkou.health.roster import roster_import

    _service_staff(request)
    prefixes = units_for(request.user, "health")
    if request.method == "POST":
        upload = request.FILES.get("file")
        unit = OrgUnit.objects.filter(code=request.POST.get("orgunit", "")).first()
        if upload is None or unit is None or not services.may_serve(request.user, unit.code):
            messages.error(request, _("Choose a file and a unit of your area."))
            return redirect("health_imports")
        path = upload_store(upload.chunks(), upload.name)
        try:
            made = roster_import(path=path, orgunit=unit, actor=request.user, name=upload.name)
        except InputRefused as exc:
            for problem in exc.problems:
                messages.error(request, str(problem))
            return redirect("health_imports")
        finally:
            upload_discard(path)
        return redirect("health_import", pk=made.pk)
    return render(
        request,
        "health/imports.html",
        {
            "imports": RosterImport.objects.filter(codes_prefix_q("orgunit_id", prefixes))
            .select_related("orgunit")
            .order_by("-imported_at")[:50],
            "units": OrgUnit.objects.filter(codes_prefix_q("code", prefixes)).order_by("code")[
                :2000
            ],
        },
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One roster import: its counts and the rows quarantined with their reasons."""
    from renkou.health.models import RosterImport
    from renkou.health.roster import KIND, reason_text

    _service_staff(request)
    prefixes = units_for(request.user, "health")
    made = (
        RosterImport.objects.filter(codes_prefix_q("orgunit_id", prefixes), pk=pk)
        .select_related("orgunit")
        .first()
    )
    if made is None:
        raise Http404
    headers = {c.name: c.synonyms[0] for c in KIND.columns}
    return render(
        request,
        "health/import.html",
        {
            "made": made,
            "problems": [
                (p["row"], headers.get(p["column"], p["column"]), reason_text(p["reason"]))
                for p in made.problems
            ],
        },
    )
