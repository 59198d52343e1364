"""Floating-population pages: the worklist of messages, one message, a new verification
request, and the rates and stocks of a unit."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.analytics.periods import PeriodError, containing, parse
from renkou.core.scoping import can_see_code, may, own_unit_code, user_roles
from renkou.floating import selectors, services
from renkou.floating.models import Message, MessageKind, MessageState, ReplyOutcome
from renkou.registry.changes import visible_person
from renkou.registry.forms import CORRECTABLE
from renkou.registry.validation import EventRefused

# The fields a reply may correct on the form (the register's correctable fields that are
# typed, not chosen from the register).
REPLY_FIELDS = ("name", "sex", "birth_date", "ethnicity", "id_number", "hukou_type")


def _zh(request: HttpRequest) -> bool:
    return request.LANGUAGE_CODE.startswith("zh")


def _problems(request: HttpRequest, refused: EventRefused) -> None:
    zh = _zh(request)
    for p in refused.problems:
        messages.error(request, p.message_zh if zh else p.message_en)


def _unit(request: HttpRequest) -> str:
    unit = request.GET.get("unit", "").strip()
    if unit and not (unit.isdigit() and can_see_code(request.user, unit)):
        raise Http404
    return unit


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """A unit's messages by tab: to send, sent and waiting, to answer, to review, overdue,
    answered."""
    tab = request.GET.get("tab", "to_send")
    if tab not in selectors.TABS:
        tab = "to_send"
    unit = _unit(request)
    rows = list(selectors.worklist(request.user, tab, unit)[:200])
    zh = _zh(request)
    for row in rows:  # a reply is shown with what it changes
        row.changes = selectors.reply_changes(row, zh) if row.kind == MessageKind.REPLY else []
    today = timezone.localdate()
    return render(
        request,
        "floating/worklist.html",
        {
            "tab": tab,
            "unit": unit,
            "counts": selectors.tab_counts(request.user, unit),
            "can_peers": bool(user_roles(request.user) & {"county_admin", "sysadmin"}),
            "rows": rows,
            "today": today,
            "tabs": [
                ("to_send", _("To send")),
                ("waiting", _("Sent, waiting")),
                ("to_answer", _("To answer")),
                ("to_review", _("Replies to review")),
                ("overdue", _("Overdue")),
                ("answered", _("Answered")),
            ],
        },
    )


def _message(request: HttpRequest, message_id: uuid.UUID) -> Message:
    try:
        return selectors.message_for(request.user, message_id)
    except Message.DoesNotExist:
        raise Http404 from None


@login_required
def message_detail(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """One message, its replies with what they change, and what the user may do with it."""
    message = _message(request, message_id)
    user = request.user
    replies = list(message.replies.order_by("pk")) if message.kind != MessageKind.REPLY else []
    zh = _zh(request)
    shown_replies = [(r, selectors.reply_changes(r, zh)) for r in replies]
    own_changes = selectors.reply_changes(message, zh) if message.kind == MessageKind.REPLY else []
    receiving = message.received_at is not None
    return render(
        request,
        "floating/message_detail.html",
        {
            "message": message,
            "replies": shown_replies,
            "changes": own_changes,
            "today": timezone.localdate(),
            # a message for another server: where its delivery is (outbox)
            "delivery": message.outbox.select_related("peer").order_by("-pk").first(),
            "can_send": message.state == MessageState.TO_SEND
            and may(user, "report", message.sender_area),
            "can_answer": message.kind != MessageKind.REPLY
            and message.state == MessageState.SENT
            and receiving
            and may(user, "report", message.receiver_area),
            "can_review": message.kind == MessageKind.REPLY
            and message.state == MessageState.SENT
            and may(user, "review", message.receiver_area),
            "outcomes": ReplyOutcome.choices,
            "reply_fields": [(f, label) for f, label in CORRECTABLE if f in REPLY_FIELDS],
        },
    )


@login_required
@require_POST
def message_send(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """Send a message written here."""
    message = _message(request, message_id)
    if not may(request.user, "report", message.sender_area):
        raise PermissionDenied
    try:
        services.message_send(message=message, actor=request.user)
    except EventRefused as refused:
        _problems(request, refused)
    else:
        messages.success(request, _("Sent."))
    return redirect("floating_message", message_id=message.message_id)


@login_required
@require_POST
def message_reply(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """Answer a notice or request received by the user's area."""
    message = _message(request, message_id)
    if not may(request.user, "report", message.receiver_area) or message.received_at is None:
        raise PermissionDenied
    corrections = {f: request.POST.get(f"correct_{f}", "") for f in REPLY_FIELDS}
    try:
        services.reply_create(
            request=message,
            outcome=request.POST.get("outcome", ""),
            corrections={f: v for f, v in corrections.items() if v.strip()},
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except EventRefused as refused:
        _problems(request, refused)
    else:
        messages.success(request, _("Answered."))
    return redirect("floating_message", message_id=message.message_id)


@login_required
@require_POST
def message_review(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """The receiving office's review of a reply: apply its corrections, note it, or decline."""
    message = _message(request, message_id)
    if not may(request.user, "review", message.receiver_area):
        raise PermissionDenied
    try:
        services.reply_review(
            reply=message,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except EventRefused as refused:
        _problems(request, refused)
    else:
        messages.success(request, _("Reviewed."))
    return redirect("floating_message", message_id=message.message_id)


def _sender_for(user: Any, person: Any) -> str | None:
    """The area a user asks from about a person: the village the person lives in, or else
    the one they are registered in, whichever the user may report for."""
    for code in (person.residence_orgunit_id, person.hukou_orgunit_id):
        if code and may(user, "report", code):
            return str(code)
    return None


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Write a verification request (协查请求) about a person of ours who floats."""
    raw = request.POST.get("person") or request.GET.get("person", "")
    person = visible_person(request.user, int(raw)) if str(raw).isdigit() else None
    if person is None:
        raise Http404
    sender = _sender_for(request.user, person)
    if sender is None:
        raise PermissionDenied
    questions = [
        ("registered", _("Is this person registered with you?")),
        ("family", _("What is their family information?")),
        ("record", _("Is this record right?")),
    ]
    if request.method == "POST":
        try:
            message = services.request_create(
                person=person,
                sender_area=sender,
                questions=request.POST.getlist("questions"),
                note=request.POST.get("note", ""),
                actor=request.user,
                token=request.POST.get("token", ""),
            )
            if "send" in request.POST:
                services.message_send(message=message, actor=request.user)
        except EventRefused as refused:
            _problems(request, refused)
        else:
            messages.success(request, _("The request is written."))
            return redirect("floating_message", message_id=message.message_id)
    return render(
        request,
        "floating/request_form.html",
        {"person": person, "questions": questions, "token": uuid.uuid4().hex},
    )


@login_required
def rates_page(request: HttpRequest) -> HttpResponse:
    """通报率, 协查反馈率, 反馈及时率 and the floating stock of a unit for a period."""
    unit = _unit(request) or own_unit_code(request.user) or ""
    # no unit: the whole server, for the superuser only (anyone else sees nothing)
    counted = bool(unit) or request.user.is_superuser
    text = request.GET.get("period", "").strip()
    try:
        period = parse(text) if text else containing(timezone.localdate(), "year")
    except PeriodError:
        period = containing(timezone.localdate(), "year")
        messages.error(request, _("Not a period: %(text)s") % {"text": text})
    figures = selectors.unit_rates(unit, period.start, period.end) if counted else {}
    stock = selectors.unit_stock(unit, period.end) if counted else None
    return render(
        request,
        "floating/rates.html",
        {
            "unit": unit,
            "period": period,
            "figures": figures,
            "stock": stock,
            "ranked": stock.ranked() if stock else {},
        },
    )
