"""The writes of service records: institutions, records with their consents, steps,
withdrawal of consent, the figures an area enters, and the audited reads.

Each runs in one transaction with its audit row. Only service staff (服务人员) of the unit
where the person lives records and reads service records; the audit rows name the record
and the step, never a result (results are encrypted at rest and stay out of the log).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.scoping import may, user_roles
from renkou.health.models import (
    AreaFigure,
    Consent,
    FigureKind,
    Institution,
    ServiceRecord,
    ServiceStep,
)
from renkou.health.programmes import PROGRAMMES
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person

EARLIEST = datetime.date(2000, 1, 1)
# who enters an area's yearly figures (denominators): the office and the service staff
FIGURE_ROLES = frozenset({"statistician", "county_admin", "service_staff"})


class HealthRefused(ValueError):
    """A write refused: ``field`` names the form field, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConsentGiven:
    """One participant's consent as recorded: who, when, to what."""

    person: Person
    given_on: datetime.date
    scope: str


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _day(field: str, day: Any, today: datetime.date, not_before: datetime.date) -> None:
    if not isinstance(day, datetime.date):
        raise HealthRefused(field, _("Give a date (YYYY-MM-DD)."))
    if day > today:
        raise HealthRefused(field, _("%(day)s is after today.") % {"day": day.isoformat()})
    if day < not_before:
        raise HealthRefused(
            field,
            _("%(day)s is before %(first)s.")
            % {"day": day.isoformat(), "first": not_before.isoformat()},
        )


def may_serve(user: Any, code: str) -> bool:
    """Whether ``user`` is service staff of an area containing unit ``code``."""
    return may(user, "health", code)


