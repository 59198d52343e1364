"""Reads of target agreements, scoped, and their scorecards computed from the indicator
cache (and the quality tallies and floating messages for those rates) for any period.

A scorecard reads every figure it needs in a few queries (one for the cache, whatever the
number of units, targets and periods), then scores in plain Python (``scoring``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou import demography as dm
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import Period, periods_within
from renkou.core.scoping import can_see_code, user_prefixes
from renkou.exchange.completeness import completeness
from renkou.floating import rates as floating_rates
from renkou.floating.models import Message, MessageKind
from renkou.floating.selectors import RATE_INDICATORS
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q, codes_prefix_q
from renkou.quality.models import Tally
from renkou.targets import catalogue, scoring
from renkou.targets.models import Agreement, Target

# Who reads agreements and scorecards of a unit: its officers and auditors (a village
# reporter has no business with the ranking of villages).
READ_ROLES = frozenset({"statistician", "county_admin", "auditor"})
TREND_KINDS = ("month", "quarter", "dekad")


def agreements_for(user: Any) -> QuerySet[Agreement]:
    """The agreements ``user`` may read: those set by a unit of their area."""
    prefixes = user_prefixes(user, READ_ROLES)
    qs = Agreement.objects.select_related("orgunit")
    if prefixes is None:
        return qs
    return qs.filter(codes_prefix_q("orgunit_id", prefixes))


def agreement_get(user: Any, pk: int) -> Agreement:
    """One agreement the user may read (404 otherwise)."""
    agreement = agreements_for(user).filter(pk=pk).first()
    if agreement is None:
        raise Http404
    return agreement


def may_read_unit(user: Any, code: str) -> bool:
    """Whether the user reads the agreements of the unit ``code``."""
    return can_see_code(user, code, READ_ROLES)


def year_of(agreement: Agreement) -> Period:
    """The calendar year of the agreement, as a period."""
    return Period(datetime.date(agreement.year, 1, 1), "year")


def scored_units(agreement: Agreement) -> list[OrgUnit]:
    """The sub-units the agreement scores: the unit's children that existed in its year."""
    first, last = datetime.date(agreement.year, 1, 1), datetime.date(agreement.year, 12, 31)
    children = OrgUnit.objects.filter(parent_id=agreement.orgunit_id).order_by("code")
    return [
        c for c in children if c.valid_from <= last and (c.valid_to is None or c.valid_to >= first)
    ]


Key = tuple[str, str, str, str]  # (period id, indicator, basis, unit code)

# Rates per population and time (‰ a year, children per woman): the cache holds them per
# period (births in ten days ÷ population × 1000), so a quarter's, month's or ten days'
# figure is annualised before it is compared with a yearly target. Shares and ratios (SRB,
# parity shares, infant mortality, quality and collaboration rates) and counts are not.
ANNUALISED = frozenset(
    {
        "crude_birth_rate",
        "crude_death_rate",
        "natural_growth_rate",
        "general_fertility_rate",
        "total_fertility_rate",
        "total_fertility_rate_single_years",
        *(name for name in catalogue.CATALOGUE if name.startswith("asfr_")),
    }
)


def annual_factor(period: Period) -> float:
    """What a period's rate is multiplied by to be a rate a year: the days of its calendar
    year over its own days (1 for a year and a statistical year)."""
    if period.kind in ("year", "stat_year"):
        return 1.0
    first = datetime.date(period.start.year, 1, 1)
    year_days = (datetime.date(period.start.year + 1, 1, 1) - first).days
    return year_days / period.days


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _cache_measures(
    targets: list[Target], codes: list[str], periods: list[Period]
) -> dict[Key, scoring.Measure]:
    names = {t.indicator for t in targets if catalogue.CATALOGUE[t.indicator].source == "cache"}
    if not names:
        return {}
    bases = {t.basis for t in targets}
    rows = IndicatorValue.objects.filter(
        period__in=[p.id for p in periods],
        indicator__in=sorted(names),
        basis__in=sorted(bases),
        orgunit__in=codes,
    ).values_list("period", "indicator", "basis", "orgunit", "value", "low", "high", "count")
    factors = {p.id: annual_factor(p) for p in periods}
    out = {}
    for period, name, basis, unit, value, low, high, count in rows.iterator(chunk_size=20_000):
        if name in ANNUALISED and factors[period] != 1.0:
            f = factors[period]
            out[(period, name, basis, unit)] = scoring.Measure(
                _scaled(value, f), _scaled(low, f), _scaled(high, f), count
            )
        else:
            out[(period, name, basis, unit)] = scoring.Measure(value, low, high, count)
    return out


