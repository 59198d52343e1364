"""Writes to the register: the only code that saves Person, Household, Event rows.

Each service runs in one transaction and writes an audit row with before and after.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from renkou.core import crypto, idnumber
from renkou.core.audit import audit_record
from renkou.core.counters import counter_advance
from renkou.orgunits.models import Level, OrgUnit
from renkou.quality.checks import check_person, confirmed_rules, event_findings, unconfirmed
from renkou.quality.services import apply_gate, findings_replace_person
from renkou.registry.choices import EventKind, EventStatus, Source
from renkou.registry.folding import STATE_FIELD_SET, fold_event
from renkou.registry.marriages import surviving_spouse
from renkou.registry.models import ChangeReport, Event, Household, Person
from renkou.registry.signals import event_applied, event_rejected, event_submitted
from renkou.registry.state import person_set_state, person_state
from renkou.registry.validation import EventRefused, check_id_number, validate_event

APPLIED_SEQ = "event.applied_seq"
# A newborn's relation to the head of household, from the mother's.
RELATION_OF_CHILD = {
    "head": "child",
    "spouse": "child",
    "child": "grandchild",
    "in_law": "grandchild",
}


def _without_ciphertext(value: Any) -> Any:
    # Ciphertexts differ on every encryption (random nonce); the blind index beside them
    # already stands for the value, so they are left out of the comparison.
    if isinstance(value, dict):
        return {k: _without_ciphertext(v) for k, v in value.items() if k != "id_number_enc"}
    return value


def fingerprint(value: Any) -> str:
    """A stable short hash of JSON-able content, to recognise a repeated submission."""
    text = json.dumps(_without_ciphertext(value), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _event_snapshot(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "status": event.status,
        "person": event.person_id,
        "orgunit": event.orgunit_id,
        "effective_date": event.effective_date,
        "report_date": event.report_date,
        "source": event.source,
        "payload": event.payload,
    }


@transaction.atomic
def event_submit(
    *,
    kind: str,
    orgunit: OrgUnit,
    effective_date: datetime.date,
    source: str,
    actor: Any,
    person: Person | None = None,
    payload: dict[str, Any] | None = None,
    report_date: datetime.date | None = None,
    change_report: ChangeReport | None = None,
    external_ref: str | None = None,
    expected_version: int | None = None,
    replaces: Event | None = None,
) -> Event:
    """Record a reported change as ``submitted`` after validating it.

    A repeated submission with the same ``external_ref`` and content returns the first
    event; the same reference with other content is refused. ``expected_version`` is the
    person's version the reporter saw; a newer one means the form is stale.
    """
    payload = payload or {}
    content = {
        "kind": kind,
        "person": person.pk if person else None,
        "orgunit": orgunit.pk,
        "effective_date": effective_date,
        "payload": payload,
    }
    print_ = fingerprint(content)
    if external_ref:
        existing = Event.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            if existing.fingerprint == print_:
                return existing
            raise EventRefused.single("conflict", column="external_ref", value=external_ref)
    if person is not None and expected_version is not None and person.version != expected_version:
        raise EventRefused.single("stale", column="person", value=person.pk)
    if replaces is not None:
        _check_resubmission(replaces, kind=kind, actor=actor)
    report_date = report_date or timezone.localdate()
    validate_event(
        kind=kind,
        person=person,
        orgunit=orgunit,
        effective_date=effective_date,
        report_date=report_date,
        payload=payload,
    )
    event = Event.objects.create(
        kind=kind,
        person=person,
        orgunit=orgunit,
        effective_date=effective_date,
        report_date=report_date,
        source=source,
        reporter=actor if getattr(actor, "pk", None) else None,
        change_report=change_report,
        payload=payload,
        external_ref=external_ref,
        fingerprint=print_,
        replaces=replaces,
    )
    audit_record(
        actor=actor,
        action="event.submit",
        object_type="event",
        object_id=event.pk,
        after=_event_snapshot(event) | ({"replaces": replaces.pk} if replaces else {}),
    )
    event_submitted.send(sender=Event, event=event, actor=actor)
    # What the quality rules say of the change: shown to the reporter; errors block applying.
    event.findings = event_findings(event)
    return event


def _check_resubmission(replaces: Event, *, kind: str, actor: Any) -> None:
    """A resubmission corrects a rejected report of the same kind, by its own reporter,
    once (a second correction starts from the latest rejected version)."""
    earlier = Event.objects.select_for_update().get(pk=replaces.pk)
    if earlier.status != EventStatus.REJECTED or earlier.kind != kind:
        raise EventRefused.single("bad_status", column="status", value=earlier.status)
    if earlier.reporter_id is None or earlier.reporter_id != getattr(actor, "pk", None):
        raise PermissionError("only the reporter resubmits a report")
    later = Event.objects.filter(replaces=earlier).values_list("pk", flat=True).first()
    if later is not None:
        raise EventRefused.single("resubmitted", column="replaces", value=later)


def _decide(event: Event, actor: Any, status: str, reason: str = "") -> None:
    before = _event_snapshot(event)
    event.status = status
    event.reviewed_by = actor if getattr(actor, "pk", None) else None
    event.decided_at = timezone.now()
    event.reject_reason = reason
    event.save(update_fields=["status", "reviewed_by", "decided_at", "reject_reason"])
    audit_record(
        actor=actor,
        action=f"event.{status}",
        object_type="event",
        object_id=event.pk,
        before=before,
        after=_event_snapshot(event),
        reason=reason,
    )


def _lock_event(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def event_review(*, event: Event, actor: Any) -> Event:
    """Mark a submitted event as reviewed (checked by the township)."""
    event = _lock_event(event)
    if event.status != EventStatus.SUBMITTED:
        raise EventRefused.single("bad_status", column="status", value=event.status)
    _decide(event, actor, EventStatus.REVIEWED)
    return event


@transaction.atomic
def event_reject(*, event: Event, actor: Any, reason: str) -> Event:
    """Reject a submitted or reviewed event, with the reason the reporter will see."""
    event = _lock_event(event)
    if event.status not in (EventStatus.SUBMITTED, EventStatus.REVIEWED):
        raise EventRefused.single("bad_status", column="status", value=event.status)
    if not reason.strip():
        raise EventRefused.single("required", column="reason", value="")
    _decide(event, actor, EventStatus.REJECTED, reason.strip())
    event_rejected.send(sender=Event, event=event, actor=actor)
    return event


def _birth_order(mother_id: int | None, birth_date: str) -> int | None:
    """Order of a birth: the mother's live births on or before it, this one included."""
    if mother_id is None:
        return None
    earlier = Person.objects.filter(mother_id=mother_id, birth_date__lte=birth_date).count()
    return earlier + 1


