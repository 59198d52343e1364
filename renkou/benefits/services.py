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
from django.utils.translation import ngettext

from renkou.benefits.choices import CycleStatus, EntitlementStatus, ObjectionOutcome, Outcome
from renkou.benefits.facts import Facts, facts_from_register
from renkou.benefits.local import local_programmes
from renkou.benefits.models import Cycle, Decision, Entitlement, Objection
from renkou.benefits.parameters import value_at
from renkou.benefits.programmes import PROGRAMMES
from renkou.benefits.programmes.base import Evaluation, month_starts
from renkou.core.audit import audit_record
from renkou.core.crypto import encrypt
from renkou.core.masking import mask_account, mask_contact, mask_name
from renkou.orgunits.models import OrgUnit


class CycleError(Exception):
    """A cycle step refused: wrong state, same user approving, or an open objection."""


cycle_noticed = Signal()
"""Sent in the transaction that publishes a cycle's notice (``cycle``): when the notice ends
the cycle waits for a second county administrator's approval."""


def evaluate(programme: str, year: int, facts: Facts | None = None) -> Evaluation:
    """Run one programme over the whole register (vectorised); nothing is written."""
    local = local_programmes().get(programme)
    if programme not in PROGRAMMES and local is None:
        raise CycleError(_("unknown programme %(p)s") % {"p": programme})
    module = local if local is not None else PROGRAMMES[programme]
    return module.evaluate(facts or facts_from_register(), year)


def _in_area(facts: Facts, rows: np.ndarray, orgunit: OrgUnit) -> np.ndarray:
    """Which rows are registered in ``orgunit``'s subtree (code prefix)."""
    return np.char.startswith(facts.orgunit[rows], orgunit.code)


def _need(cycle: Cycle, allowed: tuple[str, ...]) -> None:
    """Refuse a step the cycle's state does not allow."""
    if cycle.status not in allowed:
        raise CycleError(
            _("cycle %(id)s is %(status)s; this step needs %(allowed)s")
            % {"id": cycle.pk, "status": cycle.status, "allowed": ", ".join(allowed)}
        )


def _lock(cycle: Cycle) -> None:
    """Lock the cycle's row and read its state again: its steps and objections run one at a
    time (an objection recorded while another user approves either blocks or waits)."""
    fresh = Cycle.objects.select_for_update().get(pk=cycle.pk)
    cycle.status, cycle.notice_from, cycle.notice_until = (
        fresh.status,
        fresh.notice_from,
        fresh.notice_until,
    )


def _move(cycle: Cycle, *, actor: Any, to: str, allowed: tuple[str, ...], reason: str = "") -> None:
    _need(cycle, allowed)
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


def notice_min_days(on: datetime.date) -> int:
    """The fewest days a list stays on notice (parameter ``notice.min_days`` in force ``on``)."""
    return int(value_at("notice.min_days", on))