def _share(part: int, whole: int) -> scoring.Measure:
    if whole <= 0:
        return scoring.Measure(None, count=0)
    low, high = dm.bounded_rate_interval(part, whole, per=100)
    return scoring.Measure(100.0 * part / whole, low, high, whole)


def _quality_measures(
    agreement: Agreement, targets: list[Target], codes: list[str], periods: list[Period]
) -> dict[Key, scoring.Measure]:
    """Logic accuracy and completeness of each unit at each period's end: the villages'
    latest tallies on or before that day, summed (as ``quality.rates`` sums them)."""
    wanted = [t for t in targets if catalogue.CATALOGUE[t.indicator].source == "quality"]
    if not wanted:
        return {}
    tallies = list(
        Tally.objects.filter(unit__startswith=agreement.orgunit_id)
        .order_by("unit", "day")
        .values_list(
            "unit", "day", "persons", "persons_with_error", "required_fields", "filled_fields"
        )
    )
    out: dict[Key, scoring.Measure] = {}
    for period in periods:
        latest: dict[str, tuple[Any, ...]] = {}
        for row in tallies:
            if row[1] <= period.end:
                latest[row[0]] = row
        for code in codes:
            mine = [r for u, r in latest.items() if u.startswith(code)]
            persons = sum(r[2] for r in mine)
            errors = sum(r[3] for r in mine)
            required = sum(r[4] for r in mine)
            filled = sum(r[5] for r in mine)
            for t in wanted:
                if t.indicator == "quality_logic_accuracy":
                    m = _share(persons - errors, persons)
                else:
                    m = _share(filled, required)
                out[(period.id, t.indicator, t.basis, code)] = m
    return out


# target indicator → (event, roster kind) of ``exchange.completeness``
_COMPLETENESS = {
    "completeness_births": ("birth", "hospital_births"),
    "completeness_deaths_hospital": ("death", "hospital_deaths"),
    "completeness_deaths_police": ("death", "police_deaths"),
}


def _completeness_measures(
    agreement: Agreement, targets: list[Target], codes: list[str], periods: list[Period]
) -> dict[Key, scoring.Measure]:
    """Completeness of registration of each sub-unit against a roster kind, as the
    completeness page counts it (``exchange.completeness``: the roster's events the
    register holds ÷ the roster's events, Wilson interval); no figure where the rosters
    received do not cover the unit and the whole period."""
    wanted = [t for t in targets if catalogue.CATALOGUE[t.indicator].source == "completeness"]
    if not wanted:
        return {}
    out: dict[Key, scoring.Measure] = {}
    unit = OrgUnit.objects.get(code=agreement.orgunit_id)
    for period in periods:
        for event in sorted({_COMPLETENESS[t.indicator][0] for t in wanted}):
            rows = {
                r.code: r
                for r in completeness(unit=unit, event=event, start=period.start, end=period.end)
            }
            for t in wanted:
                of_event, kind = _COMPLETENESS[t.indicator]
                if of_event != event:
                    continue
                for code in codes:
                    share = rows[code].share(kind) if code in rows else None
                    out[(period.id, t.indicator, t.basis, code)] = (
                        _share(share.part, share.whole)
                        if share is not None
                        else scoring.Measure(None, count=0)
                    )
    return out


def _floating_measures(
    agreement: Agreement, targets: list[Target], codes: list[str], periods: list[Period]
) -> dict[Key, scoring.Measure]:
    """The collaboration rates of each unit and period, as ``floating.selectors.unit_rates``
    counts them (arrivals by their date, requests by the day received, answered by now),
    from the messages of the whole area read once."""
    wanted = [t for t in targets if catalogue.CATALOGUE[t.indicator].source == "floating"]
    if not wanted or not periods:
        return {}
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    notices = [
        (area, day, timezone.localtime(sent).date() if sent else None, days)
        for area, day, sent, days in Message.objects.filter(
            code_prefix_q("sender_area", agreement.orgunit_id),
            kind=MessageKind.NOTICE,
            event_date__gte=first,
            event_date__lte=last,
        ).values_list("sender_area", "event_date", "sent_at", "deadline_days")
    ]
    requests = [
        (
            area,
            timezone.localtime(received).date(),
            timezone.localtime(answered).date() if answered else None,
            due,
        )
        for area, received, answered, due in Message.objects.filter(
            code_prefix_q("receiver_area", agreement.orgunit_id),
            kind=MessageKind.REQUEST,
            received_at__date__gte=first,
            received_at__date__lte=last,
        ).values_list("receiver_area", "received_at", "answered_at", "due_on")
    ]
    out: dict[Key, scoring.Measure] = {}
    for period in periods:
        for code in codes:
            arrived = [
                (day, sent, days)
                for area, day, sent, days in notices
                if area.startswith(code) and period.start <= day <= period.end
            ]
            received = [
                (answered, due)
                for area, day, answered, due in requests
                if area.startswith(code) and period.start <= day <= period.end
            ]
            replied, on_time = floating_rates.reply_rates(received)
            ratios = {
                "notice": floating_rates.notice_rate(arrived),
                "reply": replied,
                "on_time": on_time,
            }
            for t in wanted:
                ratio = ratios[RATE_INDICATORS[t.indicator][0]]
                out[(period.id, t.indicator, t.basis, code)] = _share(
                    ratio.numerator, ratio.denominator
                )
    return out