@transaction.atomic
def event_apply(*, event: Event, actor: Any, warnings_reason: str = "") -> Event:
    """Apply a submitted or reviewed event to the register: fold it into the person's state.

    Refused while a logic check of error severity flags the result, or one of warning
    severity does and ``warnings_reason`` does not say why the record is right (with it,
    the warnings are confirmed with that reason).
    """
    event = _lock_event(event)
    if event.status not in (EventStatus.SUBMITTED, EventStatus.REVIEWED):
        raise EventRefused.single("bad_status", column="status", value=event.status)
    before_event = _event_snapshot(event)
    payload = dict(event.payload)
    if event.kind == EventKind.BIRTH:
        state = dict(payload["state"])
        if state.get("birth_order") is None:
            state["birth_order"] = _birth_order(state.get("mother_id"), state["birth_date"])
        payload["state"] = state
        person = Person(version=0)
        before_state = None
    else:
        person = Person.objects.select_for_update().get(pk=event.person_id)
        before_state = person_state(person)
    after_state = fold_event(before_state, event.kind, event.effective_date.isoformat(), payload)
    changed = person_set_state(person, after_state)
    person.version += 1
    person.save()
    # Refuses (and rolls back) if an unconfirmed error-severity rule flags the result.
    apply_gate(event=event, person=person, actor=actor, warnings_reason=warnings_reason)
    event.person = person
    event.payload = payload
    event.status = EventStatus.APPLIED
    event.applied_seq = counter_advance(APPLIED_SEQ)
    if event.reviewed_by_id is None:
        event.reviewed_by = actor if getattr(actor, "pk", None) else None
    event.decided_at = timezone.now()
    event.save()
    audit_record(
        actor=actor,
        action="event.apply",
        object_type="event",
        object_id=event.pk,
        before=before_event,
        after=_event_snapshot(event),
    )
    audit_record(
        actor=actor,
        action="person.update" if before_state else "person.create",
        object_type="person",
        object_id=person.pk,
        before={k: before_state[k] for k in changed} if before_state else None,
        after={k: after_state[k] for k in changed},
    )
    event_applied.send(sender=Event, event=event, actor=actor)
    if event.kind == EventKind.DEATH:
        _widowhood_record(death=event, deceased=person, actor=actor)
    return event


