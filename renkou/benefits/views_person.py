"""A person's benefits: records the rules read, bank account, decisions and months.

Every showing is audited as a read of the person's data (the bank account, even masked,
and the benefit history are personal information).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.benefits import selectors
from renkou.benefits.models import (
    Adoption,
    BankAccount,
    DisabilityRecord,
    Entitlement,
    OnlyChildCertificate,
)
from renkou.benefits.services import bank_account_set
from renkou.core.audit import audit_record
from renkou.core.scoping import may, restrict
from renkou.registry.models import Person


def _person(request: HttpRequest, pk: int) -> Person:
    person = restrict(Person.objects.all(), request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def _area(person: Person) -> str:
    return person.hukou_orgunit_id or person.residence_orgunit_id or ""


@login_required
def person_benefits(request: HttpRequest, pk: int) -> HttpResponse:
    """The benefit side of one person, for the office that pays them."""
    person = _person(request, pk)
    audit_record(
        actor=request.user,
        action="benefits.person.viewed",
        object_type="registry.person",
        object_id=person.pk,
    )
    cycles = selectors.cycles_for(request.user)
    decisions = list(
        selectors.decisions_for_person(request.user, person)
        .filter(cycle__in=cycles)
        .select_related("cycle", "cycle__orgunit")
        .order_by("-cycle__year", "cycle__programme")
    )
    months: dict[str, list[Any]] = {}
    for e in Entitlement.objects.filter(person=person, cycle__in=cycles).order_by(
        "programme", "month"
    ):
        months.setdefault(e.get_programme_display(), []).append(e)
    return render(
        request,
        "benefits/person.html",
        {
            "person": person,
            "account": BankAccount.objects.filter(person=person).first(),
            "disability": DisabilityRecord.objects.filter(person=person).order_by("valid_from"),
            "certificates": OnlyChildCertificate.objects.filter(holder=person).select_related(
                "child"
            ),
            "adoptions": Adoption.objects.filter(parent=person).select_related("child"),
            "decisions": decisions,
            "months": sorted(months.items()),
            "can_edit": may(request.user, "benefits", _area(person)),
        },
    )


@login_required
@require_POST
def person_bank_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the person's bank account (stored encrypted, shown masked)."""
    person = _person(request, pk)
    if not may(request.user, "benefits", _area(person)):
        raise PermissionDenied
    bank = request.POST.get("bank", "").strip()
    account = "".join(request.POST.get("account", "").split())
    if not bank or not account.isdigit() or not 8 <= len(account) <= 30:
        messages.error(request, _("Give the bank and an account number of 8 to 30 digits."))
    else:
        bank_account_set(person=person, bank=bank[:60], account=account, actor=request.user)
        messages.success(request, _("The bank account is recorded."))
    return redirect("benefits_person", pk=person.pk)
