"""Reads of cases, scoped: a user sees the cases of their area (by the unit concerned or
the unit handling it) if they hold a case role there, and every case given to them."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from renkou.analytics.periods import Period
from renkou.cases.choices import Channel, Status
from renkou.cases.models import Case
from renkou.cases.rates import CaseFacts, CaseRates, case_rates
from renkou.core.models import RoleAssignment
from renkou.core.scoping import SCOPE_FIELDS, scope_q, user_prefixes
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q, codes_prefix_q

# Who reads the cases of their area: the case officers and the auditors (纪检). A village
# reporter reads only the cases given to them: a complaint may be about a village's staff.
READ_ROLES = frozenset({"statistician", "county_admin", "auditor"})
TABS = ("new", "in_progress", "overdue", "closed")
SHOWN = 50


def cases_for(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may read: those of their area for the reading roles, and those
    given to them while the handling unit is in their area (a role taken away, or moved to
    another unit, takes the case away with it)."""
    visible = scope_q(user, SCOPE_FIELDS["cases.case"], READ_ROLES)
    prefixes = user_prefixes(user)
    if getattr(user, "pk", None) is None or prefixes is None:
        return Case.objects.filter(visible)
    given = Q(assignee_id=user.pk) & codes_prefix_q("assigned_unit_id", prefixes)
    return Case.objects.filter(visible | given)


def case_get(user: Any, pk: int) -> Case:
    """One case the user may read (404 otherwise), with its units."""
    case = (
        cases_for(user).select_related("orgunit", "assigned_unit", "assignee").filter(pk=pk).first()
    )
    if case is None:
        raise Http404
    return case


def overdue_q(today: datetime.date) -> Q:
    """Cases past an open deadline on ``today`` (the day after the last day allowed)."""
    return Q(status=Status.NEW, accept_due__lt=today) | Q(
        status=Status.IN_PROGRESS, answer_due__lt=today
    )


def is_overdue(case: Case, today: datetime.date) -> bool:
    """Whether one case is past an open deadline on ``today`` (as ``overdue_q``)."""
    if case.status == Status.NEW:
        return case.accept_due < today
    return case.status == Status.IN_PROGRESS and case.answer_due < today


def in_unit_q(code: str) -> Q:
    """Cases that concern, or are handled in, the subtree of ``code``."""
    return code_prefix_q("orgunit_id", code) | code_prefix_q("assigned_unit_id", code)


def worklist(user: Any, unit: OrgUnit, tab: str, today: datetime.date) -> QuerySet[Case]:
    """The cases of one tab of the unit's worklist, oldest deadline first."""
    qs = cases_for(user).filter(in_unit_q(unit.code))
    if tab == "new":
        qs = qs.filter(status=Status.NEW).order_by("accept_due", "pk")
    elif tab == "in_progress":
        qs = qs.filter(status=Status.IN_PROGRESS).order_by("answer_due", "pk")
    elif tab == "overdue":
        qs = qs.filter(overdue_q(today)).order_by("accept_due", "pk")
    else:
        qs = qs.filter(status=Status.CLOSED).order_by("-closed_on", "-pk")
    return qs.select_related("orgunit", "assigned_unit", "assignee")


def tab_counts(user: Any, unit: OrgUnit, today: datetime.date) -> dict[str, int]:
    """How many cases each tab of the worklist holds."""
    return {tab: worklist(user, unit, tab, today).count() for tab in TABS}


def _facts(row: dict[str, Any]) -> CaseFacts:
    return CaseFacts(
        accept_due=row["accept_due"],
        accepted_on=row["accepted_on"],
        answer_due=row["answer_due"],
        closed_on=row["closed_on"],
        satisfaction=row["satisfaction"],
    )


FACT_FIELDS = ("orgunit_id", "accept_due", "accepted_on", "answer_due", "closed_on", "satisfaction")


def rates_of(code: str, period: Period) -> CaseRates:
    """The rates of the cases concerning the subtree of ``code`` received in ``period``."""
    rows = Case.objects.filter(
        code_prefix_q("orgunit_id", code), received_on__range=(period.start, period.end)
    ).values(*FACT_FIELDS)
    return case_rates(_facts(r) for r in rows)


def channel_counts(code: str, period: Period) -> dict[str, int]:
    """How many cases concerning the subtree of ``code`` were received in ``period``, per
    channel (every channel listed, 0 where none came)."""
    rows = (
        Case.objects.filter(
            code_prefix_q("orgunit_id", code), received_on__range=(period.start, period.end)
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(Channel.values, 0)
    counts.update(dict(rows))
    return counts


def rates_by_child(unit: OrgUnit, period: Period) -> list[tuple[OrgUnit, CaseRates]]:
    """The rates of each sub-unit of ``unit`` (one query for all)."""
    children = list(unit.children.order_by("code"))
    rows = list(
        Case.objects.filter(
            code_prefix_q("orgunit_id", unit.code),
            received_on__range=(period.start, period.end),
        ).values(*FACT_FIELDS)
    )
    return [
        (c, case_rates(_facts(r) for r in rows if r["orgunit_id"].startswith(c.code)))
        for c in children
    ]


# roles of a user a case can be given to (an auditor handles none)
HANDLER_ROLES = ("reporter", "statistician", "county_admin")


def handlers_by_unit(codes: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Whom a case handled at each of the units can be given to: the active users holding
    a role (not auditor) at that unit itself, as (id, username), by unit code (one query)."""
    rows = (
        RoleAssignment.objects.filter(
            orgunit_id__in=codes, role__in=HANDLER_ROLES, user__is_active=True
        )
        .values_list("orgunit_id", "user_id", "user__username")
        .order_by("orgunit_id", "user__username")
    )
    people: dict[str, list[tuple[int, str]]] = {}
    for code, uid, name in rows:
        if (uid, name) not in people.setdefault(code, []):
            people[code].append((uid, name))
    return people


def earlier_cases_of_phone(case: Case, user: Any) -> int:
    """How many other cases the user may read came from the same telephone (重复信访)."""
    if not case.petitioner_phone_hash:
        return 0
    return (
        cases_for(user)
        .filter(petitioner_phone_hash=case.petitioner_phone_hash)
        .exclude(pk=case.pk)
        .count()
    )
