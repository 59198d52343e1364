"""A person's benefits: records the rules read, bank account, decisions and months.

Every showing is audited as a read of the person's data (the bank account, even masked,
and the benefit history are personal information).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.benefits import selectors
from renkou.benefits.choices import Programme
from renkou.benefits.facts_import import account_problem, grade_of
from renkou.benefits.models import (
    Adoption,
    BankAccount,
    ChildcareApplication,
    DisabilityRecord,
    Entitlement,
    OnlyChildCertificate,
)
from renkou.benefits.payees import payees_of
from renkou.benefits.records import (
    adoption_add,
    disability_record_add,
    only_child_certificate_add,
    only_child_certificate_revoke,
)
from renkou.benefits.services import (
    CycleError,
    application_covers,
    bank_account_set,
    childcare_application_end,
    childcare_apply,
    childcare_window,
)
from renkou.core import crypto
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
    applications = list(
        ChildcareApplication.objects.filter(child=person)
        .select_related("applicant")
        .order_by("first_month")
    )
    months: dict[str, list[Any]] = {}
    childcare = False
    for e in Entitlement.objects.filter(person=person, cycle__in=cycles).order_by(
        "programme", "month"
    ):
        if e.programme == Programme.CHILDCARE:
            childcare = True
            covering = next((a for a in applications if application_covers(a, e.month)), None)
            e.payee = covering.applicant if covering else None
            e.not_applied = covering is None and e.status in ("due", "failed")
        months.setdefault(e.get_programme_display(), []).append(e)
    for d in decisions:
        if d.cycle.programme == Programme.CHILDCARE:
            d.payee_text = ", ".join(
                dict.fromkeys(
                    a.applicant.name
                    for a in applications
                    if a.first_month.year <= d.cycle.year <= a.last_month.year
                )
            ) or _("nobody yet: no application")
    young = (
        person.birth_date is not None and person.birth_date.year >= timezone.localdate().year - 4
    )
    window = childcare_window(person) if (childcare or applications or young) else None
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
            "payees": payees_of(person),
            "applications": applications,
            "childcare_window": window,
            "parents": _parents(person) if window else [],
        },
    )


def _parents(child: Person) -> list[Person]:
    """Who may apply for the child's childcare subsidy: mother, father, adoptive parents."""
    ids = [child.mother_id, child.father_id]
    ids += list(Adoption.objects.filter(child=child).values_list("parent_id", flat=True))
    found = {p.pk: p for p in Person.objects.filter(pk__in=[i for i in ids if i])}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _editable(request: HttpRequest, pk: int) -> Person:
    person = _person(request, pk)
    if not may(request.user, "benefits", _area(person)):
        raise PermissionDenied
    return person


def _day(request: HttpRequest, name: str, required: bool = True) -> datetime.date | None:
    """A date field of the form (YYYY-MM-DD); ``ValueError`` when it is wrong or missing."""
    text = request.POST.get(name, "").strip()
    if not text:
        if required:
            raise ValueError(name)
        return None
    return datetime.date.fromisoformat(text)


def _recorded(request: HttpRequest, person: Person, write: Any) -> HttpResponse:
    """Run a record service; its refusal is shown, nothing written."""
    try:
        write()
    except CycleError as exc:
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, _("Give every date as YYYY-MM-DD."))
    else:
        messages.success(request, _("Recorded."))
    return redirect("benefits_person", pk=person.pk)


@login_required
@require_POST
def person_bank_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the person's bank account (stored encrypted, shown masked)."""
    person = _editable(request, pk)
    bank = request.POST.get("bank", "").strip()
    account = "".join(request.POST.get("account", "").split())
    if not bank or account_problem(account) is not None:
        refused = account_problem(account)
        if refused is not None and refused[0] == "account_check_digit":
            messages.error(
                request, _("The card number fails its check digit: a digit may be mistyped.")
            )
        else:
            messages.error(request, _("Give the bank and an account number of 8 to 30 digits."))
        return redirect("benefits_person", pk=person.pk)
    return _recorded(
        request,
        person,
        lambda: bank_account_set(
            person=person,
            bank=bank[:60],
            account=account,
            actor=request.user,
            valid_from=_day(request, "valid_from", required=False),
        ),
    )


