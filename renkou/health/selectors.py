"""Reads of service records, scoped, and the rates of a unit and period.

A person's service record is read by service staff (服务人员) of the area where the person
lives, and by nobody else; the auditor reads a record by its number, withdrawn or not
(withdrawal hides it from everyone else). The rates and counts are for every office role.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from renkou.analytics.periods import Period
from renkou.core import crypto
from renkou.core.scoping import SCOPE_FIELDS, scope_q, user_roles
from renkou.health.models import AreaFigure, FigureKind, ServiceRecord, ServiceStep
from renkou.health.rates import (
    COUNTS,
    Figures,
    HealthRates,
    RecordFacts,
    estimated_target_couples,
    rates_from_counts,
    record_counts,
)
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.models import Event, Person

SERVICE_ROLE = "service_staff"
# who sees the rates and counts (never a person's record)
RATE_ROLES = frozenset({"statistician", "county_admin", "auditor", SERVICE_ROLE, "sysadmin"})
OUTCOME_STEPS = ("risk_assessed", "result")


def is_service_staff(user: Any) -> bool:
    """Whether the user holds the service role anywhere (the superuser does not)."""
    return SERVICE_ROLE in user_roles(user)


def may_see_rates(user: Any) -> bool:
    """Whether the user may open the rates pages."""
    return bool(user_roles(user) & RATE_ROLES)


def records_for(user: Any) -> QuerySet[ServiceRecord]:
    """The service records ``user`` may read: service staff's of their area, consent not
    withdrawn; nobody else's."""
    if not is_service_staff(user):
        return ServiceRecord.objects.none()
    visible = scope_q(user, SCOPE_FIELDS["health.servicerecord"], {SERVICE_ROLE})
    return ServiceRecord.objects.filter(visible, withdrawn_on__isnull=True)


def audited_records_for(user: Any) -> QuerySet[ServiceRecord]:
    """The records an auditor of an area may read, withdrawn ones included."""
    if "auditor" not in user_roles(user):
        return ServiceRecord.objects.none()
    return ServiceRecord.objects.filter(
        scope_q(user, SCOPE_FIELDS["health.servicerecord"], {"auditor"})
    )