def _benefit_measures(
    agreement: Agreement, targets: list[Target], codes: list[str], periods: list[Period]
) -> dict[Key, scoring.Measure]:
    """资金发放到位率 of each unit and period: the amounts paid of the amounts due for the
    months of the period (a ten-day period: its month), every programme, by the recipient's
    registered place, as ``benefits.payments.disbursement_rate`` counts a cycle (stopped
    entitlements left out). Money, not persons: no interval."""
    wanted = [t for t in targets if catalogue.CATALOGUE[t.indicator].source == "benefits"]
    if not wanted or not periods:
        return {}
    from renkou.benefits.choices import EntitlementStatus
    from renkou.benefits.models import Entitlement

    first = min(p.start for p in periods).replace(day=1)
    last = max(p.end for p in periods)
    rows = list(
        Entitlement.objects.filter(
            code_prefix_q("person__hukou_orgunit_id", agreement.orgunit_id),
            month__gte=first,
            month__lte=last,
        )
        .exclude(status=EntitlementStatus.STOPPED)
        .values_list("person__hukou_orgunit_id", "month", "amount", "status")
    )
    out: dict[Key, scoring.Measure] = {}
    for period in periods:
        start = period.start.replace(day=1)
        mine = [r for r in rows if start <= r[1] <= period.end]
        for code in codes:
            owed = sum(float(r[2]) for r in mine if r[0] and r[0].startswith(code))
            paid = sum(
                float(r[2])
                for r in mine
                if r[0] and r[0].startswith(code) and r[3] == EntitlementStatus.PAID
            )
            value = 100.0 * paid / owed if owed > 0 else None
            for t in wanted:
                out[(period.id, t.indicator, t.basis, code)] = scoring.Measure(value)
    return out


def rule_of(target: Target) -> scoring.TargetRule:
    """The scoring rule of a stored target."""
    return scoring.TargetRule(
        target=target.target_value,
        direction=target.direction,
        weight=target.weight,
        rule=target.rule,
        floor=target.floor,
        lenient=target.lenient,
    )


@dataclass
class Row:
    """One unit of a scorecard: its scores, rank and the reasons it is on the watch list."""

    unit: OrgUnit
    score: scoring.UnitScore
    rank: int | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def watched(self) -> bool:
        """Whether the unit is on the watch list (警示)."""
        return bool(self.reasons)


@dataclass
class Scorecard:
    """An agreement's scores for one period: units ranked, and whether figures are missing."""

    agreement: Agreement
    period: Period
    targets: list[Target]
    rows: list[Row]
    missing: bool = False

    @property
    def empty(self) -> bool:
        """Whether no unit has a figure for any target."""
        return bool(self.rows) and all(r.score.total is None for r in self.rows)

    @property
    def watch_list(self) -> list[Row]:
        """The units on the watch list, lowest score first."""
        rows = [r for r in self.rows if r.watched]
        return sorted(rows, key=lambda r: (r.score.total is None, r.score.total or 0.0))

    @property
    def average(self) -> float | None:
        """The mean total of the units that have one."""
        known = [r.score.total for r in self.rows if r.score.total is not None]
        return sum(known) / len(known) if known else None


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _reasons(row: Row, card_targets: list[Target], agreement: Agreement, ranked: int) -> list[str]:
    """Why a unit is on the watch list (empty: it is not). A unit is put on it for a score
    below the watch line, a figure beyond a target's floor, or the last place; a target it
    failed is then listed among the reasons too (alone it puts no unit on the list)."""
    triggers, failed = [], []
    total = row.score.total
    if total is None:
        triggers.append(_("No figure for any target."))
    elif total < agreement.watch_line:
        triggers.append(
            _("Score %(score)s is below the watch line %(line)s.")
            % {"score": _fmt(total), "line": _fmt(agreement.watch_line)}
        )
    for target, outcome in zip(card_targets, row.score.targets, strict=True):
        name = catalogue.CATALOGUE[target.indicator].label
        if outcome.status == "below_floor":
            triggers.append(
                _("%(name)s: %(value)s is beyond the floor %(floor)s (target %(target)s).")
                % {
                    "name": name,
                    "value": _fmt(outcome.value),
                    "floor": _fmt(target.floor),
                    "target": _fmt(target.target_value),
                }
            )
        elif outcome.status == "failed":
            failed.append(
                _("%(name)s: %(value)s does not meet the target %(target)s.")
                % {"name": name, "value": _fmt(outcome.value), "target": _fmt(target.target_value)}
            )
    if ranked > 1 and row.rank is not None and row.rank == ranked and total is not None:
        triggers.append(_("Last place in the ranking (of %(n)d).") % {"n": ranked})
    return [*triggers, *failed] if triggers else []


