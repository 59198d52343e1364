"""Writes to the register: the only code that saves Person, Household, Event rows.

Each service runs in one transaction and writes an audit row with before and after.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from renkou.core import crypto, idnumber
from renkou.core.audit import audit_record
from renkou.core.counters import counter_advance
from renkou.orgunits.models import Level, OrgUnit
from renkou.quality.checks import (
    check_person,
    confirmed_rules,
    event_findings,
    problems_of,
    unconfirmed,
)
from renkou.quality.services import apply_gate, findings_replace_person
from renkou.registry.choices import EventKind, EventStatus, Source
from renkou.registry.folding import STATE_FIELD_SET, creates_person, fold_event
from renkou.registry.marriages import surviving_spouse
from renkou.registry.models import ChangeReport, Event, Household, Person
from renkou.registry.signals import event_applied, event_rejected, event_submitted
from renkou.registry.state import person_set_state, person_state
from renkou.registry.validation import (
    EventRefused,
    check_date,
    check_id_number,
    check_phone,
    refusal,
    validate_event,
)

APPLIED_SEQ = "event.applied_seq"
# A newborn's relation to the head of household, from the mother's.
RELATION_OF_CHILD = {
    "head": "child",
    "spouse": "child",
    "child": "grandchild",
    "in_law": "grandchild",
}


CIPHERTEXTS = frozenset({"id_number_enc", "phone_enc"})


def _without_ciphertext(value: Any) -> Any:
    # Ciphertexts differ on every encryption (random nonce); the blind index beside them
    # already stands for the value, so they are left out of the comparison.
    if isinstance(value, dict):
        return {k: _without_ciphertext(v) for k, v in value.items() if k not in CIPHERTEXTS}
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
    event (also when the two race: the reference is unique in the database); the same
    reference with other content is refused. The event filed by this call carries
    ``created_now = True``; a returned earlier one does not. ``expected_version`` is the
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
    try:
        # A retry racing this one inserts the same reference: the unique constraint decides
        # which one files the event; the other returns it (a savepoint keeps ours usable).
        with transaction.atomic():
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
    except IntegrityError:
        existing = Event.objects.filter(external_ref=external_ref).first() if external_ref else None
        if existing is None:
            raise
        if existing.fingerprint == print_:
            return existing
        raise EventRefused.single("conflict", column="external_ref", value=external_ref) from None
    event.created_now = True  # type: ignore[attr-defined]  # this call filed it (not a retry)
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
    if event.person_id is None and creates_person(event.kind, payload):
        state = dict(payload["state"])
        if event.kind == EventKind.BIRTH and state.get("birth_order") is None:
            state["birth_order"] = _birth_order(state.get("mother_id"), state["birth_date"])
        if event.kind == EventKind.MOVE_IN:
            _arrival_not_registered(state)
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


def _arrival_not_registered(state: dict[str, Any]) -> None:
    """An arrival creates a person only if nobody in the register has their identity number
    (two reports of one arrival, or the person entered some other way since)."""
    number_hash = state.get("id_number_hash")
    if not number_hash:
        return
    other = Person.objects.filter(id_number_hash=number_hash).first()
    if other is not None:
        raise EventRefused(
            [
                refusal(
                    "id_taken",
                    column="id_number",
                    value=f"{other.name} {other.id_number_masked}",
                )
            ]
        )


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


# What a correction (更正) can change, and the state fields each one sets.
CORRECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "id_number": ("id_number_hash", "id_number_enc", "id_number_masked"),
    "birth_date": ("birth_date",),
    "sex": ("sex",),
    "ethnicity": ("ethnicity",),
    "name": ("name",),
    "mother": ("mother_id",),
    "father": ("father_id",),
    "hukou_type": ("hukou_type",),
    "hukou_place": ("hukou_orgunit_id", "hukou_region"),
}
# How a field is named in the messages (zh, en).
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "id_number": ("身份证号", "the identity number"),
    "birth_date": ("出生日期", "the birth date"),
    "sex": ("性别", "the sex"),
    "ethnicity": ("民族", "the ethnicity"),
    "name": ("姓名", "the name"),
    "mother": ("母亲", "mother"),
    "father": ("父亲", "father"),
    "hukou_type": ("户口性质", "the registration type"),
    "hukou_place": ("户籍地", "the registered place"),
}
# Where a correction's problem shows: the field's input on the form (forms.INPUT_OF_FIELD).
CORRECTION_COLUMN = {f: f"new_{f}" for f in ("id_number", "birth_date", "sex", "name")}
ETHNICITY_CODES = frozenset({f"{n:02d}" for n in range(1, 57)} | {"97", "98"})


def _current_id_number(person: Person) -> str:
    return crypto.decrypt(person.id_number_enc) if person.id_number_enc else ""


def _refuse(code: str, field: str, value: object = "", **params: str) -> EventRefused:
    zh, en = FIELD_NAMES[field]
    column = CORRECTION_COLUMN.get(field, field)
    return EventRefused(
        [refusal(code, column=column, value=value, field_zh=zh, field_en=en, **params)]
    )


def _id_agrees(person: Person, *, birth_date: str | None = None, sex: str | None = None) -> None:
    """A new birth date or sex must agree with the person's identity number, if any."""
    number = _current_id_number(person)
    if not number:
        return
    try:
        parsed = idnumber.parse(number, check_region=False)
    except idnumber.InvalidIdNumber:
        return  # a broken number is corrected first; it cannot vouch for anything
    if birth_date is not None and parsed.birth_date.isoformat() != birth_date:
        raise _refuse("id_facts", "birth_date", birth_date)
    if sex is not None and parsed.sex != sex:
        raise _refuse("id_facts", "sex", sex)


