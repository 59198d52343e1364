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
    if valid_until is not None and valid_until < valid_from:
        raise CycleError(_("the end date is before the start date"))
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
    """Record an only-child certificate (独生子女父母光荣证) held by a parent for a child: the
    child must be the holder's (in the register, or adopted), and a certificate number is
    for one child only (both parents may hold it)."""
    own = holder.pk in (child.mother_id, child.father_id)
    if not own and not Adoption.objects.filter(parent=holder, child=child).exists():
        raise CycleError(
            _("%(child)s is not the holder's child in the register (nor adopted by the holder)")
            % {"child": child.name}
        )
    other = OnlyChildCertificate.objects.filter(number=number).exclude(child=child).first()
    if other is not None:
        raise CycleError(
            _("certificate %(number)s is recorded for another child (one certificate, one child)")
            % {"number": number}
        )
    if OnlyChildCertificate.objects.filter(holder=holder, number=number).exists():
        raise CycleError(_("this certificate is recorded already"))
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
    if parent.pk == child.pk:
        raise CycleError(_("the adoptive parent and the child are the same person"))
    if parent.birth_date and child.birth_date and child.birth_date <= parent.birth_date:
        raise CycleError(_("the child is not younger than the adoptive parent"))
    if Adoption.objects.filter(parent=parent, child=child).exists():
        raise CycleError(_("this adoption is recorded already"))
    adoption = Adoption.objects.create(parent=parent, child=child, adopted_on=adopted_on)
    audit_record(
        actor=actor,
        action="benefits.adoption.added",
        object_type="registry.person",
        object_id=parent.pk,
        after={"adoption": adoption.pk, "child": child.pk, "on": str(adopted_on)},
    )
    return adoption


@transaction.atomic
def only_child_certificate_revoke(
    *, cert: OnlyChildCertificate, revoked_on: datetime.date, actor: Any, reason: str
) -> OnlyChildCertificate:
    """Revoke an only-child certificate on a date (收回: another child, or issued wrongly)."""
    if cert.revoked_on is not None:
        raise CycleError(
            _("the certificate was revoked on %(day)s already") % {"day": cert.revoked_on}
        )
    if revoked_on < cert.issued_on:
        raise CycleError(_("the certificate cannot be revoked before it was issued"))
    cert.revoked_on = revoked_on
    cert.save(update_fields=["revoked_on"])
    audit_record(
        actor=actor,
        action="benefits.certificate.revoked",
        object_type="registry.person",
        object_id=cert.holder_id,
        after={"certificate": cert.pk, "number": cert.number, "revoked": str(revoked_on)},
        reason=reason,
    )
    return cert
