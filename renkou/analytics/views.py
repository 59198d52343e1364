"""The statistics dashboard of an org unit: headline figures, charts with their tables and
CSV, drill-down to sub-units. Everything is read from the indicator cache."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.labels import RATES, label, not_a_period, period_text
from renkou.analytics.models import IndicatorValue, stored_srb_settings
from renkou.analytics.names import FERTILE_GROUPS, LAST_AGE_GROUP, group_label
from renkou.analytics.periods import Period, PeriodError, add_months, containing, parse
from renkou.cases.display import rate_rows
from renkou.cases.selectors import rates_of
from renkou.core.audit import audit_record
from renkou.core.cells import CsvWriter
from renkou.core.jobs import job_active, job_latest, job_start
from renkou.core.models import Job
from renkou.core.scoping import may, own_unit_code
from renkou.demography.sex_ratio import band_position
from renkou.floating.selectors import unit_rates
from renkou.health import display as health_display
from renkou.health import selectors as health_selectors
from renkou.orgunits.models import OrgUnit
from renkou.web.views import breadcrumb, unit_for_user

HEADLINE = (
    "population_end",
    "births",
    "crude_birth_rate",
    "deaths",
    "crude_death_rate",
    "natural_growth_rate",
    "sex_ratio_at_birth",
    "weighted_sex_ratio_at_birth",
    "total_fertility_rate",
    "infant_mortality_rate",
    "women_15_49",
    "married_women_15_49",
    "moves_in",
    "moves_out",
    "floating_in",
    "floating_out",
    "late_births_reported",
)
ASFR = [f"asfr_{group_label(g)}" for g in FERTILE_GROUPS]
PARITY = ("parity_share_1", "parity_share_2", "parity_share_3plus")
CHARTS = (
    "pyramid",
    "births_by_month",
    "srb_by_unit",
    "parity",
    "fertility_by_age",
    "married_women",
)
AGE_GROUPS = [
    f"{g * 5}–{g * 5 + 4}" if g < LAST_AGE_GROUP else f"{g * 5}+" for g in range(LAST_AGE_GROUP + 1)
]


JOB_SHOWN_MINUTES = 30
DEFAULT_KINDS = ("year", "stat_year")
"""The kinds a page opens at: the latest year (or statistical year) with data."""


def default_period(unit: OrgUnit, basis: str) -> Period:
    """The latest year or statistical year of the unit with any birth or death in the cache
    that ends by the last month with one (else any kind with one; else the last whole
    calendar year)."""
    today = timezone.localdate()
    periods = {
        parse(p)
        for p in IndicatorValue.objects.filter(
            orgunit=unit.code, basis=basis, indicator__in=["births", "deaths"], value__gt=0
        ).values_list("period", flat=True)
    }
    periods = {p for p in periods if p.start <= today}
    preferred = [p for p in periods if p.kind in DEFAULT_KINDS] or list(periods)
    months = [p for p in periods if p.kind == "month"]
    if months:
        # a year whose data reach its end, not one that has only begun (a register whose
        # last events are of December opens at that year, not at the statistical year
        # that began in October)
        last = max(m.end for m in months)
        whole = [p for p in preferred if p.end <= last]
        preferred = whole or preferred
    if preferred:
        # the latest end; of two ending together, the longer one
        return max(preferred, key=lambda p: (p.end, p.months, p.kind == "year"))
    return parse(str(today.year - 1))


def _home_unit(user: Any) -> OrgUnit:
    """The unit a page opens at without one named: the user's own (the broadest unit they
    hold a role at, as the other pages open); for the superuser without a role, the first
    unit down from the top that has more than one sub-unit (the county of a county's
    server, not the province above it)."""
    own = own_unit_code(user)
    if own is not None:
        return unit_for_user(user, own)
    unit = unit_for_user(user, None)
    while True:
        children = list(unit.children.order_by("code")[:2])
        if len(children) != 1:
            return unit
        unit = children[0]


def _fmt(indicator: str, value: float | None) -> str:
    if value is None:
        return "—"
    if indicator in RATES:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def srb_flag(v: IndicatorValue | None, band: tuple[float, float]) -> str:
    """ "above" or "below" when the ratio's 95 % interval excludes the normal band, else ""."""
    if v is None or v.value is None or v.low is None or v.high is None:
        return ""
    position = band_position(v.low, v.high, *band)
    return position if position in ("above", "below") else ""


def _flag_text(flag: str, band: tuple[float, float]) -> str:
    ends = {"low": f"{band[0]:g}", "high": f"{band[1]:g}"}
    if flag == "above":
        return _("above the normal range %(low)s–%(high)s (the whole interval)") % ends
    if flag == "below":
        return _("below the normal range %(low)s–%(high)s (the whole interval)") % ends
    return ""


