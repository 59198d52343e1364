"""Writes of the facts the register does not keep: disability records, only-child
certificates and adoptions. Each is one transaction with its audit row; a record is ended
(recovery, revocation) by a new audited action, never deleted."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.benefits.models import Adoption, DisabilityRecord, OnlyChildCertificate
from renkou.benefits.services import CycleError
from renkou.core.audit import audit_record
from renkou.registry.models import Person


@transaction.atomic
def disability_record_add(
    *,
    person: Person,
    grade: int,
    certificate_number: str,
    valid_from: datetime.date,
    actor: Any,
    valid_until: datetime.date | None = None,
) -> DisabilityRecord:
    """Record a disability certificate (残疾证) of grade 1 to 4."""
    if not 1 <= grade <= 4:
        raise CycleError(_("the disability grade is 1 to 4, not %(grade)s") % {"grade": grade})
    record = DisabilityRecord.objects.create(
        person=person,
        grade=grade,
        certificate_number=certificate_number,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    audit_record(
        actor=actor,
        action="benefits.disability.added",
        object_type="registry.person",
        object_id=person.pk,
        after={
            "record": record.pk,
            "grade": grade,
            "certificate": certificate_number,
            "from": str(valid_from),
            "until": str(valid_until or ""),
        },
    )
    return record


@transaction.atomic
def disability_record_end(
    *, record: DisabilityRecord, valid_until: datetime.date, actor: Any, reason: str
) -> DisabilityRecord:
    """End a disability record on a date (recovery, or the certificate withdrawn)."""
    before = str(record.valid_until or "")
    record.valid_until = valid_until
    record.save(update_fields=["valid_until"])
    audit_record(
        actor=actor,
        action="benefits.disability.ended",
        object_type="registry.person",
        object_id=record.person_id,
        before={"record": record.pk, "until": before},
        after={"record": record.pk, "until": str(valid_until)},
        reason=reason,
    )
    return record


@transaction.atomic
def only_child_certificate_add(
    *, holder: Person, child: Person, number: str, issued_on: datetime.date, actor: Any
) -> OnlyChildCertificate:
    """Record an only-child certificate (独生子女父母光荣证) held by a parent for a child."""
    cert = OnlyChildCertificate.objects.create(
        holder=holder, child=child, number=number, issued_on=issued_on
    )
    audit_record(
        actor=actor,
        action="benefits.certificate.added",
        object_type="registry.person",
        object_id=holder.pk,
        after={
            "certificate": cert.pk,
            "number": number,
            "child": child.pk,
            "issued": str(issued_on),
        },
    )
    return cert


@transaction.atomic
def adoption_add(
    *, parent: Person, child: Person, adopted_on: datetime.date, actor: Any
) -> Adoption:
    """Record a registered adoption (收养): the child counts as the parent's from that date."""
    adoption = Adoption.objects.create(parent=parent, child=child, adopted_on=adopted_on)
    audit_record(
        actor=actor,
        action="benefits.adoption.added",
        object_type="registry.person",
        object_id=parent.pk,
        after={"adoption": adoption.pk, "child": child.pk, "on": str(adopted_on)},
    )
    return adoption
