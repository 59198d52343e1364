"""The benefit cycle's writes: compute → notice → objections → approve → entitlements.

Every function runs in one transaction with its audit row; a cycle's state only moves
forward, and a decision changes only through an audited objection resolution.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.benefits.choices import CycleStatus, EntitlementStatus, Outcome
from renkou.benefits.facts import Facts, facts_from_register
from renkou.benefits.models import Cycle, Decision, Entitlement, Objection
from renkou.benefits.programmes import PROGRAMMES
from renkou.benefits.programmes.base import Evaluation, month_starts
from renkou.core.audit import audit_record
from renkou.orgunits.models import OrgUnit


class CycleError(Exception):
    """A cycle step refused: wrong state, same user approving, or an open objection."""


cycle_noticed = Signal()
"""Sent in the transaction that publishes a cycle's notice (``cycle``): when the notice ends
the cycle waits for a second county administrator's approval."""


def evaluate(programme: str, year: int, facts: Facts | None = None) -> Evaluation:
    """Run one programme over the whole register (vectorised); nothing is written."""
    if programme not in PROGRAMMES:
        raise CycleError(_("unknown programme %(p)s") % {"p": programme})
    return PROGRAMMES[programme].evaluate(facts or facts_from_register(), year)


def _in_area(facts: Facts, rows: np.ndarray, orgunit: OrgUnit) -> np.ndarray:
    """Which rows are registered in ``orgunit``'s subtree (code prefix)."""
    return np.char.startswith(facts.orgunit[rows], orgunit.code)


def _move(cycle: Cycle, *, actor: Any, to: str, allowed: tuple[str, ...], reason: str = "") -> None:
    if cycle.status not in allowed:
        raise CycleError(
            _("cycle %(id)s is %(status)s; this step needs %(allowed)s")
            % {"id": cycle.pk, "status": cycle.status, "allowed": ", ".join(allowed)}
        )
    before = cycle.status
    cycle.status = to
    cycle.save(
        update_fields=["status", "notice_from", "notice_until", "approved_by", "approved_at"]
    )
    audit_record(
        actor=actor,
        action=f"benefits.cycle.{to}",
        object_type="benefits.cycle",
        object_id=cycle.pk,
        before={"status": before},
        after={"status": to},
        reason=reason,
    )


@transaction.atomic
def cycle_compute(
    *,
    programme: str,
    year: int,
    orgunit: OrgUnit,
    actor: Any,
    facts: Facts | None = None,
    step: Callable[[float, str], None] | None = None,
) -> Cycle:
    """Compute a draft: one decision with reasons and monthly amounts per candidate.

    ``step(fraction, name)`` is told where the work is (the page's progress bar).
    """
    step = step or (lambda _fraction, _name: None)
    existing = Cycle.objects.filter(programme=programme, year=year, orgunit=orgunit).first()
    if existing is not None:
        raise CycleError(
            _("cycle %(id)s of this programme, year and area exists already") % {"id": existing.pk}
        )
    step(0.0, _("reading the register"))
    facts = facts or facts_from_register()
    step(0.3, _("evaluating the rules"))
    ev = evaluate(programme, year, facts)
    step(0.5, _("writing the decisions"))
    keep = _in_area(facts, ev.subject, orgunit)
    cycle = Cycle.objects.create(
        programme=programme,
        year=year,
        orgunit=orgunit,
        computed_by=actor if getattr(actor, "pk", None) else None,
    )
    outcome = ev.outcome()
    months = [str(m) for m in month_starts(year)]
    decisions = []
    for i in np.flatnonzero(keep):
        row = ev.amounts[i]
        village = str(facts.orgunit[ev.subject[i]])
        decisions.append(
            Decision(
                cycle=cycle,
                person_id=int(facts.pid[ev.recipient[i]]),
                village_id=village or None,
                outcome=str(outcome[i]),
                category=str(ev.category[i]),
                reasons=ev.reasons(int(i)),
                amount=Decimal(str(round(float(row.sum()), 2))),
                months=[[months[k], round(float(row[k]), 2)] for k in np.flatnonzero(row > 0)],
            )
        )
    for i in range(0, len(decisions), 2000):
        Decision.objects.bulk_create(decisions[i : i + 2000])
        step(0.5 + 0.5 * i / max(len(decisions), 1), _("writing the decisions"))
    counts = {o: int((outcome[keep] == o).sum()) for o in Outcome.values}
    audit_record(
        actor=actor,
        action="benefits.cycle.computed",
        object_type="benefits.cycle",
        object_id=cycle.pk,
        after={"programme": programme, "year": year, "orgunit": orgunit.code, **counts},
    )
    return cycle


@transaction.atomic
def cycle_notice(*, cycle: Cycle, start: datetime.date, days: int, actor: Any) -> Cycle:
    """Publish the draft as the public notice (公示) for ``days`` days from ``start``."""
    cycle.notice_from, cycle.notice_until = start, start + datetime.timedelta(days=days - 1)
    _move(cycle, actor=actor, to=CycleStatus.NOTICE, allowed=(CycleStatus.COMPUTED,))
    cycle_noticed.send(sender=Cycle, cycle=cycle)
    return cycle