def scorecards(agreement: Agreement, periods: Iterable[Period]) -> dict[str, Scorecard]:
    """The agreement's scorecard for each period (figures read in one go for all)."""
    chosen = list(periods)
    targets = list(agreement.targets.order_by("position"))
    units = scored_units(agreement)
    codes = [u.code for u in units]
    measures = _cache_measures(targets, codes, chosen)
    measures.update(_quality_measures(agreement, targets, codes, chosen))
    measures.update(_floating_measures(agreement, targets, codes, chosen))
    measures.update(_completeness_measures(agreement, targets, codes, chosen))
    measures.update(_benefit_measures(agreement, targets, codes, chosen))
    rules = [rule_of(t) for t in targets]
    empty = scoring.Measure(None)
    out = {}
    for period in chosen:
        rows = [
            Row(
                unit,
                scoring.score_unit(
                    rules,
                    [
                        measures.get((period.id, t.indicator, t.basis, unit.code), empty)
                        for t in targets
                    ],
                    agreement.total_weight,
                ),
            )
            for unit in units
        ]
        ranks = scoring.ranks(
            [None if r.score.total is None else round(r.score.total, 6) for r in rows]
        )
        for row, rank in zip(rows, ranks, strict=True):
            row.rank = rank
        ranked = sum(1 for r in ranks if r is not None)
        # A period without a figure for any unit (nothing happened yet, nothing counted) puts
        # nobody on the watch list: "no figure" singles a unit out only among units with some.
        if ranked:
            for row in rows:
                row.reasons = _reasons(row, targets, agreement, ranked)
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.code))
        cached = any(catalogue.CATALOGUE[t.indicator].source == "cache" for t in targets)
        missing = (
            cached
            and bool(codes)
            and not any(
                k[0] == period.id for k in measures if catalogue.CATALOGUE[k[1]].source == "cache"
            )
        )
        out[period.id] = Scorecard(agreement, period, targets, rows, missing)
    return out


def scorecard(agreement: Agreement, period: Period) -> Scorecard:
    """The agreement's scorecard for one period."""
    return scorecards(agreement, [period])[period.id]


def trend_periods(agreement: Agreement, kind: str, today: datetime.date) -> list[Period]:
    """The periods of ``kind`` of the agreement's year that have begun by ``today``."""
    year = year_of(agreement)
    return [p for p in periods_within(year.start, year.end, (kind,)) if p.start <= today]  # type: ignore[arg-type]


def agreement_year(period: Period) -> int:
    """The agreement year a period is scored under: the calendar year it starts in, or the
    one a statistical year (or half) ends in."""
    return period.end.year if period.kind in ("stat_year", "stat_half") else period.start.year


def summary_cards(unit: OrgUnit, period: Period) -> tuple[Scorecard | None, Scorecard | None]:
    """For the work summary: the scorecard of the agreement ``unit`` set for its sub-units,
    and that of its parent's agreement that scores it (None where there is none)."""
    year = agreement_year(period)
    own = Agreement.objects.filter(orgunit=unit, year=year).select_related("orgunit").first()
    parent = None
    if unit.parent_id:
        parent = (
            Agreement.objects.filter(orgunit_id=unit.parent_id, year=year)
            .select_related("orgunit")
            .first()
        )
    return (
        scorecard(own, period) if own else None,
        scorecard(parent, period) if parent else None,
    )