def _widowhood_unit(spouse: Person, death: Event) -> OrgUnit:
    """Where the widowhood is recorded: the survivor's village (residence, else registration)
    if it existed on the day, else the village that recorded the death."""
    day = death.effective_date
    for unit in (spouse.residence_orgunit, spouse.hukou_orgunit):
        if unit is not None and unit.level == Level.VILLAGE and unit.is_valid_on(day):
            return unit
    return death.orgunit


def _widowhood_record(*, death: Event, deceased: Person, actor: Any) -> Event | None:
    """The spouse's death ends the marriage (丧偶): a widowhood event for the survivor, dated
    the day of the death, submitted and applied with the death by the same actor.

    The widowhood passes the survivor's quality gate like any change; if an error on the
    survivor's record holds it up, it stays submitted for a reviewer (the death is applied
    all the same). Returns the widowhood, or None if nobody was married to the deceased.
    """
    spouse = surviving_spouse(deceased=deceased, day=death.effective_date)
    if spouse is None:
        return None
    # What the death leaves on the survivor's record (a household without a living head …)
    # becomes an open finding first: those are the death's, and must not hold up the
    # widowhood, which the gate checks only for what it brings itself.
    findings_replace_person(
        person=spouse,
        hits=unconfirmed(check_person(spouse), confirmed_rules(person_id=spouse.pk)),
    )
    try:
        with transaction.atomic():
            widowhood = event_submit(
                kind=EventKind.WIDOWHOOD,
                person=spouse,
                orgunit=_widowhood_unit(spouse, death),
                effective_date=death.effective_date,
                report_date=death.report_date,
                source=death.source,
                actor=actor,
                payload={"spouse_id": deceased.pk, "death_event_id": death.pk},
                external_ref=f"widowhood:{death.pk}",
            )
    except EventRefused:
        return None
    try:
        with transaction.atomic():
            return event_apply(event=widowhood, actor=actor)
    except EventRefused:
        return widowhood


@transaction.atomic
def person_correct(
    *,
    person: Person,
    changes: dict[str, Any],
    actor: Any,
    reason: str,
    expected_version: int | None = None,
) -> Event:
    """Correct fields of a person (更正) through a correction event applied at once."""
    unknown = set(changes) - STATE_FIELD_SET
    if unknown:
        raise EventRefused.single("bad_field", column=",".join(sorted(unknown)), value="")
    orgunit = person.residence_orgunit or person.hukou_orgunit
    if orgunit is None:
        raise EventRefused.single("unknown_orgunit", column="orgunit", value="")
    event = event_submit(
        kind=EventKind.CORRECTION,
        person=person,
        orgunit=orgunit,
        effective_date=timezone.localdate(),
        source=Source.VILLAGE,
        actor=actor,
        payload={"set": changes, "reason": reason},
        expected_version=expected_version,
    )
    return event_apply(event=event, actor=actor)


@transaction.atomic
def change_report_create(*, orgunit: OrgUnit, actor: Any, note: str = "") -> ChangeReport:
    """Open a village change report (变动单) to which events are submitted."""
    report = ChangeReport.objects.create(orgunit=orgunit, reporter=actor, note=note)
    audit_record(
        actor=actor,
        action="change_report.create",
        object_type="change_report",
        object_id=report.pk,
        after={"orgunit": orgunit.pk, "note": note},
    )
    return report