@transaction.atomic
def objection_raise(
    *, decision: Decision, text: str, raised_on: datetime.date, actor: Any
) -> Objection:
    """Record an objection to one decision during the notice."""
    if decision.cycle.status != CycleStatus.NOTICE:
        raise CycleError(_("objections are recorded only while the list is on notice"))
    objection = Objection.objects.create(decision=decision, text=text, raised_on=raised_on)
    audit_record(
        actor=actor,
        action="benefits.objection.raised",
        object_type="benefits.decision",
        object_id=decision.pk,
        after={"objection": objection.pk, "text": text},
    )
    return objection


@transaction.atomic
def objection_resolve(
    *, objection: Objection, resolution: str, outcome: str | None, actor: Any
) -> Objection:
    """Resolve an objection; ``outcome`` (if given) changes the decision, audited."""
    objection.resolution = resolution
    objection.resolved_by = actor if getattr(actor, "pk", None) else None
    objection.save(update_fields=["resolution", "resolved_by"])
    decision = objection.decision
    before = decision.outcome
    if outcome is not None and outcome != before:
        decision.outcome = outcome
        if outcome != Outcome.ELIGIBLE:
            decision.amount, decision.months = Decimal("0"), []
        decision.save(update_fields=["outcome", "amount", "months"])
    audit_record(
        actor=actor,
        action="benefits.objection.resolved",
        object_type="benefits.decision",
        object_id=decision.pk,
        before={"outcome": before},
        after={"outcome": decision.outcome, "resolution": resolution},
    )
    return objection


@transaction.atomic
def cycle_approve(*, cycle: Cycle, actor: Any, today: datetime.date | None = None) -> int:
    """Approve after the notice (four-eyes: not the user who computed) and create entitlements.

    The entitlements' unique constraint (programme, person, month) refuses the whole
    approval if any month is already owed to the person by another cycle.
    """
    today = today or timezone.localdate()
    if not getattr(actor, "pk", None):
        raise CycleError(_("approval needs a signed-in user"))
    if cycle.computed_by_id is None or cycle.computed_by_id == actor.pk:
        raise CycleError(_("the user who computed a cycle may not approve it"))
    if cycle.notice_until is None or today <= cycle.notice_until:
        raise CycleError(_("the public notice has not ended"))
    if Objection.objects.filter(decision__cycle=cycle, resolution="").exists():
        raise CycleError(_("an objection is still open"))
    cycle.approved_by, cycle.approved_at = actor, timezone.now()
    _move(cycle, actor=actor, to=CycleStatus.APPROVED, allowed=(CycleStatus.NOTICE,))
    rows = [
        Entitlement(
            programme=cycle.programme,
            person_id=d.person_id,
            month=datetime.date.fromisoformat(month),
            amount=Decimal(str(amount)),
            cycle=cycle,
        )
        for d in cycle.decisions.filter(outcome=Outcome.ELIGIBLE).only("person_id", "months")
        for month, amount in d.months
    ]
    try:
        with transaction.atomic():
            Entitlement.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError as exc:
        # the database's guarantee: the whole approval is refused (this transaction too)
        raise CycleError(
            _("refused: some of these months are already owed to the same persons by another cycle")
        ) from exc
    return len(rows)


@transaction.atomic
def entitlements_stop_after_death(*, actor: Any, person: Any = None) -> dict[str, int]:
    """A death stops the months after it; months already paid after it are flagged to recover.

    Called for one ``person`` when the registry applies a death, or for every dead person
    (``renkou benefits stop-after-death``, e.g. after a bulk load of deaths).
    """
    from renkou.registry.models import Person

    stopped = flagged = 0
    dead = Person.objects.filter(death_date__isnull=False)
    if person is not None:
        dead = dead.filter(pk=person.pk)
    for ent in Entitlement.objects.filter(person__in=dead).select_related("person"):
        if ent.month <= ent.person.death_date:
            continue
        before = ent.status
        if before in (EntitlementStatus.DUE, EntitlementStatus.FAILED):
            ent.status = EntitlementStatus.STOPPED
            stopped += 1
        elif before == EntitlementStatus.PAID:
            ent.status = EntitlementStatus.RECOVER
            flagged += 1
        else:
            continue
        ent.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=f"benefits.entitlement.{ent.status}",
            object_type="benefits.entitlement",
            object_id=ent.pk,
            before={"status": before},
            after={"status": ent.status},
            reason="death",
        )
    return {"stopped": stopped, "flagged": flagged}


@transaction.atomic
def bank_account_set(*, person: Any, bank: str, account: str, actor: Any) -> Any:
    """Record a recipient's bank account: blind index, ciphertext and mask, never clear."""
    from renkou.benefits.models import BankAccount
    from renkou.core.crypto import blind_index, encrypt

    digits = "".join(account.split())
    masked = f"{'*' * max(len(digits) - 4, 0)}{digits[-4:]}"
    obj, created = BankAccount.objects.update_or_create(
        person=person,
        defaults={
            "bank": bank,
            "account_hash": blind_index(digits, domain="bank_account"),
            "account_enc": encrypt(digits),
            "account_masked": masked,
        },
    )
    audit_record(
        actor=actor,
        action="benefits.bank_account.set",
        object_type="registry.person",
        object_id=person.pk,
        after={"bank": bank, "account": masked, "new": created},
    )
    return obj
