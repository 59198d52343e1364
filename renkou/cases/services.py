"""The writes of cases: register, accept, assign, record a step, reply and close, unmask.

Each runs in one transaction with its audit row and the notifications it causes (rolled
back with it). A case moves forward only: new → in progress (accepted) → closed.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.cases.choices import Category, Channel, Satisfaction, Status, StepKind
from renkou.cases.deadlines import rule_for
from renkou.cases.models import Case, CaseStep
from renkou.cases.selectors import handlers_by_unit
from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.masking import mask_contact, mask_name
from renkou.core.scoping import may, user_roles
from renkou.notifications import services as notifications
from renkou.orgunits.models import OrgUnit

EARLIEST = datetime.date(2000, 1, 1)
NAME_OPTIONAL = frozenset({Channel.PHONE, Channel.HOTLINE})  # anonymous callers are heard
MAX_NAME, MAX_PHONE, MAX_TEXT = 50, 30, 4000
PHONE = re.compile(r"\+?[0-9]{5,20}")
# who may see a petitioner's name and telephone in clear (with a reason, audited)
REVEAL_ROLES = frozenset({"statistician", "county_admin", "sysadmin"})


class CaseRefused(ValueError):
    """A write refused: ``field`` names the form field, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _day(field: str, label: str, day: Any, today: datetime.date, not_before: datetime.date) -> None:
    """Refuse a date missing, in the future or before ``not_before``."""
    if not isinstance(day, datetime.date):
        raise CaseRefused(field, _("%(field)s: give a date (YYYY-MM-DD).") % {"field": label})
    if day > today:
        raise CaseRefused(
            field,
            _("%(field)s: %(day)s is after today.") % {"field": label, "day": day.isoformat()},
        )
    if day < not_before:
        raise CaseRefused(
            field,
            _("%(field)s: %(day)s is before %(first)s.")
            % {"field": label, "day": day.isoformat(), "first": not_before.isoformat()},
        )


def _text(field: str, label: str, value: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CaseRefused(field, _("%(field)s: this is required.") % {"field": label})
    if len(value) > limit:
        raise CaseRefused(
            field,
            _("%(field)s: at most %(limit)d characters.") % {"field": label, "limit": limit},
        )
    return value


def phone_digits(phone: str) -> str:
    """The telephone as stored: spaces, dashes and brackets dropped."""
    return re.sub(r"[\s\-()（）]", "", phone or "")


def may_handle(user: Any, case: Case) -> bool:
    """Whether ``user`` may accept, assign and close ``case``: a case officer of the area of
    the unit it concerns or of the unit handling it."""
    if may(user, "cases", case.orgunit_id):
        return True
    return bool(case.assigned_unit_id) and may(user, "cases", case.assigned_unit_id or "")


def may_record(user: Any, case: Case) -> bool:
    """Whether ``user`` may record a step: a case officer as above, or its assignee."""
    return may_handle(user, case) or (case.assignee_id is not None and case.assignee_id == user.pk)


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "accepted_on": case.accepted_on,
        "accept_due": case.accept_due,
        "answer_due": case.answer_due,
        "extended_days": case.extended_days,
        "assigned_unit": case.assigned_unit_id,
        "assignee": case.assignee_id,
        "closed_on": case.closed_on,
        "satisfaction": case.satisfaction,
    }


def _audit(case: Case, action: str, actor: Any, before: Any = None, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.case",
        object_id=case.pk,
        before=before,
        after=_snapshot(case),
        reason=reason,
    )


