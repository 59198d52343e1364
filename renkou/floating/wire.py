"""Messages between servers: the form a message travels in (``message_wire``), and storing
one that comes in (``message_receive``): the two ends of the delivery between servers
(``floating.outbox`` posts, ``floating.inbox`` receives)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from renkou.core import crypto, idnumber
from renkou.floating.models import Message, MessageKind, MessageState, ReplyOutcome
from renkou.floating.services import (
    MessageRefused,
    deadline_days,
    message_audit,
    message_delivered,
    waiting_replies_match,
)
from renkou.registry import services as registry_services


def message_wire(message: Message) -> dict[str, Any]:
    """A message as it travels to another server: its id, kind, areas, dates, and its
    person (the identity number in clear, for the receiver to index under its own keys)."""
    data = message.person_data
    number = crypto.decrypt(data["id_number_enc"]) if data.get("id_number_enc") else ""
    return {
        "message_id": str(message.message_id),
        "kind": message.kind,
        "from": message.sender_area,
        "to": message.receiver_area,
        "in_reply_to": str(message.in_reply_to) if message.in_reply_to else None,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "deadline_days": message.deadline_days,
        "event_date": message.event_date.isoformat() if message.event_date else None,
        "outcome": message.outcome,
        "body": message.body,
        "person": {
            "id_number": number,
            "name": data.get("name", ""),
            "sex": data.get("sex", ""),
            "birth_date": data.get("birth_date", ""),
            "hukou": data.get("hukou", ""),
            "residence": data.get("residence", ""),
        },
    }


def _person_data_received(person: dict[str, Any]) -> dict[str, Any]:
    number = str(person.get("id_number") or "")
    if number:
        try:
            number = idnumber.parse(number, check_region=False).number
        except idnumber.InvalidIdNumber:
            raise MessageRefused.of("bad_message", column="person", value="id_number") from None
    ids = registry_services.protected_id_fields(number)
    return {
        "name": str(person.get("name", ""))[:50],
        "sex": person.get("sex", "") if person.get("sex") in ("M", "F") else "",
        "birth_date": str(person.get("birth_date", ""))[:10],
        **ids,
        "hukou": str(person.get("hukou", ""))[:12],
        "residence": str(person.get("residence", ""))[:12],
    }


def message_parse(wire: Any) -> dict[str, Any]:
    """The fields of a message that came in, checked (``MessageRefused`` if malformed)."""
    try:
        message_id = uuid.UUID(str(wire["message_id"]))
        kind = MessageKind(wire["kind"])
        sender, receiver = str(wire["from"]), str(wire["to"])
        in_reply_to = uuid.UUID(str(wire["in_reply_to"])) if wire.get("in_reply_to") else None
        days = int(wire.get("deadline_days") or deadline_days(kind))
        event_date = (
            datetime.date.fromisoformat(wire["event_date"]) if wire.get("event_date") else None
        )
        body = dict(wire.get("body") or {})
        outcome = str(wire.get("outcome") or "")
        person = dict(wire.get("person") or {})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MessageRefused.of("bad_message", column="message", value=str(exc)[:80]) from None
    if kind == MessageKind.REPLY and in_reply_to is None:
        raise MessageRefused.of("bad_message", column="in_reply_to", value="in_reply_to")
    if outcome and outcome not in ReplyOutcome.values:
        raise MessageRefused.of("bad_message", column="outcome", value=outcome)
    return {
        "message_id": message_id,
        "kind": kind,
        "sender_area": sender[:12],
        "receiver_area": receiver[:12],
        "in_reply_to": in_reply_to,
        "person_data": _person_data_received(person),
        "body": body,
        "outcome": outcome if kind == MessageKind.REPLY else "",
        "event_date": event_date,
        "deadline_days": days,
    }


@transaction.atomic
def message_receive(
    *, wire: dict[str, Any], actor: Any, now: datetime.datetime | None = None
) -> tuple[Message, bool]:
    """Store a message that came from another server; (message, stored now). The same
    message id again is stored once (returned, False); a reply that comes before the request
    it answers is kept and matched when the request comes."""
    fields = message_parse(wire)
    message_id, kind = fields["message_id"], fields["kind"]
    sender, receiver = fields["sender_area"], fields["receiver_area"]
    days = fields["deadline_days"]
    existing = Message.objects.filter(message_id=message_id).first()
    if existing is not None:
        if (existing.kind, existing.sender_area, existing.receiver_area) != (
            kind,
            sender,
            receiver,
        ):
            raise MessageRefused.of("conflict", column="message_id", value=message_id)
        return existing, False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                **fields,
                state=MessageState.SENT,
                due_on=timezone.localtime(now).date() + datetime.timedelta(days=days),
                sent_at=now,
                received_at=now,
            )
    except IntegrityError:  # the same message racing in twice
        return Message.objects.get(message_id=message_id), False
    message_audit(message, "floating.receive", actor, None)
    waiting_replies_match(message)
    message_delivered(message, now)
    return message, True
