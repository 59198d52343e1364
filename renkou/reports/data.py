"""What a report reads: the cached figures of a unit, its sub-units and the previous period.

Every number in a report comes from the indicator cache (``analytics.IndicatorValue``) or
from the quality tallies; nothing is counted here. A period that is not in the cache is
refused with a message saying how to compute it, so no report is half-filled.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.analytics.labels import not_a_period
from renkou.analytics.models import IndicatorValue, stored_srb_settings
from renkou.analytics.periods import Period, PeriodError, add_months, containing, parse
from renkou.benefits.selectors import PaidLine, paid_in
from renkou.cases.rates import CaseRates
from renkou.cases.selectors import channel_counts, rates_of
from renkou.exchange.completeness import Completeness, completeness
from renkou.floating.selectors import unit_rates
from renkou.health import selectors as health_selectors
from renkou.health.rates import HealthRates
from renkou.orgunits.models import OrgUnit
from renkou.quality.rates import Rates, quality_rates
from renkou.targets.selectors import summary_cards

LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}
BASES = ("registered", "resident")


class ReportError(ValueError):
    """Input a report cannot be made from; the message is for the user (translated)."""


Values = dict[str, IndicatorValue]


@dataclass
class ReportData:
    """The figures of one unit and period on one basis, with its sub-units'."""

    unit: OrgUnit
    period: Period
    basis: str
    values: Values
    other_basis: Values
    previous: Values
    previous_period: Period
    children: list[OrgUnit]
    child_values: dict[str, Values]
    months: dict[str, float | None]
    quality: list[Rates] = field(default_factory=list)
    # registration completeness of the unit itself against the departments' rosters
    registration: dict[str, Completeness] = field(default_factory=dict)
    benefits: list[PaidLine] = field(default_factory=list)
    # collaboration over the floating population: 通报率, 协查反馈率, 反馈及时率 (floating.rates)
    floating: dict[str, Any] = field(default_factory=dict)
    # petitions and hotline cases received in the period: rates, and counts per channel
    cases: CaseRates | None = None
    case_channels: dict[str, int] = field(default_factory=dict)
    # target agreements: the one the unit set for its sub-units, the parent's that scores it
    targets: tuple[Any, Any] = (None, None)
    # the health services' rates (国免, 两癌, 婚检): counts only, never a person
    health: HealthRates | None = None

    @property
    def as_of(self) -> datetime.datetime | None:
        """When the newest figure used was computed."""
        return max((v.computed_at for v in self.values.values()), default=None)

    @property
    def srb_band(self) -> tuple[float, float]:
        """The normal range of the sex ratio at birth in force at the period's end."""
        setting = stored_srb_settings().for_period(self.period)
        return setting.normal_low, setting.normal_high

    @property
    def stale(self) -> bool:
        """Whether events applied since may have changed some figure."""
        return any(v.stale for v in self.values.values())

    def value(self, indicator: str, unit: str | None = None) -> float | None:
        """The cached value of an indicator for the unit (default: the report's unit)."""
        values = self.values if unit is None else self.child_values.get(unit, {})
        v = values.get(indicator)
        return v.value if v is not None else None


def language(text: str) -> str:
    """The Django language code for ``zh``/``en``; ReportError for anything else."""
    try:
        return LANGUAGES[text]
    except KeyError:
        raise ReportError(_("unknown language: %(text)s (zh or en)") % {"text": text}) from None


def period_of(text: str) -> Period:
    """The period an id names; ReportError with an example for anything else."""
    try:
        return parse(text)
    except PeriodError:
        raise ReportError(not_a_period(text)) from None


def unit_of(code: str) -> OrgUnit:
    """The org unit of a code; ReportError if there is none."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise ReportError(_("no such org unit: %(code)s") % {"code": code})
    return unit


def previous_of(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    if period.kind == "dekad":
        return containing(period.start - datetime.timedelta(days=1), "dekad")
    return Period(add_months(period.start, -period.months), period.kind)


def _cell(code: str, period: str, basis: str) -> Values:
    return {
        v.indicator: v
        for v in IndicatorValue.objects.filter(orgunit=code, period=period, basis=basis)
    }


def report_data(*, code: str, period: str, basis: str = "registered") -> ReportData:
    """Read everything a report of ``code`` for ``period`` needs (ReportError if missing)."""
    if basis not in BASES:
        raise ReportError(_("unknown basis: %(text)s") % {"text": basis})
    unit = unit_of(code)
    chosen = period_of(period)
    values = _cell(unit.code, chosen.id, basis)
    if not values:
        raise ReportError(
            _(
                "the figures of %(unit)s for %(period)s are not computed yet: compute the "
                "period on the statistics page or with `renkou indicators --orgunit %(code)s "
                "--period %(period)s`"
            )
            % {"unit": unit.name, "period": chosen.id, "code": unit.code}
        )
    children = list(unit.children.order_by("code"))
    child_values: dict[str, Values] = {c.code: {} for c in children}
    for v in IndicatorValue.objects.filter(
        orgunit__in=list(child_values), period=chosen.id, basis=basis
    ):
        child_values[v.orgunit][v.indicator] = v
    previous = previous_of(chosen)
    month_ids = [f"{m.year}{m.month:02d}" for m in chosen.month_starts()]
    by_month = dict(
        IndicatorValue.objects.filter(
            orgunit=unit.code, basis=basis, indicator="births", period__in=month_ids
        ).values_list("period", "value")
    )
    # The register's quality as it stands when the report is made: the figures were
    # computed from the register as it is, not as it was at the period's end.
    day = timezone.localdate()
    return ReportData(
        unit=unit,
        period=chosen,
        basis=basis,
        values=values,
        other_basis=_cell(
            unit.code, chosen.id, "resident" if basis == "registered" else "registered"
        ),
        previous=_cell(unit.code, previous.id, basis),
        previous_period=previous,
        children=children,
        child_values=child_values,
        months={m: by_month.get(m) for m in month_ids},
        quality=quality_rates(orgunit=unit, day=day),
        registration=registration_of(unit, chosen),
        benefits=paid_in(unit.code, chosen.start, chosen.end),
        floating=unit_rates(unit.code, chosen.start, chosen.end),
        cases=rates_of(unit.code, chosen),
        case_channels=channel_counts(unit.code, chosen),
        targets=summary_cards(unit, chosen),
        health=health_selectors.rates_of(unit.code, chosen),
    )


def registration_of(unit: OrgUnit, period: Period) -> dict[str, Completeness]:
    """The unit's own completeness row for births and deaths in the period."""
    out = {}
    for event in ("birth", "death"):
        rows = completeness(unit=unit, event=event, start=period.start, end=period.end)
        if rows:
            out[event] = rows[0]
    return out
