"""Writes of the quality app: findings of a checked person, confirmations, the write gate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core.audit import audit_record
from renkou.core.bulk import BulkResult, problems_text
from renkou.core.scoping import may, restrict
from renkou.quality.checks import (
    blocking,
    check_state,
    confirmed_rules,
    problems_of,
    unconfirmed,
)
from renkou.quality.engine import Hit
from renkou.quality.models import Confirmation, Finding
from renkou.quality.rule_names import rule_name
from renkou.quality.rules import BY_CODE, WARNING
from renkou.registry.folding import creates_person
from renkou.registry.models import Event, Person
from renkou.registry.state import person_state
from renkou.registry.validation import EventRefused

BATCH = 5_000


def finding_rows(hits: Iterable[Hit], found_at: Any = None) -> list[Finding]:
    """Unsaved Finding rows for hits."""
    found_at = found_at or timezone.now()
    return [
        Finding(
            person_id=h.person,
            rule=h.rule,
            severity=h.severity,
            unit=h.unit,
            values=h.values,
            found_at=found_at,
        )
        for h in hits
    ]


def findings_replace_person(*, person: Person, hits: list[Hit]) -> None:
    """Replace the stored findings of one person by ``hits``."""
    Finding.objects.filter(person=person).delete()
    Finding.objects.bulk_create(finding_rows(hits))


def apply_gate(
    *, event: Event, person: Person, actor: Any = None, warnings_reason: str = ""
) -> list[Hit]:
    """Check the person ``event`` leaves (saved, not committed) before the event is applied.

    Raises ``EventRefused`` if a rule of error severity flags the person and nobody has
    confirmed it. A rule of warning severity needs a confirmation with a reason: without
    ``warnings_reason`` the event is refused too (the problems say which warnings); with it,
    each open warning is confirmed for the person with that reason (audited) and the event
    goes through. Warnings the person already had before the change do not hold it up.
    Stores the person's remaining findings and returns them. A confirmation
    given for a birth event passes to the child.
    """
    extra = []
    if not creates_person(event.kind, event.payload):
        extra.append(
            {
                "kind": event.kind,
                "effective_date": event.effective_date,
                "report_date": event.report_date,
                "orgunit": event.orgunit_id,
            }
        )
    hits = check_state(person_state(person), person_id=person.pk, extra_events=extra)
    confirmed = confirmed_rules(person_id=person.pk, event_id=event.pk)
    open_hits = unconfirmed(hits, confirmed)
    errors = blocking(open_hits)
    if errors:
        raise EventRefused(problems_of(errors))
    # Warnings the person had before this change stay open findings; those it brings need
    # a confirmation with a reason.
    before = set(Finding.objects.filter(person_id=person.pk).values_list("rule", flat=True))
    warnings = [h for h in open_hits if h.severity == WARNING and h.rule not in before]
    if warnings and not warnings_reason.strip():
        raise EventRefused(problems_of(warnings))
    held = set(Confirmation.objects.filter(person=person).values_list("rule", flat=True))
    Confirmation.objects.filter(event=event, person__isnull=True).exclude(rule__in=held).update(
        person=person
    )
    for hit in warnings:
        finding_confirm(rule=hit.rule, reason=warnings_reason, actor=actor, person=person)
    confirmed_now = {h.rule for h in warnings}
    open_hits = [h for h in open_hits if h.rule not in confirmed_now]
    findings_replace_person(person=person, hits=open_hits)
    return open_hits


@transaction.atomic
def finding_confirm(
    *,
    rule: str,
    reason: str,
    actor: Any,
    person: Person | None = None,
    event: Event | None = None,
) -> Confirmation:
    """Confirm that ``rule`` wrongly flags a person (or a birth event's child), with a reason.

    From then on the rule does not flag that record, in either mode; its finding is removed.
    """
    if rule not in BY_CODE:
        raise EventRefused.single("bad_choice", column="rule", value=rule, allowed="rule codes")
    if not reason.strip():
        raise EventRefused.single("required", column="reason", value="")
    if (person is None) == (event is None):
        raise ValueError("confirm for a person or for an event, not both")
    confirmation, created = Confirmation.objects.get_or_create(
        person=person,
        event=event,
        rule=rule,
        defaults={
            "reason": reason.strip(),
            "confirmed_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if person is not None:
        Finding.objects.filter(person=person, rule=rule).delete()
    audit_record(
        actor=actor,
        action="quality.confirm",
        object_type="person" if person is not None else "event",
        object_id=(person or event).pk,  # type: ignore[union-attr]
        after={"rule": rule, "created": created},
        reason=reason.strip(),
    )
    return confirmation


@transaction.atomic
def confirmation_withdraw(*, confirmation: Confirmation, actor: Any, reason: str) -> None:
    """Withdraw a confirmation: the rule flags the record again at the next check."""
    audit_record(
        actor=actor,
        action="quality.unconfirm",
        object_type="person" if confirmation.person_id else "event",
        object_id=confirmation.person_id or confirmation.event_id,
        before={"rule": confirmation.rule, "reason": confirmation.reason},
        reason=reason,
    )
    confirmation.delete()


def findings_confirm_bulk(
    *, user: Any, finding_ids: list[int], rule: str, reason: str
) -> BulkResult:
    """Confirm several findings of one ``rule`` with one reason, each on its own.

    Every finding is looked up in the user's area and checked (the user reviews its unit,
    it is of ``rule``) and confirmed by ``finding_confirm`` in its own transaction, so each
    is audited and a refusal leaves the others done. Without a reason or a known rule
    nothing is done.
    """
    result = BulkResult()
    if rule not in BY_CODE:
        result.refuse(rule or "—", _("choose the findings of one rule"))
        return result
    if not reason.strip():
        result.refuse(rule_name(rule), _("give the reason why the records are correct"))
        return result
    found = {
        f.pk: f
        for f in restrict(Finding.objects.select_related("person"), user).filter(pk__in=finding_ids)
    }
    for pk in finding_ids:
        finding = found.get(pk)
        if finding is None:
            result.refuse(f"#{pk}", _("no such open finding in your area"))
        elif finding.rule != rule:
            result.refuse(finding.person.name, _("the finding is of another rule"))
        elif not may(user, "review", finding.unit):
            result.refuse(finding.person.name, _("you do not review this village"))
        else:
            try:
                finding_confirm(rule=rule, reason=reason, actor=user, person=finding.person)
            except EventRefused as refused:
                result.refuse(finding.person.name, problems_text(refused.problems))
            else:
                result.done.append(finding.person.name)
    return result