def _locked(case: Case) -> Case:
    """The case read again under a row lock: two officers acting at once act in turn."""
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def case_register(
    *,
    token: str,
    channel: str,
    category: str,
    received_on: Any,
    orgunit: OrgUnit,
    petitioner_name: str,
    petitioner_phone: str = "",
    request: str,
    actor: Any,
    today: datetime.date | None = None,
) -> Case:
    """Register a case received by the office (登记). The same form sent again (its
    ``token``) gives back the case it registered instead of a second one."""
    today = _today(today)
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise CaseRefused("token", _("The form is out of date: open it again."))
    existing = Case.objects.filter(token=token).first()
    if existing is not None:
        if existing.registered_by_id != getattr(actor, "pk", None):
            raise CaseRefused("token", _("The form is out of date: open it again."))
        return existing
    if not may(actor, "cases", orgunit.code):
        raise PermissionError("may not register cases of this unit")
    if channel not in Channel.values:
        raise CaseRefused("channel", _("Channel: choose one of the list."))
    # A category outside the list (such as a report of someone's births) does not exist.
    if category not in Category.values:
        raise CaseRefused("category", _("Category: choose one of the list."))
    _day("received_on", _("Day received"), received_on, today, EARLIEST)
    if not orgunit.is_valid_on(received_on):
        raise CaseRefused(
            "orgunit",
            _("Unit concerned: %(unit)s did not exist on %(day)s.")
            % {"unit": orgunit.name, "day": received_on.isoformat()},
        )
    name = _text(
        "petitioner_name",
        _("Petitioner's name"),
        petitioner_name,
        required=channel not in NAME_OPTIONAL,
        limit=MAX_NAME,
    )
    phone = phone_digits(petitioner_phone)
    if phone and not PHONE.fullmatch(phone):
        raise CaseRefused(
            "petitioner_phone",
            _("Telephone: %(value)s is not a telephone number (5 to 20 digits).")
            % {"value": petitioner_phone.strip()[:MAX_PHONE]},
        )
    text = _text("request", _("Request"), request, required=True)
    rule = rule_for(channel, received_on)
    accept_due = rule.accept_due(received_on)
    case = Case(
        token=token,
        channel=channel,
        category=category,
        received_on=received_on,
        orgunit=orgunit,
        petitioner_name_enc=crypto.encrypt(name) if name else "",
        petitioner_name_masked=mask_name(name),
        petitioner_phone_enc=crypto.encrypt(phone) if phone else "",
        petitioner_phone_masked=mask_contact(phone),
        petitioner_phone_hash=crypto.blind_index(phone, domain="phone") if phone else "",
        request=text,
        accept_days=rule.accept_days,
        answer_days=rule.answer_days,
        accept_due=accept_due,
        # until it is accepted, the latest the answer can be due
        answer_due=rule.answer_due(accept_due),
        registered_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # the same form sent twice at once: the other one registered it
        return Case.objects.get(token=token)
    CaseStep.objects.create(
        case=case, kind=StepKind.REGISTERED, on=received_on, actor=case.registered_by
    )
    _audit(case, "cases.case.registered", actor)
    _remind(case)
    return case


@transaction.atomic
def case_accept(
    *, case: Case, accepted_on: Any, actor: Any, today: datetime.date | None = None
) -> Case:
    """Accept a case (受理): its answer is due ``answer_days`` after this day."""
    today = _today(today)
    case = _locked(case)
    if not may_handle(actor, case):
        raise PermissionError("may not handle this case")
    if case.status != Status.NEW:
        if case.accepted_on == accepted_on:
            return case  # the same acceptance sent again (a double click)
        raise CaseRefused("accepted_on", _("This case is already accepted."))
    _day("accepted_on", _("Accepted on"), accepted_on, today, case.received_on)
    before = _snapshot(case)
    case.accepted_on = accepted_on
    case.answer_due = accepted_on + datetime.timedelta(days=case.answer_days)
    case.status = Status.IN_PROGRESS
    case.save(update_fields=["accepted_on", "answer_due", "status"])
    CaseStep.objects.create(case=case, kind=StepKind.ACCEPTED, on=accepted_on, actor=actor)
    _audit(case, "cases.case.accepted", actor, before)
    _remind(case)
    return case


@transaction.atomic
def case_assign(
    *,
    case: Case,
    unit: OrgUnit,
    assignee: Any,
    actor: Any,
    note: str = "",
    today: datetime.date | None = None,
) -> Case:
    """Give a case to a handling unit and a person there (交办). The unit must lie in the
    assigner's own area; the person must hold a role at that unit."""
    today = _today(today)
    case = _locked(case)
    if not may_handle(actor, case):
        raise PermissionError("may not handle this case")
    if case.status == Status.CLOSED:
        raise CaseRefused("unit", _("This case is closed."))
    if not may(actor, "cases", unit.code):
        raise CaseRefused(
            "unit",
            _(
                "Handling unit: %(unit)s is outside your area; you may assign cases only to"
                " units of the area where you handle cases."
            )
            % {"unit": unit.name},
        )
    handlers = handlers_by_unit([unit.code]).get(unit.code, [])
    if assignee is None or assignee.pk not in {uid for uid, _name in handlers}:
        raise CaseRefused(
            "assignee",
            _("Handled by: choose a person who holds a role at %(unit)s.") % {"unit": unit.name},
        )
    text = _text("note", _("Note"), note, required=False, limit=2000)
    if case.assigned_unit_id == unit.code and case.assignee_id == assignee.pk:
        return case  # given to them already: the same assignment sent again
    before = _snapshot(case)
    previous = case.assignee_id
    case.assigned_unit = unit
    case.assignee = assignee
    case.save(update_fields=["assigned_unit", "assignee"])
    CaseStep.objects.create(
        case=case,
        kind=StepKind.ASSIGNED,
        on=today,
        actor=actor,
        text=f"{unit.name} · {assignee.get_username()}" + (f"\n{text}" if text else ""),
    )
    _audit(case, "cases.case.assigned", actor, before)
    if previous and previous != assignee.pk:
        _withdraw(case, recipients=[previous])
    if assignee.pk != getattr(actor, "pk", None):
        notifications.notify(
            recipients=[assignee.pk],
            verb=notifications.CASE_ASSIGNED,
            params=_params(case),
            object_type="cases.case",
            object_id=case.pk,
            orgunit=unit.code,
        )
    _remind(case)
    return case


@transaction.atomic
def case_step_add(
    *, case: Case, on: Any, text: str, actor: Any, today: datetime.date | None = None
) -> CaseStep:
    """Record a handling step (办理过程): what was done on which day."""
    today = _today(today)
    case = _locked(case)
    if not may_record(actor, case):
        raise PermissionError("may not record steps of this case")
    if case.status == Status.CLOSED:
        raise CaseRefused("text", _("This case is closed."))
    _day("on", _("Date"), on, today, case.received_on)
    text = _text("text", _("What was done"), text, required=True, limit=2000)
    same = case.steps.filter(kind=StepKind.NOTE, on=on, text=text, actor=actor).first()
    if same is not None:
        return same  # the same step sent again (a double click)
    step = CaseStep.objects.create(case=case, kind=StepKind.NOTE, on=on, actor=actor, text=text)
    _audit(case, "cases.case.step", actor, reason=text)
    return step


@transaction.atomic
def case_extend(
    *, case: Case, days: Any, reason: str, actor: Any, today: datetime.date | None = None
) -> Case:
    """Extend the answer's deadline of a complex case, once, by at most the rule's days
    (延期; approved by the office's head, recorded here with the reason)."""
    today = _today(today)
    case = _locked(case)
    if not may_handle(actor, case):
        raise PermissionError("may not handle this case")
    if case.status != Status.IN_PROGRESS:
        raise CaseRefused("days", _("Only an accepted case that is not closed is extended."))
    text = _text("reason", _("Reason"), reason, required=True, limit=2000)
    if case.extended_days:
        if days == case.extended_days and case.steps.filter(kind=StepKind.EXTENDED, text=text):
            return case  # the same extension sent again (a double click)
        raise CaseRefused("days", _("This case's deadline has been extended already."))
    most = rule_for(case.channel, case.received_on).extension_max_days
    if not isinstance(days, int) or not 1 <= days <= most:
        raise CaseRefused(
            "days",
            _("Days of extension: from 1 to %(most)d for this case.") % {"most": most}
            if most
            else _("Days of extension: the rules allow no extension for this channel."),
        )
    before = _snapshot(case)
    case.extended_days = days
    case.answer_due = case.answer_due + datetime.timedelta(days=days)
    case.save(update_fields=["extended_days", "answer_due"])
    CaseStep.objects.create(case=case, kind=StepKind.EXTENDED, on=today, actor=actor, text=text)
    _audit(case, "cases.case.extended", actor, before, reason=text)
    _remind(case)
    return case


@transaction.atomic
def case_close(
    *,
    case: Case,
    reply: str,
    closed_on: Any,
    satisfaction: str,
    actor: Any,
    today: datetime.date | None = None,
) -> Case:
    """Record the reply given to the petitioner and close the case (办结), with what the
    petitioner said of it (满意度)."""
    today = _today(today)
    case = _locked(case)
    if not may_handle(actor, case):
        raise PermissionError("may not handle this case")
    if case.status == Status.CLOSED:
        if (case.reply, case.closed_on, case.satisfaction) == (
            (reply or "").strip(),
            closed_on,
            satisfaction,
        ):
            return case  # the same reply sent again (a double click)
        raise CaseRefused("reply", _("This case is already closed."))
    if case.status == Status.NEW or case.accepted_on is None:
        raise CaseRefused("reply", _("Accept the case before closing it."))
    text = _text("reply", _("Reply"), reply, required=True)
    _day("closed_on", _("Replied on"), closed_on, today, case.accepted_on)
    if satisfaction not in Satisfaction.values:
        raise CaseRefused("satisfaction", _("Satisfaction: choose one of the list."))
    before = _snapshot(case)
    case.reply, case.closed_on, case.satisfaction = text, closed_on, satisfaction
    case.status = Status.CLOSED
    case.save(update_fields=["reply", "closed_on", "satisfaction", "status"])
    CaseStep.objects.create(case=case, kind=StepKind.CLOSED, on=closed_on, actor=actor, text=text)
    _audit(case, "cases.case.closed", actor, before)
    _withdraw(case)
    return case


def case_viewed(*, case: Case, actor: Any) -> None:
    """Record that a case's page was shown to someone (it holds a petitioner's request)."""
    audit_record(
        actor=actor, action="cases.case.viewed", object_type="cases.case", object_id=case.pk
    )


@transaction.atomic
def case_petitioner_reveal(*, case: Case, actor: Any, reason: str) -> tuple[str, str]:
    """The petitioner's name and telephone in clear, for a permitted user giving a reason;
    audited with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise CaseRefused(
            "reason", _("Give the reason why you need to see the petitioner's details.")
        )
    if not (user_roles(actor) & REVEAL_ROLES):
        raise PermissionError("role may not see petitioners' details")
    name = crypto.decrypt(case.petitioner_name_enc) if case.petitioner_name_enc else ""
    phone = crypto.decrypt(case.petitioner_phone_enc) if case.petitioner_phone_enc else ""
    audit_record(
        actor=actor,
        action="cases.petitioner.unmask",
        object_type="cases.case",
        object_id=case.pk,
        reason=reason[:500],
    )
    return name, phone


# --- notifications ---------------------------------------------------------------------------


def _params(case: Case) -> dict[str, Any]:
    return {"number": case.number, "category": case.category}


def _handler(case: Case) -> int | None:
    """Who is reminded of the case's deadlines: its assignee, else who registered it."""
    return case.assignee_id or case.registered_by_id


def _remind(case: Case) -> None:
    """Notifications held back until the day after each open deadline: shown then only if
    the case is still open (an acted-on case withdraws them, ``_withdraw``)."""
    handler = _handler(case)
    if handler is None:
        return
    _withdraw(case)
    late = [(notifications.CASE_ANSWER_LATE, case.answer_due)]
    if case.status == Status.NEW:
        late.append((notifications.CASE_ACCEPT_LATE, case.accept_due))
    for verb, due in late:
        notifications.notify(
            recipients=notifications.active_user_ids([handler]),
            verb=verb,
            params=_params(case) | {"due": due.isoformat()},
            object_type="cases.case",
            object_id=case.pk,
            orgunit=case.assigned_unit_id or case.orgunit_id,
            visible_from=due + datetime.timedelta(days=1),
        )


def _withdraw(case: Case, recipients: list[int] | None = None) -> None:
    notifications.withdraw_pending(
        verbs=[notifications.CASE_ACCEPT_LATE, notifications.CASE_ANSWER_LATE],
        object_type="cases.case",
        object_id=case.pk,
        recipients=recipients,
    )
