"""Pages of petitions and hotline cases: the unit's overview (rates and worklist), the
registration form, a case's page with its actions, and showing a petitioner's details."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.labels import not_a_period, period_text
from renkou.analytics.periods import PeriodError, containing, parse
from renkou.cases import selectors, services
from renkou.cases.choices import Channel, Satisfaction, Status
from renkou.cases.deadlines import rule_for
from renkou.cases.display import rate_rows
from renkou.cases.forms import CaseForm
from renkou.cases.models import Case
from renkou.core.scoping import own_unit_code, units_for, user_roles
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import codes_prefix_q
from renkou.web.views import breadcrumb, unit_for_user

MAX_UNITS = 2000  # units offered in the form's list


def _home(user: Any) -> OrgUnit:
    own = own_unit_code(user)
    return unit_for_user(user, own)


@login_required
def overview(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """A unit's cases: the period's rates, its sub-units' rates, the worklist by tab."""
    user = request.user
    unit = _home(user) if code is None else unit_for_user(user, code)
    today = timezone.localdate()
    text = request.GET.get("period", "").strip()
    try:
        period = parse(text) if text else containing(today, "year")
    except PeriodError as exc:
        back = f"/cases/area/{unit.code}/"
        context = {"error": not_a_period(str(exc)), "back": back}
        return render(request, "400.html", context, status=400)
    tab = request.GET.get("tab", "new")
    tab = tab if tab in selectors.TABS else "new"
    rates = selectors.rates_of(unit.code, period)
    rows = list(selectors.worklist(user, unit, tab, today)[: selectors.SHOWN + 1])
    for case in rows:
        case.overdue = selectors.is_overdue(case, today)
    return render(
        request,
        "cases/overview.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(user, unit),
            "period": period,
            "period_name": period_text(period),
            "rates": rate_rows(rates),
            "received": rates.received,
            "children": [
                (child, rate_rows(r), r.received)
                for child, r in selectors.rates_by_child(unit, period)
            ],
            "tab": tab,
            "tabs": _tabs(selectors.tab_counts(user, unit, today)),
            "cases": rows[: selectors.SHOWN],
            "more": len(rows) > selectors.SHOWN,
            "can_register": _may_register(user),
            "rules": [(label, rule_for(value, today)) for value, label in Channel.choices],
            "today": today,
        },
    )


