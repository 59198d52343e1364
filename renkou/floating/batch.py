"""Many messages at once, as one does each: a peer's batch received (``messages_receive``)
and an office's messages sent (``messages_send``), with the same outcome, audit rows and
outbox items as ``wire.message_receive`` and ``services.message_send`` give one by one,
in a few queries per batch instead of some forty per message (a county's year of
arrivals crosses between servers in seconds, not minutes)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from renkou.core.audit import audit_records
from renkou.floating import services
from renkou.floating.models import (
    Message,
    MessageKind,
    MessageState,
    OutboxItem,
    OutboxState,
    ReplyOutcome,
)
from renkou.floating.outbox import delivery_queue_on_commit
from renkou.floating.peers import peer_for_area
from renkou.floating.services import SYSTEM, MessageRefused, _snapshot
from renkou.floating.wire import message_parse
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person


@dataclass
class Received:
    """What became of one message of a batch: stored now, a duplicate, or refused."""

    message_id: str
    status: str
    problems: list[Any] = field(default_factory=list)


class Ours:
    """Which area codes are our org units (asked once per code)."""

    def __init__(self) -> None:
        self.known: dict[str, bool] = {}

    def __call__(self, code: str) -> bool:
        if code not in self.known:
            self.known[code] = OrgUnit.objects.filter(code=code).exists()
        return self.known[code]


class _Audit:
    """Audit rows gathered per action, written together (in their order per action)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)

    def add(self, action: str, message: Message, before: dict[str, Any] | None) -> None:
        self.rows[action].append((message.pk, before, _snapshot(message)))

    def write(self, actor_of: dict[str, Any]) -> None:
        for action, rows in self.rows.items():
            audit_records(
                actor=actor_of.get(action, SYSTEM),
                action=action,
                object_type="floating_message",
                rows=rows,
            )


def _outbox(messages: Iterable[Message], ours: Ours) -> None:
    """Outbox items of sent messages for other servers; their deliveries queued on commit."""
    peers: dict[str, Any] = {}
    items = []
    for m in messages:
        if ours(m.receiver_area):
            continue
        if m.receiver_area not in peers:
            peers[m.receiver_area] = peer_for_area(m.receiver_area)
        peer = peers[m.receiver_area]
        state = OutboxState.PENDING if peer else OutboxState.NO_PEER
        items.append(OutboxItem(message=m, peer=peer, area=m.receiver_area, state=state))
    OutboxItem.objects.bulk_create(items, batch_size=1000)
    for peer_id in {i.peer_id for i in items if i.peer_id}:
        delivery_queue_on_commit(peer_id)


@transaction.atomic
def messages_send(
    *, messages: list[Message], actor: Any, now: datetime.datetime | None = None
) -> int:
    """Send messages written here, as ``message_send`` sends each; those for other servers
    together (one update, their outbox items, their audit rows). Returns how many."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    ours = Ours()
    pks = [m.pk for m in messages]
    rows = list(
        Message.objects.select_for_update()
        .filter(pk__in=pks, state=MessageState.TO_SEND)
        .order_by("pk")
    )
    alone = [m for m in rows if m.kind == MessageKind.REPLY or ours(m.receiver_area)]
    together = [m for m in rows if m not in alone]
    audit = _Audit()
    for m in together:
        before = _snapshot(m)
        m.state, m.sent_at = MessageState.SENT, now
        days = (
            m.deadline_days
            if m.kind != MessageKind.NOTICE
            else services.deadline_days(MessageKind.REQUEST)
        )
        m.due_on = today + datetime.timedelta(days=days)
        audit.add("floating.send", m, before)
    Message.objects.bulk_update(together, ["state", "sent_at", "due_on"], batch_size=1000)
    audit.write({"floating.send": actor})
    _outbox(together, ours)
    for m in alone:  # delivered here at once: one by one, as always
        services.message_send(message=m, actor=actor, now=now)
    return len(rows)


def messages_receive(
    *, wires: list[Any], actor: Any, now: datetime.datetime | None = None
) -> list[Received]:
    """Store a peer's messages in their order, as ``message_receive`` stores each: the same
    message id again is a duplicate; a reply is matched to what it answers; a notice or
    request for a person the receiving area does not have is answered "not registered
    here". All of a batch in one transaction (on a conflict, the batch goes one by one)."""
    try:
        with transaction.atomic():
            return _receive(wires, actor, now or timezone.now())
    except IntegrityError:  # another request stored one of them meanwhile
        from renkou.floating.wire import message_receive

        out = []
        for wire in wires:
            try:
                message, stored = message_receive(wire=wire, actor=actor, now=now)
                out.append(Received(str(message.message_id), "stored" if stored else "duplicate"))
            except MessageRefused as refused:
                out.append(Received(_id_of(wire), "refused", refused.problems))
        return out


def _id_of(wire: Any) -> str:
    return str(wire.get("message_id", "")) if isinstance(wire, dict) else ""