def _parent(person: Person, field: str, value: str, visible: Any) -> int | None:
    if not value:
        return None
    parent = visible(int(value)) if value.isdigit() else None
    if parent is None:
        raise EventRefused([refusal("required", column=field)])
    sex = "F" if field == "mother" else "M"
    if parent.pk == person.pk or parent.sex != sex:
        raise _refuse("bad_parent_link", field, parent.name)
    return parent.pk


def correction_set(
    *,
    person: Person,
    field: str,
    value: str,
    with_id_facts: bool = False,
    visible: Any = None,
) -> dict[str, Any]:
    """The state fields a correction of ``field`` to ``value`` sets, after the register's
    checks; raises ``EventRefused`` (in zh and en) otherwise.

    An identity number is checked (check character, and agreement with the birth date and
    sex unless ``with_id_facts`` corrects those from it) and must not belong to anyone else;
    it is stored as blind index, ciphertext and mask. A birth date or sex must agree with the
    identity number the person has. ``visible(pk)`` finds a parent the actor may see.
    """
    if field not in CORRECTION_FIELDS:
        raise EventRefused.single("bad_field", column="field", value=field)
    value = (value or "").strip()
    column = CORRECTION_COLUMN.get(field, field)
    if not value and field not in ("mother", "father"):
        raise EventRefused([refusal("required", column=column)])
    out: dict[str, Any]
    if field == "id_number":
        try:
            number = idnumber.parse(value).number
        except idnumber.InvalidIdNumber:
            number = value
        problems = check_id_number(
            number,
            column=column,
            birth_date=None if with_id_facts else person.birth_date,
            sex=None if with_id_facts else person.sex,
        )
        if problems:
            raise EventRefused(problems)
        if number == _current_id_number(person):
            raise _refuse("same_value", field, crypto.mask_id_number(number))
        out = protected_id_fields(number)
        other = (
            Person.objects.filter(id_number_hash=out["id_number_hash"])
            .exclude(pk=person.pk)
            .first()
        )
        if other is not None:
            raise _refuse("id_taken", field, f"{other.name} {other.id_number_masked}")
        if with_id_facts:
            parsed = idnumber.parse(number)
            out["birth_date"] = parsed.birth_date.isoformat()
            out["sex"] = parsed.sex
    elif field == "birth_date":
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise EventRefused.single("bad_date", column=column, value=value) from None
        problems = check_date(day, column, timezone.localdate())
        if problems:
            raise EventRefused(problems)
        _id_agrees(person, birth_date=day.isoformat())
        out = {"birth_date": day.isoformat()}
    elif field == "sex":
        if value not in ("M", "F"):
            raise EventRefused.single("bad_choice", column=column, value=value, allowed="M, F")
        _id_agrees(person, sex=value)
        out = {"sex": value}
    elif field == "ethnicity":
        if value not in ETHNICITY_CODES:
            raise _refuse("bad_ethnicity", field, value)
        out = {"ethnicity": value}
    elif field == "name":
        out = {"name": value[:50]}
    elif field in ("mother", "father"):

        def anyone(pk: int) -> Person | None:
            return Person.objects.filter(pk=pk).first()

        out = {f"{field}_id": _parent(person, field, value, visible or anyone)}
    elif field == "hukou_type":
        if value not in ("rural", "urban"):
            raise EventRefused.single(
                "bad_choice", column=column, value=value, allowed="rural, urban"
            )
        out = {"hukou_type": value}
    else:  # hukou_place
        from renkou.core import regions

        unit = OrgUnit.objects.filter(code=value, level=Level.VILLAGE).first()
        if unit is not None and unit.is_valid_on(timezone.localdate()):
            out = {"hukou_orgunit_id": unit.code, "hukou_region": ""}
        elif len(value) == 6 and value in regions.known_codes():
            out = {"hukou_orgunit_id": None, "hukou_region": value}
        else:
            raise _refuse("bad_place", field, value)
    if all(getattr(person, k) == _as_field_value(k, v) for k, v in out.items()):
        raise _refuse("same_value", field, value or "—")
    return out