@login_required
@require_POST
def person_disability(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a disability certificate of the person."""
    person = _editable(request, pk)
    grade = grade_of(request.POST.get("grade", ""))
    number = request.POST.get("certificate_number", "").strip()
    if grade is None or not number:
        messages.error(request, _("Give the grade (1 to 4) and the certificate number."))
        return redirect("benefits_person", pk=person.pk)
    return _recorded(
        request,
        person,
        lambda: disability_record_add(
            person=person,
            grade=grade,
            certificate_number=number[:40],
            valid_from=_day(request, "valid_from"),
            valid_until=_day(request, "valid_until", required=False),
            actor=request.user,
        ),
    )


def _child(request: HttpRequest, field: str) -> Person | None:
    """The register person of the identity number typed (in the user's area), or None."""
    text = "".join(request.POST.get(field, "").split()).upper()
    if not text:
        return None
    return (
        restrict(Person.objects.all(), request.user)
        .filter(id_number_hash=crypto.blind_index(text))
        .first()
    )


@login_required
@require_POST
def person_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an only-child certificate the person holds for a child."""
    holder = _editable(request, pk)
    child = _child(request, "child_id")
    number = request.POST.get("number", "").strip()
    if child is None or not number:
        messages.error(
            request, _("Give the certificate number and the identity number of a registered child.")
        )
        return redirect("benefits_person", pk=holder.pk)
    return _recorded(
        request,
        holder,
        lambda: only_child_certificate_add(
            holder=holder,
            child=child,
            number=number[:40],
            issued_on=_day(request, "issued_on"),
            actor=request.user,
        ),
    )


@login_required
@require_POST
def person_certificate_revoke(request: HttpRequest, pk: int, cert: int) -> HttpResponse:
    """Revoke one of the person's only-child certificates on a date, with the reason."""
    holder = _editable(request, pk)
    found = OnlyChildCertificate.objects.filter(pk=cert, holder=holder).first()
    if found is None:
        raise Http404
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Give the reason."))
        return redirect("benefits_person", pk=holder.pk)
    return _recorded(
        request,
        holder,
        lambda: only_child_certificate_revoke(
            cert=found,
            revoked_on=_day(request, "revoked_on"),
            actor=request.user,
            reason=reason[:200],
        ),
    )


@login_required
@require_POST
def person_adoption(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a registered adoption by the person."""
    parent = _editable(request, pk)
    child = _child(request, "child_id")
    if child is None:
        messages.error(request, _("Give the identity number of a registered child."))
        return redirect("benefits_person", pk=parent.pk)
    return _recorded(
        request,
        parent,
        lambda: adoption_add(
            parent=parent, child=child, adopted_on=_day(request, "adopted_on"), actor=request.user
        ),
    )


def _month(request: HttpRequest, name: str) -> datetime.date:
    """A month field of the form (YYYY-MM, or a date in the month); ``ValueError`` when wrong."""
    text = request.POST.get(name, "").strip()
    if len(text) == 7:
        text += "-01"
    return datetime.date.fromisoformat(text).replace(day=1)


@login_required
@require_POST
def person_childcare_application(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a parent's application (申领) for the child's childcare subsidy."""
    child = _editable(request, pk)
    chosen = request.POST.get("applicant", "")
    applicant = next((p for p in _parents(child) if str(p.pk) == chosen), None)
    if applicant is None:
        messages.error(request, _("Choose the parent who applies."))
        return redirect("benefits_person", pk=child.pk)
    try:
        first, last = _month(request, "first_month"), _month(request, "last_month")
    except ValueError:
        messages.error(request, _("Give the first and the last month applied for as YYYY-MM."))
        return redirect("benefits_person", pk=child.pk)
    return _recorded(
        request,
        child,
        lambda: childcare_apply(
            child=child,
            applicant=applicant,
            applied_on=_day(request, "applied_on") or timezone.localdate(),
            first_month=first,
            last_month=last,
            actor=request.user,
        ),
    )


@login_required
@require_POST
def person_childcare_application_end(request: HttpRequest, pk: int, app: int) -> HttpResponse:
    """End a childcare application early (its last month earlier) or withdraw it (no last
    month given)."""
    child = _editable(request, pk)
    application = get_object_or_404(ChildcareApplication, pk=app, child=child)
    try:
        last = _month(request, "last_month") if request.POST.get("last_month", "").strip() else None
    except ValueError:
        messages.error(request, _("Give the first and the last month applied for as YYYY-MM."))
        return redirect("benefits_person", pk=child.pk)
    return _recorded(
        request,
        child,
        lambda: childcare_application_end(
            application=application,
            last_month=last,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        ),
    )