def _receive(wires: list[Any], actor: Any, now: datetime.datetime) -> list[Received]:
    out: list[Received] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for n, wire in enumerate(wires):
        try:
            parsed.append((n, message_parse(wire)))
            out.append(Received(str(parsed[-1][1]["message_id"]), "stored"))
        except MessageRefused as refused:
            out.append(Received(_id_of(wire), "refused", refused.problems))
    existing = {
        m.message_id: m
        for m in Message.objects.filter(message_id__in=[f["message_id"] for _n, f in parsed])
    }
    today = timezone.localtime(now).date()
    new: list[Message] = []
    for n, fields in parsed:
        same = existing.get(fields["message_id"])
        if same is not None:
            if (same.kind, same.sender_area, same.receiver_area) != (
                fields["kind"],
                fields["sender_area"],
                fields["receiver_area"],
            ):
                refused = MessageRefused.of("conflict", column="message_id", value=same.message_id)
                out[n] = Received(out[n].message_id, "refused", refused.problems)
            else:
                out[n] = Received(out[n].message_id, "duplicate")
            continue
        message = Message(
            **fields,
            state=MessageState.SENT,
            due_on=today + datetime.timedelta(days=fields["deadline_days"]),
            sent_at=now,
            received_at=now,
        )
        existing[message.message_id] = message  # the same id twice in the batch: once
        new.append(message)
    Message.objects.bulk_create(new, batch_size=1000)
    audit = _Audit()
    for m in new:
        audit.add("floating.receive", m, None)
    audit.write({"floating.receive": actor})
    # replies stored before the messages they answer (out of order) are matched now
    for reply in Message.objects.filter(
        in_reply_to__in=[m.message_id for m in new if m.kind != MessageKind.REPLY],
        answers__isnull=True,
    ):
        services._answer(reply)
    ours = Ours()
    _replies_answer([m for m in new if m.kind == MessageKind.REPLY], now)
    asking = [m for m in new if m.kind != MessageKind.REPLY and ours(m.receiver_area)]
    _not_here_answer(asking, ours, now)
    return out


def _replies_answer(replies: list[Message], now: datetime.datetime) -> None:
    """Each reply answers the notice or request it names, if that is here yet."""
    if not replies:
        return
    asked = {
        m.message_id: m
        for m in Message.objects.filter(message_id__in=[r.in_reply_to for r in replies])
    }
    audit = _Audit()
    matched, answered = [], []
    for reply in replies:
        request = asked.get(reply.in_reply_to)
        if request is None:
            continue  # it came first: matched when the request comes
        reply.answers, reply.person_id = request, reply.person_id or request.person_id
        matched.append(reply)
        if request.state in (MessageState.SENT, MessageState.TO_SEND):
            before = _snapshot(request)
            request.state = MessageState.ANSWERED
            request.answered_at = reply.received_at or reply.sent_at or now
            answered.append(request)
            audit.add("floating.answered", request, before)
    Message.objects.bulk_update(matched, ["answers", "person"], batch_size=1000)
    Message.objects.bulk_update(answered, ["state", "answered_at"], batch_size=1000)
    audit.write({})


def _persons_here(messages: list[Message]) -> dict[int, Person | None]:
    """The person each notice or request names among those of its receiving area (by the
    identity number's blind index, as ``services._person_here``), by message pk."""
    hashes = {m.person_data.get("id_number_hash") for m in messages} - {None, ""}
    by_hash: dict[str, list[Person]] = defaultdict(list)
    for p in Person.objects.filter(id_number_hash__in=hashes):
        by_hash[p.id_number_hash].append(p)
    out: dict[int, Person | None] = {}
    for m in messages:
        number = m.person_data.get("id_number_hash")
        if not number:
            out[m.pk] = services._person_here(m)
            continue
        here = [
            p
            for p in by_hash.get(number, [])[:5]
            if (p.hukou_orgunit_id or "").startswith(m.receiver_area)
            or (p.residence_orgunit_id or "").startswith(m.receiver_area)
        ]
        out[m.pk] = here[0] if len(here) == 1 else None
    return out


def _not_here_answer(asking: list[Message], ours: Ours, now: datetime.datetime) -> None:
    """A notice or request for a person we have is linked to them; one for a person we do
    not have is answered "not registered here", sent at once (as ``_reply_write`` does)."""
    if not asking:
        return
    found = _persons_here(asking)
    linked = []
    for m in asking:
        if found[m.pk] is not None and m.person_id is None:
            m.person = found[m.pk]
            linked.append(m)
    Message.objects.bulk_update(linked, ["person"], batch_size=1000)
    strangers = [m for m in asking if found[m.pk] is None]
    if not strangers:
        return
    days = services.deadline_days(MessageKind.REPLY)
    today = timezone.localtime(now).date()
    replies = [
        Message(
            kind=MessageKind.REPLY,
            sender_area=m.receiver_area,
            receiver_area=m.sender_area,
            in_reply_to=m.message_id,
            answers=m,
            person=m.person if ours(m.sender_area) else None,
            person_data=m.person_data,
            body={"corrections": {}, "note": ""},
            outcome=ReplyOutcome.NOT_REGISTERED,
            deadline_days=days,
        )
        for m in strangers
    ]
    Message.objects.bulk_create(replies, batch_size=1000)
    audit = _Audit()
    for reply in replies:
        audit.add("floating.reply_create", reply, None)
    for reply in replies:
        before = _snapshot(reply)
        reply.state, reply.sent_at = MessageState.SENT, now
        reply.due_on = today + datetime.timedelta(days=days)
        if ours(reply.receiver_area):
            reply.received_at = now
        audit.add("floating.send", reply, before)
    Message.objects.bulk_update(
        replies, ["state", "sent_at", "due_on", "received_at"], batch_size=1000
    )
    for m in strangers:
        before = _snapshot(m)
        m.state, m.answered_at = MessageState.ANSWERED, now
        audit.add("floating.answered", m, before)
    Message.objects.bulk_update(strangers, ["state", "answered_at"], batch_size=1000)
    audit.write({})
    _outbox(replies, ours)