def _as_field_value(key: str, value: Any) -> Any:
    if key == "birth_date" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


@transaction.atomic
def correction_submit(
    *,
    person: Person,
    field: str,
    value: str,
    reason: str,
    orgunit: OrgUnit,
    effective_date: datetime.date,
    actor: Any,
    with_id_facts: bool = False,
    visible: Any = None,
    source: str = Source.VILLAGE,
    external_ref: str | None = None,
    expected_version: int | None = None,
    replaces: Event | None = None,
) -> Event:
    """File a correction (更正) of one field of a person, with the reason, as ``submitted``
    (``replaces``: the rejected correction its reporter corrects and submits again).

    Refused (nothing written) if the value fails the register's checks (``correction_set``)
    or the corrected person would break a logic-check rule of error severity that does not
    flag them today (mother's age at the birth, a child born before the mother, …).
    """
    if not reason.strip():
        raise EventRefused([refusal("required", column="reason")])
    if external_ref:
        existing = Event.objects.filter(external_ref=external_ref).first()
        if existing is not None and existing.person_id == person.pk:
            return existing  # a repeated submission (the same form sent twice)
    changes = correction_set(
        person=person, field=field, value=value, with_id_facts=with_id_facts, visible=visible
    )
    event = event_submit(
        kind=EventKind.CORRECTION,
        person=person,
        orgunit=orgunit,
        effective_date=effective_date,
        source=source,
        actor=actor,
        payload={"set": changes, "field": field, "reason": reason.strip()},
        external_ref=external_ref,
        expected_version=expected_version,
        replaces=replaces,
    )
    before = {h.rule for h in check_person(person) if h.severity == "error"}
    new_errors = [
        h for h in getattr(event, "findings", []) if h.severity == "error" and h.rule not in before
    ]
    if new_errors:
        raise EventRefused(
            [
                dataclasses.replace(
                    p,
                    column=CORRECTION_COLUMN.get(field, field),
                    message_zh=f"更正后会出现错误：{p.message_zh}",
                    message_en=f"the correction would cause an error: {p.message_en}",
                )
                for p in problems_of(new_errors)
            ]
        )
    return event


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


def protected_phone_fields(phone: str) -> dict[str, str]:
    """The stored forms of a phone number: blind index, ciphertext, masked display."""
    if not phone:
        return {"phone_hash": "", "phone_enc": "", "phone_masked": ""}
    protector = crypto.default_protector()
    return {
        "phone_hash": protector.blind_index(phone, domain=crypto.PHONE_DOMAIN),
        "phone_enc": protector.encrypt(phone),
        "phone_masked": crypto.mask_phone(phone),
    }


def _arrival_problems(
    *, id_number: str, name: str, sex: str, birth_date: datetime.date, hukou_region: str
) -> list[Any]:
    from renkou.core import regions

    problems = []
    if not name.strip():
        problems.append(refusal("required", column="name"))
    if sex not in ("M", "F"):
        problems.append(refusal("bad_choice", column="sex", value=sex, allowed="M, F"))
    problems += check_date(birth_date, "birth_date", timezone.localdate())
    if not id_number.strip():
        problems.append(refusal("required", column="id_number"))
    else:
        problems += check_id_number(id_number, birth_date=birth_date, sex=sex)
    if len(hukou_region) != 6 or hukou_region not in regions.known_codes():
        problems.append(refusal("bad_region", column="hukou_region", value=hukou_region))
    elif OrgUnit.objects.filter(code__startswith=hukou_region).exists():
        problems.append(refusal("region_here", column="hukou_region", value=hukou_region))
    return problems


