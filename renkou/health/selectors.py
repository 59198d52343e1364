"""Reads of service records, scoped, and the rates of a unit and period.

A person's service record is read by service staff (服务人员) of the area where the person
lives, and by nobody else; the auditor reads a record by its number, withdrawn or not
(withdrawal hides it from everyone else). The rates and counts are for every office role.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from renkou.analytics.periods import Period
from renkou.core import crypto
from renkou.core.scoping import SCOPE_FIELDS, scope_q, user_roles
from renkou.health.models import AreaFigure, FigureKind, ServiceRecord, ServiceStep
from renkou.health.rates import (
    Figures,
    HealthRates,
    RecordFacts,
    estimated_target_couples,
    health_rates,
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


def _facts(code: str, start: datetime.date, end: datetime.date) -> Iterator[RecordFacts]:
    """The facts of the records of the subtree of ``code`` with a step in the period (the
    positive results' referrals counted at any date)."""
    live = ServiceStep.objects.filter(
        code_prefix_q("record__orgunit_id", code), record__withdrawn_on__isnull=True
    )
    ids = live.filter(on__gte=start, on__lte=end).values("record_id")
    rows = (
        live.filter(record_id__in=ids)
        .values_list("record_id", "record__programme", "step", "on", "result_enc")
        .order_by("record_id")
    )
    current, programme = None, ""
    steps: dict[str, datetime.date] = {}
    outcomes: dict[str, str] = {}
    for record_id, prog, step, on, token in rows.iterator(chunk_size=5000):
        if record_id != current:
            if current is not None:
                yield RecordFacts(programme, steps, outcomes)
            current, programme, steps, outcomes = record_id, prog, {}, {}
        steps[step] = on
        if token and step in OUTCOME_STEPS:
            outcomes[step] = json.loads(crypto.decrypt(token)).get("outcome", "")
    if current is not None:
        yield RecordFacts(programme, steps, outcomes)


def _figure(code: str, year: int, kind: str) -> int | None:
    """The entered figure of a unit for a year: its own, or the sum of its sub-units'."""
    own = AreaFigure.objects.filter(orgunit_id=code, year=year, kind=kind).first()
    if own is not None:
        return own.value
    below = AreaFigure.objects.filter(code_prefix_q("orgunit_id", code), year=year, kind=kind)
    below = below.exclude(orgunit_id=code)
    total = [v for v in below.values_list("value", flat=True)]
    return sum(total) if total else None


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


def marriages(code: str, start: datetime.date, end: datetime.date) -> int:
    """Marriages registered in the subtree in the period (one event per couple)."""
    return Event.objects.filter(
        code_prefix_q("orgunit_id", code),
        kind="marriage",
        status="applied",
        effective_date__gte=start,
        effective_date__lte=end,
    ).count()


def figures_of(code: str, period: Period) -> Figures:
    """The denominators of a unit's rates for a period: the figures entered for the year
    the period ends in (the target couples estimated instead, where so configured)."""
    start, end = period.start, period.end
    year = end.year
    if settings.RENKOU_HEALTH_TARGET_COUPLES == "estimated":
        couples: int | None = estimated_couples(code, end)
    else:
        couples = _figure(code, year, FigureKind.TARGET_COUPLES)
    return Figures(
        target_couples=couples,
        pregnancies=_figure(code, year, FigureKind.PREGNANCIES),
        pregnancies_due=_figure(code, year, FigureKind.PREGNANCIES_DUE),
        target_women=_figure(code, year, FigureKind.TARGET_WOMEN),
        marriages=marriages(code, start, end),
    )


def rates_of(code: str, period: Period) -> HealthRates:
    """The service rates of the subtree of ``code`` for ``period``."""
    return health_rates(
        _facts(code, period.start, period.end), period.start, period.end, figures_of(code, period)
    )


def rates_by_child(unit: OrgUnit, period: Period) -> list[tuple[OrgUnit, HealthRates]]:
    """The rates of each sub-unit of ``unit``."""
    children = OrgUnit.objects.filter(parent=unit, valid_to__isnull=True).order_by("code")
    return [(child, rates_of(child.code, period)) for child in children]


def figures_entered(code: str) -> dict[int, dict[str, int]]:
    """The figures entered for unit ``code`` itself, by year and kind."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for year, kind, value in AreaFigure.objects.filter(orgunit_id=code).values_list(
        "year", "kind", "value"
    ):
        out[year][kind] = value
    return dict(out)