def institution_create(*, code: str, name: str, orgunit: OrgUnit, actor: Any) -> Institution:
    """Register an institution that records service steps (audited)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise HealthRefused("code", _("Give the institution's code and name."))
    with transaction.atomic():
        inst, created = Institution.objects.get_or_create(
            code=code, defaults={"name": name, "orgunit": orgunit}
        )
        if created:
            audit_record(
                actor=actor,
                action="health.institution.created",
                object_type="health.institution",
                object_id=inst.pk,
                after={"code": code, "name": name, "orgunit": orgunit.code},
            )
    return inst


def _check_participants(programme: str, woman: Person, man: Person | None) -> None:
    prog = PROGRAMMES.get(programme)
    if prog is None:
        raise HealthRefused("programme", _("Unknown programme."))
    if woman.sex != "F":
        raise HealthRefused(
            "woman",
            _("This programme's record is of a woman: %(name)s is not.") % {"name": woman.name},
        )
    if prog.couple:
        if man is None:
            raise HealthRefused("man", _("This programme is for a couple: name the man too."))
        if man.sex != "M":
            raise HealthRefused("man", _("The partner named is not a man."))
    elif man is not None:
        raise HealthRefused("man", _("This programme is for a woman alone."))


def record_open(
    *,
    key: str,
    programme: str,
    woman: Person,
    man: Person | None = None,
    opened_on: datetime.date,
    consents: list[ConsentGiven],
    actor: Any,
    today: datetime.date | None = None,
) -> ServiceRecord:
    """Open a service record with the consent of everyone in it (a couple's both). The
    same ``key`` again returns the record made the first time (a form sent twice, a row
    imported twice)."""
    today = _today(today)
    existing = ServiceRecord.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _check_participants(programme, woman, man)
    _day("opened_on", opened_on, today, EARLIEST)
    unit = woman.residence_orgunit_id
    if not may_serve(actor, unit):
        raise PermissionError("not service staff of this area")
    people = {woman.pk} | ({man.pk} if man else set())
    given = {c.person.pk: c for c in consents}
    if set(given) != people or any(not c.scope.strip() for c in consents):
        raise HealthRefused(
            "consent", _("Record the consent of everyone in the record: who, when, to what.")
        )
    for c in consents:
        _day("consent", c.given_on, today, EARLIEST)
        if c.given_on > opened_on:
            raise HealthRefused("consent", _("The consent is dated after the record."))
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            key=key,
            programme=programme,
            orgunit_id=unit,
            woman=woman,
            man=man,
            opened_on=opened_on,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        for c in consents:
            Consent.objects.create(
                record=record,
                person=c.person,
                given_on=c.given_on,
                scope=c.scope.strip()[:200],
                recorded_by=record.recorded_by,
            )
        audit_record(
            actor=actor,
            action="health.record.opened",
            object_type="health.record",
            object_id=record.pk,
            # no person in the row: the audit page is the office's too, and must not list
            # who has service records (the record's number leads the auditor to them)
            after={"programme": programme, "orgunit": unit},
        )
    return record


def _outcomes(record: ServiceRecord) -> dict[str, str]:
    return {s.step: result_of(s).get("outcome", "") for s in record.steps.all() if s.result_enc}


def result_of(step: ServiceStep) -> dict[str, str]:
    """The decrypted result of a step ({} for a step without one)."""
    return json.loads(crypto.decrypt(step.result_enc)) if step.result_enc else {}


def step_check(
    record: ServiceRecord,
    step: str,
    on: Any,
    outcome: str,
    done: dict[str, datetime.date],
    outcomes: dict[str, str],
    today: datetime.date,
) -> None:
    """Refuse a step that does not fit the record (one place for forms and rosters)."""
    prog = PROGRAMMES[record.programme]
    try:
        spec = prog.step(step)
    except KeyError:
        raise HealthRefused("step", _("This programme has no such step.")) from None
    if record.withdrawn_on is not None:
        raise HealthRefused("step", _("Consent was withdrawn: nothing more is recorded."))
    if step in done:
        raise HealthRefused("step", _("This step is recorded already."))
    _day("on", on, today, record.opened_on)
    if spec.after:
        before = done.get(spec.after)
        if before is None:
            raise HealthRefused(
                "step", _("Record “%(step)s” first.") % {"step": prog.step(spec.after).label}
            )
        if on < before:
            raise HealthRefused(
                "on",
                _("The date is before “%(step)s” (%(day)s).")
                % {"step": prog.step(spec.after).label, "day": before.isoformat()},
            )
    if spec.only_if and outcomes.get(spec.only_if[0]) != spec.only_if[1]:
        raise HealthRefused("step", _("This step follows a positive result only."))
    if spec.outcomes and outcome not in dict(spec.outcomes):
        raise HealthRefused("outcome", _("Choose the result."))


def step_record(
    *,
    record: ServiceRecord,
    step: str,
    on: datetime.date,
    institution: Institution,
    staff_name: str,
    outcome: str = "",
    advice: str = "",
    actor: Any,
    today: datetime.date | None = None,
) -> ServiceStep:
    """Record one step of a service record; its result (outcome, advice) encrypted."""
    if not may_serve(actor, record.orgunit_id):
        raise PermissionError("not service staff of this area")
    staff_name = staff_name.strip()
    if not staff_name:
        raise HealthRefused("staff_name", _("Name the staff member who did it."))
    with transaction.atomic():
        record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        done = dict(record.steps.values_list("step", "on"))
        step_check(record, step, on, outcome, done, _outcomes(record), _today(today))
        result = {k: v for k, v in (("outcome", outcome), ("advice", advice.strip())) if v}
        made = ServiceStep.objects.create(
            record=record,
            step=step,
            on=on,
            institution=institution,
            staff_name=staff_name[:50],
            result_enc=crypto.encrypt(json.dumps(result, ensure_ascii=False)) if result else "",
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="health.step.recorded",
            object_type="health.record",
            object_id=record.pk,
            after={"step": step, "on": on, "institution": institution.code},
        )
    return made


def consent_withdraw(
    *,
    record: ServiceRecord,
    person: Person,
    on: datetime.date,
    actor: Any,
    today: datetime.date | None = None,
) -> ServiceRecord:
    """Record that ``person`` withdrew their consent: the record is hidden from everyone
    but the auditor from now on, and counted in no rate."""
    if not may_serve(actor, record.orgunit_id):
        raise PermissionError("not service staff of this area")
    with transaction.atomic():
        record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        consent = record.consents.filter(person=person, withdrawn_on__isnull=True).first()
        if consent is None:
            raise HealthRefused("person", _("This person has no consent to withdraw here."))
        _day("on", on, _today(today), consent.given_on)
        consent.withdrawn_on = on
        consent.withdrawn_by = actor if getattr(actor, "pk", None) else None
        consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
        record.withdrawn_on = record.withdrawn_on or on
        record.save(update_fields=["withdrawn_on"])
        audit_record(
            actor=actor,
            action="health.consent.withdrawn",
            object_type="health.record",
            object_id=record.pk,
            after={"who": "woman" if person.pk == record.woman_id else "man", "on": on},
        )
    return record


def record_viewed(*, record: ServiceRecord, actor: Any) -> None:
    """Audit that ``actor`` read a service record."""
    audit_record(
        actor=actor, action="health.record.viewed", object_type="health.record", object_id=record.pk
    )


def person_records_viewed(*, person: Person, actor: Any) -> None:
    """Audit that ``actor`` read the list of a person's service records."""
    audit_record(
        actor=actor,
        action="health.person.viewed",
        object_type="registry.person",
        object_id=person.pk,
    )


def may_set_figures(user: Any, code: str) -> bool:
    """Whether ``user`` may enter the yearly figures of unit ``code``."""
    from renkou.core.scoping import can_see_code

    return can_see_code(user, code, FIGURE_ROLES) and bool(user_roles(user) & FIGURE_ROLES)


def figure_set(*, orgunit: OrgUnit, year: int, kind: str, value: int, actor: Any) -> AreaFigure:
    """Enter (or change) one yearly figure of a unit, audited with the value before."""
    if kind not in FigureKind.values:
        raise HealthRefused("kind", _("Unknown figure."))
    if not may_set_figures(actor, orgunit.code):
        raise PermissionError("may not enter this unit's figures")
    if not 2000 <= year <= 2100 or value < 0:
        raise HealthRefused("value", _("Give a year and a number of zero or more."))
    with transaction.atomic():
        figure = (
            AreaFigure.objects.select_for_update()
            .filter(orgunit=orgunit, year=year, kind=kind)
            .first()
        )
        before = figure.value if figure else None
        if figure is None:
            figure = AreaFigure(orgunit=orgunit, year=year, kind=kind, value=value)
        figure.value = value
        figure.set_by = actor if getattr(actor, "pk", None) else None
        figure.save()
        audit_record(
            actor=actor,
            action="health.figure.set",
            object_type="health.figure",
            object_id=figure.pk,
            before={"value": before},
            after={"orgunit": orgunit.code, "year": year, "kind": kind, "value": value},
        )
    return figure