@transaction.atomic
def household_create(
    *, number: str, orgunit: OrgUnit, actor: Any, address: str = "", hukou_type: str = ""
) -> Household:
    """Create a household (户)."""
    household = Household.objects.create(
        number=number, orgunit=orgunit, address=address, hukou_type=hukou_type
    )
    audit_record(
        actor=actor,
        action="household.create",
        object_type="household",
        object_id=household.pk,
        after={"number": number, "orgunit": orgunit.pk, "address": address},
    )
    return household


def protected_id_fields(id_number: str) -> dict[str, str]:
    """The stored forms of an identity number: blind index, ciphertext, masked display."""
    if not id_number:
        return {"id_number_hash": "", "id_number_enc": "", "id_number_masked": ""}
    protector = crypto.default_protector()
    return {
        "id_number_hash": protector.blind_index(id_number),
        "id_number_enc": protector.encrypt(id_number),
        "id_number_masked": crypto.mask_id_number(id_number),
    }


@transaction.atomic
def birth_submit(
    *,
    name: str,
    sex: str,
    birth_date: datetime.date,
    orgunit: OrgUnit,
    actor: Any,
    mother: Person | None = None,
    father: Person | None = None,
    id_number: str = "",
    ethnicity: str = "",
    household: Household | None = None,
    relation_to_head: str = "",
    source: str = Source.VILLAGE,
    report_date: datetime.date | None = None,
    change_report: ChangeReport | None = None,
    external_ref: str | None = None,
    replaces: Event | None = None,
) -> Event:
    """Report a birth (出生): the child is created when the event is applied.

    The child is registered where the mother is (or the reporting village) and lives in
    the reporting village; the birth order is fixed when the event is applied.
    """
    if id_number:
        problems = check_id_number(id_number, birth_date=birth_date, sex=sex)
        if problems:
            raise EventRefused(problems)
        id_number = idnumber.parse(id_number).number
    hukou_orgunit = mother.hukou_orgunit_id if mother and mother.hukou_orgunit_id else orgunit.pk
    if household is None and mother is not None and mother.household_id:
        # A newborn joins the mother's household unless the report says otherwise.
        household = mother.household
        relation_to_head = relation_to_head or RELATION_OF_CHILD.get(
            mother.relation_to_head, "other"
        )
    state = {
        "name": name,
        "sex": sex,
        "birth_date": birth_date.isoformat(),
        "ethnicity": ethnicity or (mother.ethnicity if mother else ""),
        **protected_id_fields(id_number),
        "hukou_orgunit_id": hukou_orgunit,
        "hukou_type": mother.hukou_type if mother else "",
        "residence_orgunit_id": orgunit.pk,
        "marital_status": "single",
        "mother_id": mother.pk if mother else None,
        "father_id": father.pk if father else None,
        "household_id": household.pk if household else None,
        "relation_to_head": relation_to_head,
    }
    return event_submit(
        kind=EventKind.BIRTH,
        orgunit=orgunit,
        effective_date=birth_date,
        source=source,
        actor=actor,
        payload={"state": state},
        report_date=report_date,
        change_report=change_report,
        external_ref=external_ref,
        replaces=replaces,
    )


REVEAL_ROLES = frozenset({"statistician", "county_admin", "sysadmin"})


def person_viewed(*, person: Person, actor: Any) -> None:
    """Record that a person's page was shown to someone (every read of personal data)."""
    audit_record(actor=actor, action="person.view", object_type="person", object_id=person.pk)


@transaction.atomic
def person_id_number_reveal(*, person: Person, actor: Any, reason: str) -> str:
    """The person's identity number in clear, for a permitted user giving a reason; audited."""
    from renkou.core.scoping import user_roles

    if not reason.strip():
        raise EventRefused.single("required", column="reason", value="")
    if not (user_roles(actor) & REVEAL_ROLES):
        raise PermissionError("role may not see identity numbers")
    if not person.id_number_enc:
        return ""
    number = crypto.decrypt(person.id_number_enc)
    audit_record(
        actor=actor,
        action="person.unmask",
        object_type="person",
        object_id=person.pk,
        reason=reason.strip(),
    )
    return number
