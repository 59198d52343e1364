"""Monthly reports: the reporting-rate page per unit and month, and the empty report
(本月无变动) a village files when nothing changed."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from renkou.core.scoping import restrict
from renkou.orgunits.models import OrgUnit
from renkou.quality import monthly
from renkou.quality.aggregates import aggregate_checks
from renkou.registry.changes import reporting_villages
from renkou.registry.choices import EventKind
from renkou.registry.models import Person
from renkou.registry.validation import EventRefused
from renkou.web.views import breadcrumb, unit_for_user

SHOWN_MONTHS = 12


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def month_label(month: datetime.date) -> str:
    """A month as the page's language writes it."""
    return f"{month.year}年{month.month}月" if _zh() else month.strftime("%Y-%m")


def reporting_month(today: datetime.date | None = None) -> datetime.date:
    """The month being reported now: the previous one until its deadline, then this one."""
    today = today or timezone.localdate()
    this = monthly.month_of(today)
    previous = monthly.month_of(this - datetime.timedelta(days=1))
    return previous if today <= monthly.deadline(previous) else this


def recent_months(today: datetime.date | None = None) -> list[datetime.date]:
    """This month and the eleven before it, newest first."""
    month = monthly.month_of(today or timezone.localdate())
    out = []
    for _i in range(SHOWN_MONTHS):
        out.append(month)
        month = monthly.month_of(month - datetime.timedelta(days=1))
    return out


def _parse_month(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


@login_required
def reporting_rate_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Reports received on time, late and missing for a unit and month, by sub-unit; the
    villages missing; the month's outlying counts and late-reported births."""
    unit = unit_for_user(request.user, code)
    choices = recent_months()
    month = _parse_month(request.GET.get("month", "")) or reporting_month()
    if month not in choices:
        month = reporting_month()
    rate = monthly.reporting_rate(unit, month)
    first = choices[-1] if month >= choices[-1] else month
    checks = aggregate_checks(orgunit=unit, first=first, last=month)
    label = month.isoformat()[:7]
    outliers = [o for o in checks.outliers if o["month"] == label]
    late = [b for b in checks.late_births if b["report_date"].startswith(label)]
    names = dict(
        OrgUnit.objects.filter(
            code__in={o["orgunit"] for o in outliers} | {b["orgunit"] for b in late}
        ).values_list("code", "name")
    )
    persons = {
        p.pk: p
        for p in restrict(Person.objects.filter(pk__in=[b["person"] for b in late]), request.user)
    }
    for o in outliers:
        o["name"] = names.get(o["orgunit"], o["orgunit"])
        o["kind_label"] = EventKind(o["kind"]).label
    for b in late:
        b["name"] = names.get(b["orgunit"], b["orgunit"])
        b["person_row"] = persons.get(b["person"])
    township_names = dict(
        OrgUnit.objects.filter(code__in={v.village.parent_id for v in rate.missing}).values_list(
            "code", "name"
        )
    )
    for v in rate.missing:
        v.township_name = township_names.get(v.village.parent_id, "")
    return render(
        request,
        "quality/reporting.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "rate": rate,
            "month": month,
            "month_value": label,
            "month_label": month_label(month),
            "months": [(m.isoformat()[:7], month_label(m)) for m in choices],
            "deadline_day": monthly.deadline_day(),
            "deadline_passed": timezone.localdate() > rate.deadline,
            "villages_shown": rate.villages if unit.level >= 4 else [],
            "outliers": outliers,
            "late_births": late,
            "window": month_label(first),
        },
    )


class EmptyReportForm(forms.Form):
    """本月无变动: which village, which month."""

    village = forms.ChoiceField(label=gettext_lazy("Village"))
    month = forms.ChoiceField(label=gettext_lazy("Month"))

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = villages
        self.fields["month"].choices = [
            (m.isoformat()[:7], month_label(m)) for m in recent_months()
        ]
        self.fields["month"].initial = reporting_month().isoformat()[:7]


@login_required
def empty_report_new(request: HttpRequest) -> HttpResponse:
    """A village reporter files that nothing changed this month; shows the village's last
    twelve months (received on time, late, missing)."""
    villages = reporting_villages(request.user)
    if not villages:
        raise PermissionDenied
    codes = dict(villages)
    chosen = request.POST.get("village") or request.GET.get("village") or villages[0][0]
    if chosen not in codes:
        chosen = villages[0][0]
    form = EmptyReportForm(request.POST or None, villages=villages, initial={"village": chosen})
    if request.method == "POST" and form.is_valid():
        village = OrgUnit.objects.get(code=form.cleaned_data["village"])
        month = _parse_month(form.cleaned_data["month"])
        try:
            report = monthly.empty_report_file(orgunit=village, month=month, actor=request.user)
        except EventRefused as refused:
            for p in refused.problems:
                form.add_error("month", p.message_zh if _zh() else p.message_en)
        else:
            messages.success(
                request,
                _("Filed: nothing changed in %(month)s in %(village)s.")
                % {"month": month_label(report.month), "village": village.name},
            )
            return redirect(f"{reverse('empty_report_new')}?village={village.code}")
    village = OrgUnit.objects.get(code=chosen)
    history = monthly.village_history(village, monthly.month_of(timezone.localdate()))
    for vm in history:
        vm.label = month_label(vm.month)
    return render(
        request,
        "quality/empty_report.html",
        {
            "form": form,
            "village": village,
            "history": history,
            "deadline_day": monthly.deadline_day(),
        },
    )