@transaction.atomic
def arrival_submit(
    *,
    id_number: str,
    name: str,
    sex: str,
    birth_date: datetime.date,
    hukou_region: str,
    orgunit: OrgUnit,
    effective_date: datetime.date,
    actor: Any,
    phone: str = "",
    ethnicity: str = "",
    hukou_type: str = "",
    marital_status: str = "",
    household: Household | None = None,
    relation_to_head: str = "",
    source: str = Source.VILLAGE,
    report_date: datetime.date | None = None,
    change_report: ChangeReport | None = None,
    external_ref: str | None = None,
    replaces: Event | None = None,
) -> Event:
    """Report an arrival from outside (流入): a person registered elsewhere now lives in
    ``orgunit`` from ``effective_date``.

    The identity number is checked and looked up by its blind index: a person already in
    the register is moved (an ordinary move-in), never entered twice; anyone else is entered
    by a move-in that carries the new person (created when the event is applied), registered
    at ``hukou_region`` (a GB/T 2260 code outside our area) and living in ``orgunit``. The
    phone number is stored like the identity number: blind index, ciphertext and mask.
    Every problem is refused at once, nothing written.
    """
    hukou_region = (hukou_region or "").strip()
    phone, problems = check_phone(phone)
    problems = (
        _arrival_problems(
            id_number=id_number,
            name=name,
            sex=sex,
            birth_date=birth_date,
            hukou_region=hukou_region,
        )
        + problems
    )
    if ethnicity and ethnicity not in ETHNICITY_CODES:
        problems.append(
            refusal("bad_ethnicity", column="ethnicity", value=ethnicity, field_zh="民族")
        )
    if problems:
        raise EventRefused(problems)
    number = idnumber.parse(id_number).number
    ids = protected_id_fields(number)
    set_phone = protected_phone_fields(phone) if phone else {}
    home = {"household_id": household.pk, "relation_to_head": relation_to_head} if household else {}
    existing = Person.objects.filter(id_number_hash=ids["id_number_hash"]).first()
    common = {
        "kind": EventKind.MOVE_IN,
        "orgunit": orgunit,
        "effective_date": effective_date,
        "source": source,
        "actor": actor,
        "report_date": report_date,
        "change_report": change_report,
        "external_ref": external_ref,
        "replaces": replaces,
    }
    if existing is not None:
        # In the register already: moved here, not entered again.
        payload: dict[str, Any] = {"to_orgunit": orgunit.pk, "arrival": True}
        if set_phone or home:
            payload["set"] = {**set_phone, **home}
        return event_submit(person=existing, payload=payload, **common)
    pending = Event.objects.filter(
        kind=EventKind.MOVE_IN,
        person__isnull=True,
        status__in=(EventStatus.SUBMITTED, EventStatus.REVIEWED),
        payload__state__id_number_hash=ids["id_number_hash"],
    )
    if external_ref:  # the same form sent again: event_submit returns its event
        pending = pending.exclude(external_ref=external_ref)
    if pending.exists():
        raise EventRefused(
            [refusal("arrival_pending", column="id_number", value=ids["id_number_masked"])]
        )
    state = {
        "name": name.strip()[:50],
        "sex": sex,
        "birth_date": birth_date.isoformat(),
        "ethnicity": ethnicity,
        **ids,
        **set_phone,
        "hukou_orgunit_id": None,
        "hukou_region": hukou_region,
        "hukou_type": hukou_type,
        "residence_orgunit_id": orgunit.pk,
        "marital_status": marital_status,
        "relation_to_head": "",
        **home,
    }
    payload = {"state": state, "from_region": hukou_region, "to_orgunit": orgunit.pk}
    return event_submit(person=None, payload=payload, **common)


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


def _reveal(person: Person, actor: Any, reason: str, field: str, action: str, what: str) -> str:
    """A token field of the person in clear, for a permitted user giving a reason; audited."""
    from renkou.core.scoping import user_roles

    if not reason.strip():
        raise EventRefused.single("required", column="reason", value="")
    if not (user_roles(actor) & REVEAL_ROLES):
        raise PermissionError(f"role may not see {what}")
    token = getattr(person, field)
    if not token:
        return ""
    clear = crypto.decrypt(token)
    audit_record(
        actor=actor, action=action, object_type="person", object_id=person.pk, reason=reason.strip()
    )
    return clear


@transaction.atomic
def person_id_number_reveal(*, person: Person, actor: Any, reason: str) -> str:
    """The person's identity number in clear, for a permitted user giving a reason; audited."""
    return _reveal(person, actor, reason, "id_number_enc", "person.unmask", "identity numbers")


@transaction.atomic
def person_phone_reveal(*, person: Person, actor: Any, reason: str) -> str:
    """The person's phone number in clear, for a permitted user giving a reason; audited."""
    return _reveal(person, actor, reason, "phone_enc", "person.unmask_phone", "phone numbers")