def _weighted_parts(v: IndicatorValue | None) -> str:
    """How a weighted SRB is made: 38.68 + 70.00 = 108.68, each part with its years."""
    detail = v.breakdown if v is not None and v.detail else None
    if not detail or v is None or v.value is None:
        return ""
    parts = []
    for p in detail["parts"]:
        years = p["first"] if p["first"] == p["last"] else f"{p['first']}–{p['last']}"
        parts.append(
            _("%(years)s: %(boys)s boys, %(girls)s girls, %(ratio).2f × %(weight)s%% = %(score).2f")
            % {
                "years": years.replace("Oct", ""),
                "boys": p["boys"],
                "girls": p["girls"],
                "ratio": p["ratio"],
                "weight": f"{p['weight']:g}",
                "score": p["score"],
            }
        )
    total = " + ".join(f"{p['score']:.2f}" for p in detail["parts"])
    return f"{total} = {v.value:.2f} ({'; '.join(parts)})"


def _cell(
    values: dict[str, IndicatorValue], name: str, band: tuple[float, float]
) -> dict[str, Any]:
    v = values.get(name)
    return {
        "name": name,
        "label": label(name),
        "value": _fmt(name, v.value if v else None),
        "count": v.count if v and name in RATES else None,
        "low": _fmt(name, v.low) if v and v.low is not None else "",
        "high": _fmt(name, v.high) if v and v.high is not None else "",
        "small": bool(v and name in RATES and v.count is not None and v.count < 100),
        "flag": _flag_text(srb_flag(v, band), band) if name == "sex_ratio_at_birth" else "",
        "parts": _weighted_parts(v) if name == "weighted_sex_ratio_at_birth" else "",
    }


def _num(value: float | None) -> float | int | None:
    """A count stored as a float, shown as the whole number it is."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def _bar(categories: list[str], series: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "grid": {"left": 8, "right": 16, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value"},
        "series": [{"name": n, "type": "bar", "data": d} for n, d in series],
    }


def _srb_chart(rows: list[dict[str, Any]], band: tuple[float, float]) -> dict[str, Any]:
    """The ratio per unit as a point, its interval as a box, the normal band shaded."""
    names = [r["name"] for r in rows]
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "scale": True},
        "series": [
            {
                "name": _("Interval (95%)"),
                "type": "candlestick",
                "barMaxWidth": 18,
                "data": [[r["low"], r["high"], r["low"], r["high"]] for r in rows],
            },
            {
                "name": _("Sex ratio at birth"),
                "type": "scatter",
                "data": [r["ratio"] for r in rows],
                "markArea": {
                    "silent": True,
                    "itemStyle": {"opacity": 0.15},
                    "data": [[{"yAxis": band[0]}, {"yAxis": band[1]}]],
                },
            },
        ],
    }


def _pyramid_chart(men: list[int], women: list[int]) -> dict[str, Any]:
    """Men to the left (drawn as negative bars, labelled as positive), women to the right."""
    men_h, women_h = _("Men"), _("Women")
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "absolute": True},
        "yAxis": {"type": "category", "data": AGE_GROUPS, "axisTick": {"show": False}},
        "series": [
            {"name": men_h, "type": "bar", "stack": "p", "data": [-n for n in men]},
            {"name": women_h, "type": "bar", "stack": "p", "data": women},
        ],
    }


def _tables(
    unit: OrgUnit,
    period: Period,
    basis: str,
    values: dict[str, IndicatorValue],
    band: tuple[float, float],
) -> dict[str, dict[str, Any]]:
    """Each chart's data as a table (header and rows) and an ECharts option."""
    months = [add_months(period.start, i) for i in range(period.months)]
    month_ids = [f"{m.year}{m.month:02d}" for m in months]
    by_month = dict(
        IndicatorValue.objects.filter(
            orgunit=unit.code, basis=basis, indicator="births", period__in=month_ids
        ).values_list("period", "value")
    )
    births_rows = [[m, _num(by_month.get(m))] for m in month_ids]
    children = list(unit.children.order_by("code"))
    srb = {
        v.orgunit: v
        for v in IndicatorValue.objects.filter(
            orgunit__in=[c.code for c in children],
            basis=basis,
            period=period.id,
            indicator="sex_ratio_at_birth",
        )
    }
    srb_rows = [
        {
            "code": c.code,
            "name": c.name,
            "ratio": srb[c.code].value,
            "low": srb[c.code].low,
            "high": srb[c.code].high,
            "count": srb[c.code].count,
            "flag": srb_flag(srb[c.code], band),
        }
        for c in children
        if c.code in srb and srb[c.code].value is not None
    ]
    parity = [[label(p), values[p].value if p in values else None] for p in PARITY]
    asfr = [
        [a.removeprefix("asfr_").replace("_", "–"), values[a].value if a in values else None]
        for a in ASFR
    ]
    births_h, month_h = _("Live births"), _("Month")
    end = values.get("population_end")
    pyramid = end.breakdown if end is not None and end.detail else None
    men = pyramid["M"] if pyramid else []
    women = pyramid["F"] if pyramid else []
    married = values.get("married_women_15_49")
    by_children = married.breakdown if married is not None and married.detail else None
    children_labels = [_("None"), _("One"), _("Two"), _("Three or more")]
    women_h = _("Married women 15–49")
    return {
        "pyramid": {
            "title": _("Population by age and sex at period end"),
            "header": [_("Age"), _("Men"), _("Women")],
            "rows": [[a, m, w] for a, m, w in zip(AGE_GROUPS, men, women, strict=False)],
            "option": _pyramid_chart(men, women) if pyramid else None,
        },
        "married_women": {
            "title": _("Married women aged 15–49 by living children, at period end"),
            "header": [_("Living children"), women_h],
            "rows": [[c, n] for c, n in zip(children_labels, by_children or [], strict=False)],
            "option": _bar(children_labels, [(women_h, by_children)]) if by_children else None,
        },
        "births_by_month": {
            "title": _("Births by month"),
            "header": [month_h, births_h],
            "rows": births_rows,
            "option": _bar(month_ids, [(births_h, [r[1] for r in births_rows])]),
        },
        "srb_by_unit": {
            "title": _(
                "Sex ratio at birth by sub-unit, with intervals (95%%; normal range "
                "%(low)s–%(high)s)"
            )
            % {"low": f"{band[0]:g}", "high": f"{band[1]:g}"},
            "header": [
                _("Unit"),
                _("Sex ratio at birth"),
                _("Low"),
                _("High"),
                _("Births"),
                _("Interval outside the normal range"),
            ],
            "rows": [
                [
                    r["name"],
                    r["ratio"],
                    r["low"],
                    r["high"],
                    _num(r["count"]),
                    {"above": _("above"), "below": _("below")}.get(r["flag"], ""),
                ]
                for r in srb_rows
            ],
            "option": _srb_chart(srb_rows, band) if srb_rows else None,
        },
        "parity": {
            "title": _("Births by order (per cent)"),
            "header": [_("Birth order"), _("Share (%)")],
            "rows": parity,
            "option": _bar([p[0] for p in parity], [(_("Share (%)"), [p[1] for p in parity])]),
        },
        "fertility_by_age": {
            "title": _("Fertility by mother's age (‰)"),
            "header": [_("Mother's age"), _("Births per 1000 women")],
            "rows": asfr,
            "option": _bar(
                [a[0] for a in asfr], [(_("Births per 1000 women"), [a[1] for a in asfr])]
            ),
        },
    }