def approval_from(cycle: Cycle) -> datetime.date | None:
    """The first day the cycle may be approved: after its notice and its minimum days."""
    if cycle.notice_from is None or cycle.notice_until is None:
        return None
    least = cycle.notice_from + datetime.timedelta(days=notice_min_days(cycle.notice_from))
    return max(cycle.notice_until + datetime.timedelta(days=1), least)


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
    local = local_programmes().get(programme)
    if local is not None and not local.enabled_in(orgunit.code):
        raise CycleError(
            _("%(programme)s is enabled only in %(areas)s")
            % {"programme": local.label(), "areas": ", ".join(local.areas)}
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
def cycle_notice(
    *,
    cycle: Cycle,
    start: datetime.date,
    days: int,
    actor: Any,
    today: datetime.date | None = None,
) -> Cycle:
    """Publish the draft as the public notice (公示) for ``days`` days from ``start``.

    The notice starts no earlier than the day it is published and lasts at least
    ``notice.min_days`` days (the value in force on its first day).
    """
    today = today or timezone.localdate()
    _lock(cycle)
    _need(cycle, (CycleStatus.COMPUTED,))
    if start < today:
        raise CycleError(
            _("the notice cannot start before the day it is published (%(today)s): %(start)s")
            % {"today": today.isoformat(), "start": start.isoformat()}
        )
    least = notice_min_days(start)
    if days < least:
        raise CycleError(
            _("the notice lasts at least %(least)s days; %(days)s days were given")
            % {"least": least, "days": days}
        )
    cycle.notice_from, cycle.notice_until = start, start + datetime.timedelta(days=days - 1)
    _move(cycle, actor=actor, to=CycleStatus.NOTICE, allowed=(CycleStatus.COMPUTED,))
    cycle_noticed.send(sender=Cycle, cycle=cycle)
    return cycle


@transaction.atomic
def objection_raise(
    *,
    decision: Decision,
    objector_name: str,
    objector_contact: str = "",
    text: str,
    raised_on: datetime.date,
    actor: Any,
    today: datetime.date | None = None,
) -> Objection:
    """Record an objection (异议) to a person on the notice, with who raised it (encrypted)."""
    today = today or timezone.localdate()
    cycle = decision.cycle
    _lock(cycle)
    decision.refresh_from_db(fields=["outcome"])  # an objection upheld meanwhile
    if cycle.status != CycleStatus.NOTICE:
        raise CycleError(_("objections are recorded only while the list is on notice"))
    if decision.outcome != Outcome.ELIGIBLE:
        raise CycleError(_("objections are recorded against the persons on the notice only"))
    objector_name, objector_contact, text = (
        objector_name.strip(),
        objector_contact.strip(),
        text.strip(),
    )
    if not objector_name or not text:
        raise CycleError(_("an objection needs the objector's name and what they object to"))
    if len(objector_name) > 50 or len(objector_contact) > 60 or len(text) > 2000:
        raise CycleError(
            _("too long: the name has at most 50 characters, the contact 60, the objection 2000")
        )
    if cycle.notice_from is not None and raised_on < cycle.notice_from:
        raise CycleError(
            _("an objection is received on or after the notice's first day (%(start)s)")
            % {"start": cycle.notice_from.isoformat()}
        )
    if raised_on > today:
        raise CycleError(
            _("the day the objection was received (%(day)s) is after today")
            % {"day": raised_on.isoformat()}
        )
    objection = Objection.objects.create(
        decision=decision,
        objector_name_enc=encrypt(objector_name),
        objector_name_masked=mask_name(objector_name),
        objector_contact_enc=encrypt(objector_contact) if objector_contact else "",
        objector_contact_masked=mask_contact(objector_contact),
        text=text,
        raised_on=raised_on,
    )
    audit_record(
        actor=actor,
        action="benefits.objection.raised",
        object_type="benefits.decision",
        object_id=decision.pk,
        after={
            "objection": objection.pk,
            "objector": objection.objector_name_masked,
            "text": text,
            "received": raised_on.isoformat(),
        },
    )
    return objection


@transaction.atomic
def objection_decide(
    *,
    objection: Objection,
    outcome: str,
    note: str,
    actor: Any,
    today: datetime.date | None = None,
) -> Objection:
    """Decide an open objection: upheld takes the person off the list (not eligible, the
    objection the reason), dismissed keeps them; audited with the decision before and after."""
    today = today or timezone.localdate()
    if outcome not in (ObjectionOutcome.UPHELD, ObjectionOutcome.DISMISSED):
        raise CycleError(_("an objection is decided as upheld or dismissed"))
    note = note.strip()
    if not note or len(note) > 2000:
        raise CycleError(
            _("write why the objection is upheld or dismissed (up to 2000 characters)")
        )
    # locked (the cycle, then the objection): two administrators deciding the same
    # objection at once decide it once, and never while the cycle is being approved
    _lock(objection.decision.cycle)
    objection = (
        Objection.objects.select_for_update().select_related("decision__cycle").get(pk=objection.pk)
    )
    if objection.outcome != ObjectionOutcome.OPEN:
        raise CycleError(_("this objection is decided already"))
    decision = objection.decision
    if decision.cycle.status != CycleStatus.NOTICE:
        raise CycleError(_("objections are decided only while the list is on notice"))
    objection.outcome = outcome
    objection.resolution = note
    objection.resolved_by = actor if getattr(actor, "pk", None) else None
    objection.decided_at = timezone.now()
    objection.save(update_fields=["outcome", "resolution", "resolved_by", "decided_at"])
    before = decision.outcome
    if outcome == ObjectionOutcome.UPHELD and before == Outcome.ELIGIBLE:
        decision.outcome = Outcome.NOT_ELIGIBLE
        decision.amount, decision.months = Decimal("0"), []
        decision.reasons = [
            *decision.reasons,
            {"code": "objection", "status": 0, "date": today.isoformat(), "n": objection.pk},
        ]
        decision.save(update_fields=["outcome", "amount", "months", "reasons"])
    audit_record(
        actor=actor,
        action="benefits.objection.resolved",
        object_type="benefits.decision",
        object_id=decision.pk,
        before={"outcome": before},
        after={"outcome": decision.outcome, "objection": outcome, "note": note},
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
    _lock(cycle)
    _need(cycle, (CycleStatus.NOTICE,))
    opens = approval_from(cycle)
    if opens is None or cycle.notice_from is None or cycle.notice_until is None:
        raise CycleError(_("the list has not been on public notice"))
    if today < opens:
        raise CycleError(
            _(
                "approval is possible from %(date)s: the notice runs from %(start)s to %(end)s"
                " and lasts at least %(least)s days"
            )
            % {
                "date": opens.isoformat(),
                "start": cycle.notice_from.isoformat(),
                "end": cycle.notice_until.isoformat(),
                "least": notice_min_days(cycle.notice_from),
            }
        )
    still_open = Objection.objects.filter(
        decision__cycle=cycle, outcome=ObjectionOutcome.OPEN
    ).count()
    if still_open:
        raise CycleError(
            ngettext(
                "%(n)s objection is still open: decide it before the approval",
                "%(n)s objections are still open: decide them before the approval",
                still_open,
            )
            % {"n": still_open}
        )
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
    flagged += _paid_to_dead_payees(actor=actor, dead=dead)
    return {"stopped": stopped, "flagged": flagged}


def _paid_to_dead_payees(*, actor: Any, dead: Any) -> int:
    """Months of another person (the childcare subsidy's child) paid to a payee after the
    payee's death: flagged to recover. (Their unpaid months are no longer paid to the dead
    applicant: ``application_covers``; the surviving parent applies for them.)"""
    from django.db.models import F

    from renkou.benefits.models import Payment

    flagged = 0
    paid = (
        Payment.objects.filter(payee__in=dead, status=EntitlementStatus.PAID)
        .exclude(person_id=F("payee_id"))
        .select_related("payee")
    )
    for payment in paid:
        death = payment.payee.death_date
        for ent in Entitlement.objects.filter(
            batch_id=payment.batch_id,
            person_id=payment.person_id,
            status=EntitlementStatus.PAID,
            month__gt=death,
        ):
            ent.status = EntitlementStatus.RECOVER
            ent.save(update_fields=["status"])
            flagged += 1
            audit_record(
                actor=actor,
                action="benefits.entitlement.recover",
                object_type="benefits.entitlement",
                object_id=ent.pk,
                before={"status": EntitlementStatus.PAID},
                after={"status": ent.status, "payee": payment.payee_id},
                reason="death of the payee",
            )
    return flagged


ADULT_AGE = 18


def payee_refusal(person: Any, today: datetime.date) -> str:
    """Why ``person`` cannot hold the account benefits are paid to ("" when they can): every
    programme pays an adult (the childcare subsidy: the parent who applies, never the
    child), and nobody is paid after death."""
    if person.death_date is not None or person.status == "dead":
        return _("%(name)s has died: no account can be recorded for a payee who died") % {
            "name": person.name
        }
    born = person.birth_date
    if born is not None:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < ADULT_AGE:
            return _(
                "%(name)s is under 18: benefits are paid to a parent (the childcare subsidy to"
                " the mother or father who applies), so the account belongs to the parent"
            ) % {"name": person.name}
    return ""


@transaction.atomic
def bank_account_set(
    *,
    person: Any,
    bank: str,
    account: str,
    actor: Any,
    valid_from: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Any:
    """Record a recipient's bank account: blind index, ciphertext and mask, never clear.
    Refused (``CycleError``) for a person no programme pays (``payee_refusal``)."""
    from renkou.benefits.models import BankAccount
    from renkou.core.crypto import blind_index, encrypt

    today = today or timezone.localdate()
    refusal = payee_refusal(person, today)
    if refusal:
        raise CycleError(refusal)
    digits = "".join(account.split())
    masked = mask_account(digits)
    obj, created = BankAccount.objects.update_or_create(
        person=person,
        defaults={
            "bank": bank,
            "account_hash": blind_index(digits, domain="bank_account"),
            "account_enc": encrypt(digits),
            "account_masked": masked,
            "valid_from": valid_from or today,
            "source_import": None,
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


def _month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def childcare_window(child: Any) -> tuple[datetime.date, datetime.date] | None:
    """The first and last month the childcare subsidy can pay for ``child`` (None: none):
    from the birth month (never before the subsidy is in force) to the month before the
    birthday the age limit names."""
    from renkou.benefits.months import add_months, birthday, month_start
    from renkou.benefits.parameters import value_at

    if child.birth_date is None:
        return None
    first = month_start(child.birth_date)
    while not value_at("childcare.in_force", first):
        first = add_months(first, 1)
        if first.year > child.birth_date.year + 20:
            return None
    limit = birthday(child.birth_date, int(value_at("childcare.max_age", first)))
    last = add_months(month_start(limit), -1)
    return (first, last) if first <= last else None


def application_covers(application: Any, month: datetime.date) -> bool:
    """Whether ``application`` pays ``month``: one of its months, not after the applicant's
    death (a month starting after the death is not paid to the dead applicant)."""
    death = application.applicant.death_date
    return application.first_month <= month <= application.last_month and (
        death is None or month <= death
    )


@transaction.atomic
def childcare_apply(
    *,
    child: Any,
    applicant: Any,
    applied_on: datetime.date,
    first_month: datetime.date,
    last_month: datetime.date,
    actor: Any,
    today: datetime.date | None = None,
) -> Any:
    """Record a parent's application (申领) for a child's childcare subsidy for the months
    from ``first_month`` to ``last_month``: those months are paid, to the applicant.

    Refused (``CycleError``) when the applicant is not the child's parent in the register
    (mother, father or adoptive parent) or cannot be paid, the months lie outside the
    child's window (before the birth month or the subsidy, from the age limit on), or an
    application for the same child covers some of the months already. The same
    application recorded again is not recorded twice.
    """
    from renkou.benefits.models import Adoption, ChildcareApplication
    from renkou.benefits.months import month_start
    from renkou.registry.models import Person

    today = today or timezone.localdate()
    first_month, last_month = month_start(first_month), month_start(last_month)
    Person.objects.select_for_update().filter(pk=child.pk).first()  # one at a time per child
    parents = {child.mother_id, child.father_id} - {None}
    parents |= set(Adoption.objects.filter(child=child).values_list("parent_id", flat=True))
    if applicant.pk not in parents:
        raise CycleError(
            _(
                "%(applicant)s is not a parent of %(child)s in the register: only the mother,"
                " the father or an adoptive parent applies"
            )
            % {"applicant": applicant.name, "child": child.name}
        )
    refusal = payee_refusal(applicant, applied_on)
    if refusal:
        raise CycleError(refusal)
    if applied_on > today:
        raise CycleError(
            _("the day of the application (%(day)s) is after today") % {"day": applied_on}
        )
    if first_month > last_month:
        raise CycleError(
            _("the first month (%(first)s) is after the last month (%(last)s)")
            % {"first": _month_label(first_month), "last": _month_label(last_month)}
        )
    window = childcare_window(child)
    if window is None or first_month < window[0] or last_month > window[1]:
        if window is None:
            raise CycleError(
                _("%(child)s is not entitled to the childcare subsidy for any month")
                % {"child": child.name}
            )
        raise CycleError(
            _(
                "%(child)s is entitled to the childcare subsidy from %(start)s to %(end)s"
                " (from the birth month, before the third birthday); %(first)s to %(last)s"
                " lies outside"
            )
            % {
                "child": child.name,
                "start": _month_label(window[0]),
                "end": _month_label(window[1]),
                "first": _month_label(first_month),
                "last": _month_label(last_month),
            }
        )
    same = ChildcareApplication.objects.filter(
        child=child,
        applicant=applicant,
        applied_on=applied_on,
        first_month=first_month,
        last_month=last_month,
    ).first()
    if same is not None:
        return same  # the same application submitted again
    # an applicant's application covers no month after their death: the surviving parent
    # applies for those
    overlap = next(
        (
            other
            for other in ChildcareApplication.objects.filter(
                child=child, first_month__lte=last_month, last_month__gte=first_month
            ).select_related("applicant")
            if application_covers(other, max(first_month, other.first_month))
        ),
        None,
    )
    if overlap is not None:
        raise CycleError(
            _(
                "%(child)s has an application for %(first)s to %(last)s already (applicant"
                " %(applicant)s, %(day)s): months are applied for once"
            )
            % {
                "child": child.name,
                "first": _month_label(overlap.first_month),
                "last": _month_label(overlap.last_month),
                "applicant": overlap.applicant.name,
                "day": overlap.applied_on.isoformat(),
            }
        )
    application = ChildcareApplication.objects.create(
        child=child,
        applicant=applicant,
        applied_on=applied_on,
        first_month=first_month,
        last_month=last_month,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="benefits.childcare_application.recorded",
        object_type="registry.person",
        object_id=child.pk,
        after={
            "application": application.pk,
            "applicant": applicant.pk,
            "applied_on": applied_on.isoformat(),
            "first_month": first_month.isoformat(),
            "last_month": last_month.isoformat(),
        },
    )
    return application


@transaction.atomic
def childcare_application_end(
    *, application: Any, last_month: datetime.date | None, reason: str, actor: Any
) -> Any:
    """End a childcare application early: the months after ``last_month`` are no longer
    applied for (``None``: the application is withdrawn, none of its months). Returns the
    application, or None once withdrawn.

    Refused (``CycleError``) without a reason, for a last month outside the application's
    months, or when a month to drop is in a payment file or paid already (money sent stays
    accounted for: end the application after that month).
    """
    from renkou.benefits.models import ChildcareApplication
    from renkou.benefits.months import add_months, month_start

    reason = reason.strip()
    if not reason:
        raise CycleError(_("Give the reason the application ends."))
    application = ChildcareApplication.objects.select_for_update().get(pk=application.pk)
    first, last = application.first_month, application.last_month
    if last_month is not None:
        last_month = month_start(last_month)
        if not first <= last_month < last:
            raise CycleError(
                _("the new last month must lie from %(first)s to %(before)s")
                % {"first": _month_label(first), "before": _month_label(add_months(last, -1))}
            )
    dropped_from = first if last_month is None else add_months(last_month, 1)
    sent = (
        Entitlement.objects.filter(
            programme="childcare",
            person_id=application.child_id,
            month__gte=dropped_from,
            month__lte=last,
            status__in=(EntitlementStatus.IN_BATCH, EntitlementStatus.PAID),
        )
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if sent is not None:
        raise CycleError(
            _(
                "%(month)s of this application is in a payment file or paid already: the"
                " application can end from that month on only"
            )
            % {"month": _month_label(sent)}
        )
    before = {
        "application": application.pk,
        "applicant": application.applicant_id,
        "first_month": first.isoformat(),
        "last_month": last.isoformat(),
    }
    if last_month is None:
        application.delete()
        after: dict[str, Any] = {"withdrawn": True}
        kept = None
    else:
        application.last_month = last_month
        application.save(update_fields=["last_month"])
        after = {"last_month": last_month.isoformat()}
        kept = application
    audit_record(
        actor=actor,
        action="benefits.childcare_application.ended",
        object_type="registry.person",
        object_id=application.child_id,
        before=before,
        after=after,
        reason=reason,
    )
    return kept
