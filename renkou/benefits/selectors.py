"""Reads of the benefit pages, scoped to the user's area.

A cycle covers a subtree; a user sees it when their area and the cycle's overlap (a village
reporter sees the county's cycle, for their village's part of the notice list), and sees
only the decisions of the villages in their own area.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from renkou.benefits.choices import EntitlementStatus, programme_choices
from renkou.benefits.models import (
    Cycle,
    Decision,
    Entitlement,
    Objection,
    Payment,
    PaymentBatch,
)
from renkou.core.scoping import restrict, scope_q, user_prefixes
from renkou.orgunits.scoping import code_prefix_q

# code lengths of province, prefecture, county, township, village (统计用区划代码)
LEVELS = (2, 4, 6, 9, 12)


def ancestors_of(code: str) -> list[str]:
    """The codes of the units above ``code``."""
    return [code[:n] for n in LEVELS if n < len(code)]


def overlap_q(field: str, prefixes: list[str] | None) -> Q:
    """Q for rows whose area (``field``) is inside or above one of the prefixes."""
    if prefixes is None:
        return Q()
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= code_prefix_q(field, prefix) | Q(**{f"{field}__in": ancestors_of(prefix)})
    return q


def cycles_for(user: Any, unit_code: str | None = None) -> QuerySet[Cycle]:
    """Cycles the user may see, optionally only those overlapping ``unit_code``'s subtree."""
    qs = Cycle.objects.filter(overlap_q("orgunit_id", user_prefixes(user)))
    if unit_code is not None:
        qs = qs.filter(overlap_q("orgunit_id", [unit_code]))
    return qs.select_related("orgunit")


def cycle_get(user: Any, pk: int) -> Cycle:
    """One cycle, or 404 when it does not exist or lies outside the user's area."""
    cycle = cycles_for(user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


def decisions_for(user: Any, cycle: Cycle) -> QuerySet[Decision]:
    """The cycle's decisions in the villages of the user's area."""
    return restrict(Decision.objects.filter(cycle=cycle), user)


def decisions_for_person(user: Any, person: Any) -> QuerySet[Decision]:
    """The decisions about one person, in the villages of the user's area."""
    return restrict(Decision.objects.filter(person=person), user)


def decision_get(user: Any, pk: int) -> Decision:
    """One decision in the user's area (404 otherwise)."""
    decision = restrict(Decision.objects.select_related("cycle"), user).filter(pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def objection_get(user: Any, pk: int) -> Objection:
    """One objection whose decision is in the user's area (404 otherwise)."""
    objection = Objection.objects.select_related("decision__cycle").filter(pk=pk).first()
    if (
        objection is None
        or not decisions_for(user, objection.decision.cycle)
        .filter(pk=objection.decision_id)
        .exists()
    ):
        raise Http404
    return objection


def payments_for(user: Any, batch: PaymentBatch) -> QuerySet[Payment]:
    """The lines of a payment file for persons registered in the user's area."""
    return batch.payments.filter(
        scope_q(user, ("person__hukou_orgunit_id", "person__residence_orgunit_id"))
    )


def batch_get(user: Any, pk: int) -> PaymentBatch:
    """One payment file of a cycle the user may see (404 otherwise)."""
    batch = PaymentBatch.objects.select_related("cycle").filter(pk=pk).first()
    if batch is None or not cycles_for(user).filter(pk=batch.cycle_id).exists():
        raise Http404
    return batch


@dataclass(frozen=True)
class PaidLine:
    """What one programme paid in an area and period: persons, months or years, amount."""

    programme: str
    label: str
    persons: int
    entitlements: int
    amount: Decimal


def paid_in(code: str, start: datetime.date, end: datetime.date) -> list[PaidLine]:
    """Entitlements paid for months in [start, end] to persons registered under ``code``.

    Counted by the month an entitlement is for (annual programmes: January), not the day the
    bank paid it, so a period's figure stays the same whenever the report is made. Money paid
    after a death and waiting to be recovered is not counted as paid.
    """
    rows = (
        Entitlement.objects.filter(
            code_prefix_q("person__hukou_orgunit_id", code),
            status=EntitlementStatus.PAID,
            month__gte=start,
            month__lte=end,
        )
        .values("programme")
        .annotate(
            persons=Count("person", distinct=True), entitlements=Count("id"), amount=Sum("amount")
        )
    )
    labels = dict(programme_choices())
    order = list(labels)
    return sorted(
        (
            PaidLine(
                programme=r["programme"],
                label=str(labels.get(r["programme"], r["programme"])),
                persons=r["persons"],
                entitlements=r["entitlements"],
                amount=r["amount"] or Decimal(0),
            )
            for r in rows
        ),
        key=lambda line: order.index(line.programme) if line.programme in order else len(order),
    )