def _tabs(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    names = {
        "new": _("New"),
        "in_progress": _("In progress"),
        "overdue": _("Overdue"),
        "closed": _("Closed"),
    }
    return [(tab, names[tab], counts[tab]) for tab in selectors.TABS]


def _may_register(user: Any) -> bool:
    return bool(units_for(user, "cases"))


def _units(user: Any) -> list[tuple[str, str]]:
    """The units the user may register cases of, for the form's list."""
    prefixes = units_for(user, "cases")
    qs = OrgUnit.objects.filter(codes_prefix_q("code", prefixes)).order_by("code")
    return [(u.code, f"{u.name} ({u.code})") for u in qs[:MAX_UNITS]]


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """Register a case (GET: the form; POST: registered, or the form with its errors)."""
    if not _may_register(request.user):
        raise PermissionDenied
    units = _units(request.user)
    if request.method == "POST":
        form = CaseForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_register(
                    token=data["token"],
                    channel=data["channel"],
                    category=data["category"],
                    received_on=data["received_on"],
                    orgunit=OrgUnit.objects.get(code=data["orgunit"]),
                    petitioner_name=data["petitioner_name"],
                    petitioner_phone=data["petitioner_phone"],
                    request=data["request"],
                    actor=request.user,
                )
            except services.CaseRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            except PermissionError:
                raise PermissionDenied from None
            else:
                messages.success(
                    request, _("Case %(number)s is registered.") % {"number": case.number}
                )
                return redirect("case_detail", pk=case.pk)
    else:
        initial = {"received_on": timezone.localdate()}
        if request.GET.get("unit") in dict(units):
            initial["orgunit"] = request.GET["unit"]
        form = CaseForm(units=units, initial=initial)
    return render(
        request,
        "cases/case_new.html",
        {"form": form, "today": timezone.localdate()},
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: what was asked, its deadlines, its history and what may be done next."""
    user = request.user
    case = selectors.case_get(user, pk)
    services.case_viewed(case=case, actor=user)
    today = timezone.localdate()
    handle = services.may_handle(user, case)
    handlers: list[tuple[OrgUnit, list[Any]]] = []
    if handle and case.status != Status.CLOSED:
        prefixes = units_for(user, "cases")
        units = list(
            OrgUnit.objects.filter(codes_prefix_q("code", prefixes)).order_by("code")[:MAX_UNITS]
        )
        people = selectors.handlers_by_unit([u.code for u in units])
        handlers = [(u, people[u.code]) for u in units if u.code in people]
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "steps": case.steps.select_related("actor").order_by("on", "pk"),
            "today": today,
            "overdue_accept": case.status == Status.NEW and case.accept_due < today,
            "overdue_answer": case.status == Status.IN_PROGRESS and case.answer_due < today,
            "can_handle": handle,
            "can_record": services.may_record(user, case),
            "can_reveal": bool(user_roles(user) & services.REVEAL_ROLES),
            "handlers": handlers,
            "satisfactions": Satisfaction.choices,
            "extension_max": rule_for(case.channel, case.received_on).extension_max_days,
            "same_phone": selectors.earlier_cases_of_phone(case, user),
        },
    )


def _date(request: HttpRequest, name: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(request.POST.get(name, "").strip())
    except ValueError:
        return None


def _act(request: HttpRequest, pk: int, do: Any, done: str) -> HttpResponse:
    """Run one action on a case the user may read; its refusal is shown on the case page."""
    case = selectors.case_get(request.user, pk)
    try:
        do(case)
    except services.CaseRefused as exc:
        messages.error(request, str(exc))
    except PermissionError:
        raise PermissionDenied from None
    else:
        messages.success(request, done)
    return redirect("case_detail", pk=case.pk)


@login_required
@require_POST
def case_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a case (受理)."""
    return _act(
        request,
        pk,
        lambda case: services.case_accept(
            case=case, accepted_on=_date(request, "accepted_on"), actor=request.user
        ),
        _("The case is accepted."),
    )


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a case to a handling unit and a person there (交办)."""

    def do(case: Case) -> None:
        code, _sep, wanted = request.POST.get("handler", "").strip().partition(":")
        unit = OrgUnit.objects.filter(code=code).first() if code.isdigit() else None
        if unit is None:
            raise services.CaseRefused("unit", _("Handling unit: choose a unit."))
        assignee = (
            get_user_model().objects.filter(pk=int(wanted)).first()
            if wanted.isdigit() and len(wanted) < 12
            else None
        )
        services.case_assign(
            case=case,
            unit=unit,
            assignee=assignee,
            note=request.POST.get("note", ""),
            actor=request.user,
        )

    return _act(request, pk, do, _("The case is assigned."))


@login_required
@require_POST
def case_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a handling step."""
    return _act(
        request,
        pk,
        lambda case: services.case_step_add(
            case=case,
            on=_date(request, "on"),
            text=request.POST.get("text", ""),
            actor=request.user,
        ),
        _("The step is recorded."),
    )


@login_required
@require_POST
def case_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Extend the answer's deadline once (延期), with the reason."""
    text = request.POST.get("days", "").strip()
    days = int(text) if text.isascii() and text.isdigit() and len(text) < 5 else None
    return _act(
        request,
        pk,
        lambda case: services.case_extend(
            case=case, days=days, reason=request.POST.get("reason", ""), actor=request.user
        ),
        _("The deadline is extended."),
    )


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the reply and close the case, with the petitioner's satisfaction."""
    return _act(
        request,
        pk,
        lambda case: services.case_close(
            case=case,
            reply=request.POST.get("reply", ""),
            closed_on=_date(request, "closed_on"),
            satisfaction=request.POST.get("satisfaction", ""),
            actor=request.user,
        ),
        _("The case is closed."),
    )


@login_required
@require_POST
def petitioner_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the petitioner's name and telephone in clear, with the reason given (htmx)."""
    case = selectors.case_get(request.user, pk)
    context: dict[str, Any] = {"case": case, "can_reveal": True}
    try:
        context["name"], context["phone"] = services.case_petitioner_reveal(
            case=case, actor=request.user, reason=request.POST.get("reason", "")
        )
        context["revealed"] = True
    except services.CaseRefused as exc:
        context["error"] = str(exc)
    except PermissionError:
        return HttpResponse(status=403)
    return render(request, "cases/_petitioner.html", context)
