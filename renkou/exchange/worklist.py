"""Worklist actions on linked roster rows: confirm, report the missing event, correct, dismiss.

Every action goes through the registry services and is audited; a decided row is not
decided again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.exchange.models import Decision, RosterRow
from renkou.linkage.exact import day_month_swapped
from renkou.registry import services as registry
from renkou.registry.choices import EventKind, EventStatus, Source
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused, validate_event

SOURCES = {
    "hospital_births": Source.HOSPITAL,
    "hospital_deaths": Source.HOSPITAL,
    "police_register": Source.POLICE,
    "police_deaths": Source.POLICE,
    "school_enrolment": Source.SCHOOL,
    "civil_marriages": Source.CIVIL_AFFAIRS,
}
CORRECTABLE = ("name", "sex", "birth_date")


def _locked(row: RosterRow) -> RosterRow:
    row = RosterRow.objects.select_for_update().select_related("roster_import").get(pk=row.pk)
    if row.decision:
        raise EventRefused.single("bad_status", column="decision", value=row.decision)
    return row


def _decide(
    row: RosterRow, actor: Any, decision: str, reason: str = "", event: Any = None
) -> RosterRow:
    row.decision, row.decision_reason, row.event = decision, reason[:255], event
    row.decided_by = actor if getattr(actor, "pk", None) else None
    row.decided_at = timezone.now()
    row.save(update_fields=["decision", "decision_reason", "event", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action=f"exchange.worklist.{decision}",
        object_type="roster_row",
        object_id=row.pk,
        after={"decision": decision, "person": row.person_id, "event": getattr(event, "pk", None)},
        reason=reason,
    )
    return row


@transaction.atomic
def worklist_confirm(*, row: RosterRow, actor: Any) -> RosterRow:
    """Confirm that the row is the matched person (a possible match becomes a match)."""
    row = _locked(row)
    if row.person_id is None:
        raise EventRefused.single("unknown_ref", column="person", value=row.row_number)
    return _decide(row, actor, Decision.CONFIRMED)


@transaction.atomic
def worklist_dismiss(*, row: RosterRow, actor: Any, reason: str) -> RosterRow:
    """Close the item without changing the register; the reason is required."""
    row = _locked(row)
    if not reason.strip():
        raise EventRefused.single("required", column="reason", value="")
    return _decide(row, actor, Decision.DISMISSED, reason)


@transaction.atomic
def worklist_report_death(*, row: RosterRow, actor: Any) -> RosterRow:
    """Submit the death a roster reports for a matched person, pre-filled, for review."""
    row = _locked(row)
    person = row.person
    death = row.values.get("death_date")
    if person is None or not death:
        raise EventRefused.single("wrong_kind", column="death_date", value="death_date")
    imp = row.roster_import
    event = registry.event_submit(
        kind=EventKind.DEATH,
        person=person,
        orgunit=person.residence_orgunit or person.hukou_orgunit or imp.orgunit,
        effective_date=date.fromisoformat(death),
        source=SOURCES[imp.kind],
        actor=actor,
        external_ref=f"roster:{imp.pk}:{row.row_number}",
    )
    return _decide(row, actor, Decision.EVENT_CREATED, event=event)


def _register_value(person: Person, field: str) -> str:
    value = getattr(person, field)
    return value.isoformat() if isinstance(value, date) else str(value or "")


def correction_refusal(person: Person, field: str, roster_value: str) -> EventRefused | None:
    """Why the register's ``field`` of ``person`` cannot be corrected to the roster's value
    (the register's own checks, e.g. a birth date its identity number contradicts), with
    both sides named; None when the correction would succeed."""
    value = roster_value[:10] if field == "birth_date" else roster_value
    try:
        registry.correction_set(person=person, field=field, value=value)
    except EventRefused as refused:
        first = refused.problems[0]
        zh, en = registry.FIELD_NAMES[field]
        return EventRefused.single(
            "worklist_correct_refused",
            column=field,
            value=value,
            field_zh=zh,
            field_en=en,
            roster=value,
            register=_register_value(person, field) or "—",
            reason_zh=first.message_zh,
            reason_en=first.message_en,
        )
    return None


def correctable_fields(row: RosterRow, person: Person | None) -> list[tuple[str, str, str]]:
    """The fields the worklist offers to correct, as (field, roster value, register value):
    those in conflict whose roster value the register accepts (``correction_refusal``)."""
    if person is None:
        return []
    conflicts = (row.evidence or {}).get("conflicts") or {}
    out = []
    for field in CORRECTABLE:
        ours = row.values.get(field) or ""
        if field == "birth_date" and row.values.get("birth_date_month_only"):
            continue  # 出生年月: the roster does not know the day, so it cannot correct one
        if field in conflicts and ours and correction_refusal(person, field, ours) is None:
            out.append(
                (
                    field,
                    ours[:10] if field == "birth_date" else ours,
                    _register_value(person, field),
                )
            )
    return out


@transaction.atomic
def worklist_correct(*, row: RosterRow, actor: Any, fields: list[str]) -> RosterRow:
    """Correct the matched person's ``fields`` to the roster's values (a correction event);
    refused, naming the roster's and the register's value, when the register's checks
    would refuse it."""
    row = _locked(row)
    if row.person is None:
        raise EventRefused.single("unknown_ref", column="person", value=row.row_number)
    month_only = row.values.get("birth_date_month_only")
    bad = [
        f
        for f in fields
        if f not in CORRECTABLE or not row.values.get(f) or (f == "birth_date" and month_only)
    ]
    if bad or not fields:
        raise EventRefused.single("bad_field", column=",".join(bad), value=",".join(bad))
    for field in fields:
        refused = correction_refusal(row.person, field, row.values[field])
        if refused is not None:
            raise refused
    changes = {f: row.values[f][:10] if f == "birth_date" else row.values[f] for f in fields}
    reason = f"roster {row.roster_import.kind} #{row.roster_import_id} row {row.row_number}"
    event = registry.person_correct(person=row.person, changes=changes, actor=actor, reason=reason)
    return _decide(row, actor, Decision.CORRECTED, reason, event=event)


def missing_event(row: RosterRow) -> str:
    """The register event this row shows to be missing ("birth", "death", "marriage",
    "divorce"), or ""."""
    kind = row.roster_import.kind
    evidence = row.evidence or {}
    if kind in ("hospital_deaths", "police_deaths") and row.values.get("death_date"):
        alive = "death_date" in (evidence.get("conflicts") or {})
        return "death" if row.person_id and alive else ""
    if kind == "hospital_births" and row.outcome == "missing" and evidence.get("mother"):
        return "birth"
    if kind == "civil_marriages" and row.person_id:
        # matched with conflicts: the register has no such marriage (divorce) of the person
        conflicts = evidence.get("conflicts") or {}
        return next((k for k in (EventKind.MARRIAGE, EventKind.DIVORCE) if k in conflicts), "")
    return ""


def offered_event(row: RosterRow) -> str:
    """The missing event the worklist offers to report for ``row``: ``missing_event``, but
    only when the register's checks would accept it (a death reported before the person's
    registered birth, say, is not offered: the register refuses it)."""
    event_kind = missing_event(row)
    if event_kind != "death" or row.person is None:
        return event_kind
    person = row.person
    try:
        validate_event(
            kind=EventKind.DEATH,
            person=person,
            orgunit=person.residence_orgunit or person.hukou_orgunit or row.roster_import.orgunit,
            effective_date=date.fromisoformat(row.values["death_date"][:10]),
            report_date=timezone.localdate(),
            payload={},
        )
    except EventRefused:
        return ""
    return event_kind


def _report_marital(row: RosterRow, event_kind: str, actor: Any) -> RosterRow:
    """Submit the marriage (divorce) civil affairs registered, for each spouse in the
    register who lacks it, each with the other as spouse; the row records the first."""
    imp = row.roster_import
    day = date.fromisoformat(row.values["registered_on"][:10])
    person = row.person
    spouse_id = (row.evidence or {}).get("spouse")
    spouse = Person.objects.filter(pk=spouse_id).first() if spouse_id else None
    targets = [(person, spouse)]
    if spouse is not None:
        known = _marital_events(spouse.pk, event_kind)
        if not any(d == day or day_month_swapped(day, d) for d in known):
            targets.append((spouse, person))
    events = []
    for who, other in targets:
        events.append(
            registry.event_submit(
                kind=event_kind,
                person=who,
                orgunit=who.residence_orgunit or who.hukou_orgunit or imp.orgunit,
                effective_date=day,
                source=SOURCES[imp.kind],
                actor=actor,
                payload={"spouse_id": other.pk} if other is not None else {},
                external_ref=f"roster:{imp.pk}:{row.row_number}"
                + ("" if who.pk == person.pk else f":{who.pk}"),
            )
        )
    return _decide(row, actor, Decision.EVENT_CREATED, event=events[0])


def _marital_events(person_id: int, kind: str) -> list[date]:
    return list(
        Event.objects.filter(person_id=person_id, kind=kind)
        .exclude(status=EventStatus.REJECTED)
        .values_list("effective_date", flat=True)
    )


@transaction.atomic
def worklist_report_event(*, row: RosterRow, actor: Any) -> RosterRow:
    """Submit the event the roster shows to be missing, pre-filled from the row, for review.

    A death for a matched person the register shows alive; a birth for a mother found by
    her identity number without a child born that day (the child joins her household); a
    marriage or divorce civil affairs registered that the register lacks (for each spouse
    in the register who lacks it).
    """
    row = _locked(row)
    event_kind = missing_event(row)
    if event_kind == "death":
        return worklist_report_death(row=row, actor=actor)
    if event_kind in (EventKind.MARRIAGE, EventKind.DIVORCE):
        return _report_marital(row, event_kind, actor)
    if event_kind != "birth":
        raise EventRefused.single("wrong_kind", column="event", value=row.roster_import.kind)
    imp = row.roster_import
    mother = Person.objects.get(pk=row.evidence["mother"])
    event = registry.birth_submit(
        name=row.values.get("name", ""),
        sex=row.values["sex"],
        birth_date=date.fromisoformat(row.values["birth_date"][:10]),
        orgunit=mother.residence_orgunit or mother.hukou_orgunit or imp.orgunit,
        actor=actor,
        mother=mother,
        source=SOURCES[imp.kind],
        external_ref=f"roster:{imp.pk}:{row.row_number}",
    )
    return _decide(row, actor, Decision.EVENT_CREATED, event=event)