def _period(text: str, unit: OrgUnit, basis: str) -> Period:
    """The period named, or the default one where none is; a text that names no period
    raises PeriodError (refused, never replaced by another period)."""
    return parse(text) if text else default_period(unit, basis)


def _band(period: Period) -> tuple[float, float]:
    """The normal range of the sex ratio at birth in force at the period's end."""
    setting = stored_srb_settings().for_period(period)
    return setting.normal_low, setting.normal_high


def _bad_period(request: HttpRequest, unit: OrgUnit, error: PeriodError) -> HttpResponse:
    """400: the period text names no period; the message names it."""
    back = f"/statistics/{unit.code}/"
    context = {"error": not_a_period(str(error)), "back": back}
    return render(request, "400.html", context, status=400)


@login_required
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Headline figures, charts (each with its table and CSV) and sub-units of one unit."""
    unit = _home_unit(request.user) if code is None else unit_for_user(request.user, code)
    basis = "resident" if request.GET.get("basis") == "resident" else "registered"
    try:
        period = _period(request.GET.get("period", "").strip(), unit, basis)
    except PeriodError as exc:
        return _bad_period(request, unit, exc)
    values = {
        v.indicator: v
        for v in IndicatorValue.objects.filter(orgunit=unit.code, period=period.id, basis=basis)
    }
    band = _band(period)
    tables = _tables(unit, period, basis, values, band)
    wanted = request.GET.get("csv", "")
    if wanted in tables:
        return _csv(request, unit, period, basis, wanted, tables[wanted])
    picture = request.GET.get("png", "")
    if picture in PNG_CHARTS and values:
        return _png(unit, period, basis, picture)
    children = list(unit.children.order_by("code"))
    child_values: dict[tuple[str, str], float | None] = {
        (v.orgunit, v.indicator): v.value
        for v in IndicatorValue.objects.filter(
            orgunit__in=[c.code for c in children],
            period=period.id,
            basis=basis,
            indicator__in=["population_end", "births", "crude_birth_rate", "deaths"],
        )
    }
    rows = [
        {
            "unit": c,
            "population": _fmt("population_end", child_values.get((c.code, "population_end"))),
            "births": _fmt("births", child_values.get((c.code, "births"))),
            "cbr": _fmt("crude_birth_rate", child_values.get((c.code, "crude_birth_rate"))),
            "deaths": _fmt("deaths", child_values.get((c.code, "deaths"))),
        }
        for c in children
    ]
    job = job_latest(Job.objects.filter(kind="indicators.compute", params__period=period.id))
    stale = any(v.stale for v in values.values())
    # A job that ended a short while ago stays in view with its result (the page that
    # started it shows the new figures and what the job did).
    recent = timezone.now() - datetime.timedelta(minutes=JOB_SHOWN_MINUTES)
    show_job = job is not None and (job.active or (job.finished_at or recent) > recent)
    cases = rates_of(unit.code, period)  # petitions and hotline (read live: a few rows)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "unit": unit,
            "ancestors": breadcrumb(request.user, unit),
            "period": period,
            "basis": basis,
            "headline": [
                _cell(values, name, band)
                for name in HEADLINE
                if name in values or name != "weighted_sex_ratio_at_birth"
            ]
            if values
            else [],
            "period_name": period_text(period),
            "stale": stale,
            "charts": [
                {
                    "key": key,
                    **tables[key],
                    "json": json.dumps(tables[key]["option"], ensure_ascii=False)
                    if tables[key]["option"]
                    else "",
                    "png": key in PNG_CHARTS,
                }
                for key in CHARTS
            ],
            "children": rows,
            "job": job if show_job else None,
            "can_compute": may(request.user, "review", unit.code),
            "as_of": max((v.computed_at for v in values.values()), default=None),
            "periods": [(p, period_text(parse(p))) for p in period_choices()],
            # counted live from the messages (no snapshot): a handful of rows per unit
            "floating": unit_rates(unit.code, period.start, period.end),
            "case_rates": rate_rows(cases),
            "cases_received": cases.received,
            # the health services' rates: counts only (read live: the steps of the period)
            "health_rates": health_display.rate_rows(health_selectors.rates_of(unit.code, period)),
        },
    )


PNG_CHARTS = ("pyramid", "births_by_month", "srb_by_unit", "fertility_by_age")


def _png(unit: OrgUnit, period: Period, basis: str, key: str) -> HttpResponse:
    """One chart drawn by the server exactly as the work summary draws it (matplotlib)."""
    from renkou.reports.data import report_data
    from renkou.reports.summary import chart_png

    png = chart_png(report_data(code=unit.code, period=period.id, basis=basis), key)
    if png is None:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = (
        f'inline; filename="{unit.code}-{period.id}-{basis}-{key}.png"'
    )
    return response


def _csv(
    request: HttpRequest,
    unit: OrgUnit,
    period: Period,
    basis: str,
    key: str,
    table: dict[str, Any],
) -> HttpResponse:
    """One chart's table as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{unit.code}-{period.id}-{basis}-{key}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = CsvWriter(response)  # a unit named =1+1 is written '=1+1
    writer.writerow(table["header"])
    writer.writerows(table["rows"])
    audit_record(
        actor=request.user,
        action="statistics.export",
        object_type="orgunit",
        object_id=unit.code,
        after={"period": period.id, "basis": basis, "table": key, "rows": len(table["rows"])},
    )
    return response