def record_get(user: Any, pk: int) -> ServiceRecord:
    """One record the user may read (404 otherwise)."""
    record = (
        (records_for(user) | audited_records_for(user))
        .select_related("woman", "man", "orgunit")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404
    return record


def person_records(user: Any, person: Person) -> QuerySet[ServiceRecord]:
    """The service records of one person that ``user`` may read."""
    return (
        records_for(user)
        .filter(Q(woman=person) | Q(man=person))
        .select_related("woman", "man")
        .order_by("-opened_on", "-pk")
    )


def steps_shown(record: ServiceRecord) -> list[tuple[ServiceStep, dict[str, str]]]:
    """The record's steps with their decrypted results (for an authorised reader only)."""
    steps = record.steps.select_related("institution").order_by("on", "pk")
    return [(s, json.loads(crypto.decrypt(s.result_enc)) if s.result_enc else {}) for s in steps]


def estimated_couples(code: str, at: datetime.date) -> int:
    """Married women aged 20–49 at ``at`` living in the subtree, with fewer than three
    living children (as the register stands)."""
    women = (
        Person.objects.filter(
            code_prefix_q("residence_orgunit_id", code),
            sex="F",
            status="alive",
            marital_status="married",
            birth_date__gt=datetime.date(at.year - 50, 1, 1),
        )
        .annotate(
            children=Count("children_as_mother", filter=Q(children_as_mother__status="alive"))
        )
        .values_list("birth_date", "children")
    )
    return estimated_target_couples(women.iterator(chunk_size=5000), at)


def rates_of(code: str, period: Period) -> HealthRates:
    """The service rates of the subtree of ``code`` for ``period``."""
    return rates_many([code], [period])[(code, period.id)]


def rates_by_child(unit: OrgUnit, period: Period) -> list[tuple[OrgUnit, HealthRates]]:
    """The rates of each sub-unit of ``unit``."""
    children = list(OrgUnit.objects.filter(parent=unit, valid_to__isnull=True).order_by("code"))
    many = rates_many([c.code for c in children], [period])
    return [(child, many[(child.code, period.id)]) for child in children]


def _ancestors(code: str, wanted: set[str], lengths: list[int]) -> list[str]:
    """The codes of ``wanted`` that are ``code`` or contain it (its code prefixes)."""
    return [code[:n] for n in lengths if len(code) >= n and code[:n] in wanted]


def rates_many(codes: list[str], periods: list[Period]) -> dict[tuple[str, str], HealthRates]:
    """The rates of every unit of ``codes`` (each with its subtree) and every period, in one
    pass: each step read and each result decrypted once, its record's counts added to every
    unit above it and every period its dates fall in; the entered figures and the marriages
    read once too. Keyed by (unit code, period id)."""
    wanted = set(codes)
    lengths = sorted({len(c) for c in wanted})
    if not wanted or not periods:
        return {}
    start = min(p.start for p in periods)
    end = max(p.end for p in periods)
    prefixes = [c for c in wanted if not any(c != o and c.startswith(o) for o in wanted)]
    in_area = Q(pk__in=[])
    for prefix in prefixes:
        in_area |= code_prefix_q("record__orgunit_id", prefix)
    live = ServiceStep.objects.filter(in_area, record__withdrawn_on__isnull=True)
    ids = live.filter(on__gte=start, on__lte=end).values("record_id")
    rows = (
        live.filter(record_id__in=ids)
        .values_list(
            "record_id", "record__orgunit_id", "record__programme", "step", "on", "result_enc"
        )
        .order_by("record_id")
    )
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))

    def add(unit: str, facts: RecordFacts) -> None:
        days = set(facts.steps.values())
        ancestors = _ancestors(unit, wanted, lengths)
        for p in periods:
            if not any(p.start <= d <= p.end for d in days):
                continue
            got = record_counts(facts, p.start, p.end)
            for code in ancestors:
                cell = counts[(code, p.id)]
                for key, value in got.items():
                    cell[key] += value

    current, unit, programme = None, "", ""
    steps: dict[str, datetime.date] = {}
    outcomes: dict[str, str] = {}
    for record_id, orgunit, prog, step, on, token in rows.iterator(chunk_size=5000):
        if record_id != current:
            if current is not None:
                add(unit, RecordFacts(programme, steps, outcomes))
            current, unit, programme, steps, outcomes = record_id, orgunit, prog, {}, {}
        steps[step] = on
        if token and step in OUTCOME_STEPS:
            outcomes[step] = json.loads(crypto.decrypt(token)).get("outcome", "")
    if current is not None:
        add(unit, RecordFacts(programme, steps, outcomes))

    figures = _figures_many(wanted, lengths, {p.end.year for p in periods})
    marriages = _marriages_many(wanted, lengths, prefixes, periods, start, end)
    estimated = settings.RENKOU_HEALTH_TARGET_COUPLES == "estimated"
    out: dict[tuple[str, str], HealthRates] = {}
    for code in wanted:
        for p in periods:
            year = p.end.year

            def figure(kind: str, code: str = code, year: int = year) -> int | None:
                own = figures.get((code, year, kind, "own"))
                return own if own is not None else figures.get((code, year, kind, "below"))

            numbers = Figures(
                target_couples=estimated_couples(code, p.end)
                if estimated
                else figure(FigureKind.TARGET_COUPLES),
                pregnancies=figure(FigureKind.PREGNANCIES),
                pregnancies_due=figure(FigureKind.PREGNANCIES_DUE),
                target_women=figure(FigureKind.TARGET_WOMEN),
                marriages=marriages.get((code, p.id), 0),
            )
            out[(code, p.id)] = rates_from_counts(counts.get((code, p.id), {}), numbers)
    return out


def _figures_many(
    wanted: set[str], lengths: list[int], years: set[int]
) -> dict[tuple[str, int, str, str], int]:
    """(unit, year, kind, "own" | "below") → the unit's own figure, or the sum of the
    figures entered below it."""
    out: dict[tuple[str, int, str, str], int] = defaultdict(int)
    rows = AreaFigure.objects.filter(year__in=sorted(years)).values_list(
        "orgunit_id", "year", "kind", "value"
    )
    for unit, year, kind, value in rows:
        if unit in wanted:
            out[(unit, year, kind, "own")] = value
        for code in _ancestors(unit, wanted, lengths):
            if code != unit:
                out[(code, year, kind, "below")] += value
    return dict(out)


def _marriages_many(
    wanted: set[str],
    lengths: list[int],
    prefixes: list[str],
    periods: list[Period],
    start: datetime.date,
    end: datetime.date,
) -> dict[tuple[str, str], int]:
    """(unit, period id) → marriages registered (applied marriage events, one per couple)."""
    in_area = Q(pk__in=[])
    for prefix in prefixes:
        in_area |= code_prefix_q("orgunit_id", prefix)
    rows = Event.objects.filter(
        in_area,
        kind="marriage",
        status="applied",
        effective_date__gte=start,
        effective_date__lte=end,
    ).values_list("orgunit_id", "effective_date")
    out: dict[tuple[str, str], int] = defaultdict(int)
    for unit, day in rows.iterator(chunk_size=5000):
        ancestors = _ancestors(unit, wanted, lengths)
        for p in periods:
            if p.start <= day <= p.end:
                for code in ancestors:
                    out[(code, p.id)] += 1
    return dict(out)


def figures_entered(code: str) -> dict[int, dict[str, int]]:
    """The figures entered for unit ``code`` itself, by year and kind."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for year, kind, value in AreaFigure.objects.filter(orgunit_id=code).values_list(
        "year", "kind", "value"
    ):
        out[year][kind] = value
    return dict(out)