@login_required
@require_POST
def dashboard_compute(request: HttpRequest, code: str) -> HttpResponse:
    """Queue the computation of a period's figures (for every unit)."""
    unit = unit_for_user(request.user, code)
    if not may(request.user, "review", unit.code):
        raise PermissionDenied
    basis = "resident" if request.POST.get("basis") == "resident" else "registered"
    try:
        period = _period(request.POST.get("period", "").strip(), unit, basis)
    except PeriodError as exc:
        return _bad_period(request, unit, exc)
    active = job_active(Job.objects.filter(kind="indicators.compute", params__period=period.id))
    if active is None:
        job_start(
            kind="indicators.compute",
            params={"period": period.id},
            actor=request.user,
            orgunit=unit.code,
        )
    return redirect(f"/statistics/{unit.code}/?period={period.id}&basis={basis}")


def period_choices(today: datetime.date | None = None) -> list[str]:
    """Recent periods offered in the selector, the current ones first: years, statistical
    years (the one running today included), quarters up to the current one."""
    today = today or timezone.localdate()
    years = [today.year - i for i in range(6)]
    stat_now = containing(today, "stat_year").start.year
    quarters = [
        f"{y}Q{q}" for y in years[:2] for q in (4, 3, 2, 1) if parse(f"{y}Q{q}").start <= today
    ]
    return (
        [str(y) for y in years] + [f"{y}Oct" for y in range(stat_now, stat_now - 6, -1)] + quarters
    )
