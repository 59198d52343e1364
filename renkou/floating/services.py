"""Writes of the floating-population messages: each in one transaction, each audited.

A message between two areas of this server is delivered when it is sent; a message for an
area elsewhere is written to the outbox in the same transaction, and the worker delivers it
to the peer server of that area (``floating.outbox``) in the form ``floating.wire`` gives.
Nothing here writes the register: a reply's corrections are applied by the receiving
office's review, through the registry's own services.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.core.problems import Problem
from renkou.floating.models import (
    Message,
    MessageKind,
    MessageState,
    ReplyOutcome,
    ReviewDecision,
)
from renkou.orgunits.models import Level, OrgUnit
from renkou.registry import services as registry_services
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused

SYSTEM = "system"  # the actor of what the server does by itself (a "not registered" reply)
# What a request may ask (协查内容).
QUESTIONS = ("registered", "family", "record")
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_state": (
        "该信息当前状态为{value}，不能进行此操作",
        "the message is {value}: this cannot be done now",
    ),
    "bad_field": ("不能更正的字段 {value}", "field {value} cannot be corrected"),
    "required": ("{field_zh}必填", "{field_en} is required"),
    "no_person": (
        "本辖区没有此人员，不能给出更正",
        "this person is not registered here: no corrections can be given",
    ),
    "conflict": (
        "信息编号 {value} 已收到，内容不同",
        "message {value} was received before with other content",
    ),
    "bad_message": ("信息格式错误：{value}", "the message is malformed: {value}"),
    "same_area": (
        "发送方和接收方是同一地区",
        "the sender and the receiver are the same area",
    ),
    "bad_area": (
        "辖区代码 {value} 不是省、市或县的区划代码",
        "area {value} is not the region code of a province, prefecture or county",
    ),
    "our_area": (
        "辖区代码 {value} 与本服务器的辖区重叠",
        "area {value} overlaps this server's own areas",
    ),
    "bad_url": ("地址 {value} 不是 http(s) 网址", "address {value} is not an http(s) URL"),
    "peer_exists": ("已有名为 {value} 的对端服务器", "there is a peer server named {value}"),
    "not_from_peer": (
        "发送地区 {value} 不在对端服务器声明的辖区内",
        "the sending area {value} is not among the peer server's declared areas",
    ),
    "not_ours": (
        "接收地区 {value} 不在本服务器",
        "the receiving area {value} is not on this server",
    ),
    "no_place": (
        "此人员的户籍地和现居住地都在本辖区内，无需协查",
        "this person is registered and lives in our area: there is no one to ask",
    ),
}


class MessageRefused(EventRefused):
    """A message cannot be written or changed; ``problems`` say why (zh and en)."""

    @classmethod
    def of(cls, code: str, *, column: str = "", value: object = "", **params: str) -> Any:
        """Refusal for one reason of the floating catalogue."""
        zh, en = MESSAGES[code]
        text = "" if value is None else str(value)
        return cls(
            [
                Problem(
                    file="",
                    row=0,
                    column=column,
                    value=text,
                    code=code,
                    message_zh=zh.format(value=text, **params),
                    message_en=en.format(value=text, **params),
                )
            ]
        )


def deadline_days(kind: str) -> int:
    """Days allowed for a message's step (configuration): a notice to be sent after the
    arrival, a request to be answered, a reply to be reviewed."""
    return {
        MessageKind.NOTICE: settings.RENKOU_FLOATING_NOTICE_DAYS,
        MessageKind.REQUEST: settings.RENKOU_FLOATING_REPLY_DAYS,
        MessageKind.REPLY: settings.RENKOU_FLOATING_REVIEW_DAYS,
    }[MessageKind(kind)]


def is_ours(area: str) -> bool:
    """Whether an area code names one of this server's org units."""
    return OrgUnit.objects.filter(code=area).exists()


def _place(orgunit_id: str | None, region: str) -> str:
    return orgunit_id or region or ""


def person_data_of(person: Person) -> dict[str, Any]:
    """All a message carries about its person: who they are and the two places."""
    return {
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "id_number_hash": person.id_number_hash,
        "id_number_enc": person.id_number_enc,
        "id_number_masked": person.id_number_masked,
        "hukou": _place(person.hukou_orgunit_id, person.hukou_region),
        "residence": _place(person.residence_orgunit_id, person.residence_region),
    }


def _snapshot(message: Message) -> dict[str, Any]:
    return {
        "message_id": str(message.message_id),
        "kind": message.kind,
        "state": message.state,
        "from": message.sender_area,
        "to": message.receiver_area,
        "in_reply_to": str(message.in_reply_to) if message.in_reply_to else None,
        "person": message.person_id,
        "outcome": message.outcome,
        "due_on": message.due_on,
    }


def message_audit(message: Message, action: str, actor: Any, before: dict[str, Any] | None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="floating_message",
        object_id=message.pk,
        before=before,
        after=_snapshot(message),
    )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def notice_create(*, arrival: Event, actor: Any) -> Message | None:
    """The arrival notice (流入通报) of an applied arrival from outside: from the village the
    person arrived in to their registered place; one per arrival (None if the person is
    registered in that village)."""
    existing = Message.objects.filter(arrival=arrival, kind=MessageKind.NOTICE).first()
    if existing is not None:
        return existing
    person = Person.objects.get(pk=arrival.person_id)
    hukou = _place(person.hukou_orgunit_id, person.hukou_region)
    if not hukou or hukou.startswith(arrival.orgunit_id):
        return None
    days = deadline_days(MessageKind.NOTICE)
    message = Message.objects.create(
        kind=MessageKind.NOTICE,
        sender_area=arrival.orgunit_id,
        receiver_area=hukou,
        person=person,
        arrival=arrival,
        person_data=person_data_of(person),
        body={"arrived_on": arrival.effective_date.isoformat()},
        event_date=arrival.effective_date,
        deadline_days=days,
        due_on=arrival.effective_date + datetime.timedelta(days=days),
        created_by=_user(actor),
    )
    message_audit(message, "floating.notice_create", actor, None)
    return message


@transaction.atomic
def request_create(
    *,
    person: Person,
    sender_area: str,
    questions: list[str],
    note: str,
    actor: Any,
    token: str = "",
) -> Message:
    """A verification request (协查请求) about ``person`` from ``sender_area`` (one of ours)
    to the other end of the person's floating: their registered place if they live in the
    sender's area, else the place they live in. Written as "to send"; ``token`` (a form's)
    makes sending the form twice harmless."""
    if token:
        ref = uuid.uuid5(uuid.NAMESPACE_URL, f"renkou:request:{token}")
        existing = Message.objects.filter(message_id=ref).first()
        if existing is not None:
            return existing
    asked = [q for q in questions if q in QUESTIONS]
    if not asked:
        raise MessageRefused.of(
            "required", column="questions", field_zh="协查内容", field_en="what is asked"
        )
    hukou = _place(person.hukou_orgunit_id, person.hukou_region)
    residence = _place(person.residence_orgunit_id, person.residence_region)
    if residence.startswith(sender_area) and not hukou.startswith(sender_area):
        receiver = hukou
    elif hukou.startswith(sender_area) and not residence.startswith(sender_area):
        receiver = residence
    else:
        raise MessageRefused.of("no_place", column="person")
    days = deadline_days(MessageKind.REQUEST)
    message = Message.objects.create(
        message_id=uuid.uuid5(uuid.NAMESPACE_URL, f"renkou:request:{token}")
        if token
        else uuid.uuid4(),
        kind=MessageKind.REQUEST,
        sender_area=sender_area,
        receiver_area=receiver,
        person=person,
        person_data=person_data_of(person),
        body={"questions": asked, "note": note.strip()[:500]},
        deadline_days=days,
        created_by=_user(actor),
    )
    waiting_replies_match(message)
    message_audit(message, "floating.request_create", actor, None)
    return message


def _person_here(message: Message) -> Person | None:
    """The person a notice or request names, among those registered or living in its
    receiving area (by the identity number's blind index; else name, sex and birth date,
    when exactly one person has them)."""
    data = message.person_data
    area = message.receiver_area
    candidates = Person.objects.filter(
        **({"id_number_hash": data["id_number_hash"]} if data.get("id_number_hash") else {})
    )
    if not data.get("id_number_hash"):
        candidates = candidates.filter(
            name=data.get("name", ""), sex=data.get("sex", ""), birth_date=data.get("birth_date")
        )
    here = [
        p
        for p in candidates[:5]
        if (p.hukou_orgunit_id or "").startswith(area)
        or (p.residence_orgunit_id or "").startswith(area)
    ]
    return here[0] if len(here) == 1 else None


@transaction.atomic
def message_send(*, message: Message, actor: Any, now: datetime.datetime | None = None) -> Message:
    """Send a message written here: its deadline starts (a request is to be answered, a reply
    reviewed, within their days). A message for one of our areas is delivered at once; a
    notice or request naming a person that area does not have is answered "not registered
    here" by the server itself. ``now``: when it is sent (default: now)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.state != MessageState.TO_SEND:
        if message.state == MessageState.SENT and message.sent_at is not None:
            return message  # sent already (the button pressed twice)
        raise MessageRefused.of("bad_state", column="state", value=message.get_state_display())
    before = _snapshot(message)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    message.state = MessageState.SENT
    message.sent_at = now
    if message.kind != MessageKind.NOTICE:
        message.due_on = today + datetime.timedelta(days=message.deadline_days)
    else:
        # sent: the place of registration is asked to answer it like a request
        message.due_on = today + datetime.timedelta(days=deadline_days(MessageKind.REQUEST))
    if is_ours(message.receiver_area):
        message.received_at = now
    message.save()
    message_audit(message, "floating.send", actor, before)
    if message.received_at is None:
        from renkou.floating.outbox import outbox_write

        outbox_write(message)  # for another server: delivered by the worker
    if message.kind == MessageKind.REPLY:
        _answer(message)  # answered when the reply is sent, wherever it is delivered
    elif message.received_at is not None:
        message_delivered(message, now)
    return message


def message_delivered(message: Message, now: datetime.datetime) -> None:
    """What arriving at its receiver does to a message: a reply answers its request; a
    notice or request for a person not here gets the "not registered here" reply."""
    if message.kind == MessageKind.REPLY:
        _answer(message)
        return
    if not is_ours(message.receiver_area):
        return
    person = _person_here(message)
    if person is None:
        _reply_write(
            request=message,
            outcome=ReplyOutcome.NOT_REGISTERED,
            corrections={},
            note="",
            actor=SYSTEM,
            now=now,
        )
    elif message.person_id is None:
        message.person = person
        message.save(update_fields=["person"])


def _answer(reply: Message) -> None:
    """Match a reply to the notice or request it answers, if that is here yet."""
    request = Message.objects.filter(message_id=reply.in_reply_to).first()
    if request is None:
        return  # it arrived first: matched when the request comes (_match_waiting_replies)
    if reply.answers_id != request.pk:
        reply.answers = request
        reply.person = reply.person or request.person
        reply.save(update_fields=["answers", "person"])
    if request.state in (MessageState.SENT, MessageState.TO_SEND):
        before = _snapshot(request)
        request.state = MessageState.ANSWERED
        request.answered_at = reply.received_at or reply.sent_at or timezone.now()
        request.save(update_fields=["state", "answered_at"])
        message_audit(request, "floating.answered", SYSTEM, before)


def waiting_replies_match(message: Message) -> None:
    """Replies stored before the message they answer are matched to it now."""
    for reply in Message.objects.filter(in_reply_to=message.message_id, answers__isnull=True):
        _answer(reply)


def _clean_corrections(corrections: dict[str, str]) -> dict[str, str]:
    out = {}
    for field, value in corrections.items():
        if field not in registry_services.CORRECTION_FIELDS:
            raise MessageRefused.of("bad_field", column="corrections", value=field)
        text = (value or "").strip()
        if text:
            out[field] = text[:50]
    return out


def _reply_write(
    *,
    request: Message,
    outcome: str,
    corrections: dict[str, str],
    note: str,
    actor: Any,
    now: datetime.datetime | None = None,
) -> Message:
    days = deadline_days(MessageKind.REPLY)
    reply = Message.objects.create(
        kind=MessageKind.REPLY,
        sender_area=request.receiver_area,
        receiver_area=request.sender_area,
        in_reply_to=request.message_id,
        answers=request,
        person=request.person if is_ours(request.sender_area) else None,
        person_data=request.person_data,
        body={"corrections": corrections, "note": note.strip()[:500]},
        outcome=outcome,
        deadline_days=days,
        created_by=_user(actor),
    )
    message_audit(reply, "floating.reply_create", actor, None)
    return message_send(message=reply, actor=actor, now=now)


@transaction.atomic
def reply_create(
    *,
    request: Message,
    outcome: str,
    corrections: dict[str, str] | None,
    note: str,
    actor: Any,
    now: datetime.datetime | None = None,
) -> Message:
    """Answer a notice or request received here (反馈): registered here and right, here with
    corrections (field → right value, as a correction of the register names them), or not
    registered here. Sent at once; answering again returns the first reply."""
    request = Message.objects.select_for_update().get(pk=request.pk)
    earlier = request.replies.order_by("pk").first()
    if earlier is not None:
        return earlier
    if request.kind == MessageKind.REPLY or request.state != MessageState.SENT:
        raise MessageRefused.of("bad_state", column="state", value=request.get_state_display())
    if outcome not in ReplyOutcome.values:
        raise MessageRefused.of(
            "required", column="outcome", field_zh="结论", field_en="the outcome"
        )
    cleaned = _clean_corrections(corrections or {})
    if outcome == ReplyOutcome.CORRECTED and not cleaned:
        raise MessageRefused.of(
            "required", column="corrections", field_zh="更正内容", field_en="a correction"
        )
    if outcome != ReplyOutcome.CORRECTED:
        cleaned = {}
    if outcome != ReplyOutcome.NOT_REGISTERED and _person_here(request) is None:
        raise MessageRefused.of("no_person", column="outcome")
    return _reply_write(
        request=request, outcome=outcome, corrections=cleaned, note=note, actor=actor, now=now
    )


@transaction.atomic
def reply_review(*, reply: Message, decision: str, note: str, actor: Any) -> Message:
    """The receiving office's review of a reply: apply its corrections (each through the
    register's correction service, applied at once by the reviewer), note it, or decline the
    corrections with a reason. Refused whole if one correction is."""
    reply = Message.objects.select_for_update().get(pk=reply.pk)
    if reply.kind != MessageKind.REPLY or reply.state != MessageState.SENT:
        if reply.state == MessageState.REVIEWED and reply.decision == decision:
            return reply  # the same review sent twice
        raise MessageRefused.of("bad_state", column="state", value=reply.get_state_display())
    if decision not in ReviewDecision.values:
        raise MessageRefused.of(
            "required", column="decision", field_zh="审核结论", field_en="the decision"
        )
    corrections = (reply.body or {}).get("corrections") or {}
    if decision == ReviewDecision.DECLINED and not note.strip():
        raise MessageRefused.of("required", column="note", field_zh="理由", field_en="the reason")
    if decision == ReviewDecision.APPLIED:
        if not corrections:
            decision = ReviewDecision.NOTED
        else:
            _apply_corrections(reply, corrections, actor)
    before = _snapshot(reply)
    reply.state = MessageState.REVIEWED
    reply.decision = decision
    reply.decision_note = note.strip()[:500]
    reply.reviewed_at = timezone.now()
    reply.reviewed_by = _user(actor)
    reply.save()
    message_audit(reply, "floating.review", actor, before)
    return reply


def _apply_corrections(reply: Message, corrections: dict[str, str], actor: Any) -> None:
    person = reply.person
    if person is None:
        raise MessageRefused.of("no_person", column="person")
    unit = person.residence_orgunit or person.hukou_orgunit
    if unit is None or unit.level != Level.VILLAGE:
        raise MessageRefused.of("no_person", column="person")
    order = list(registry_services.CORRECTION_FIELDS)  # the identity number first
    for field, value in sorted(corrections.items(), key=lambda kv: order.index(kv[0])):
        person.refresh_from_db()
        event = registry_services.correction_submit(
            person=person,
            field=field,
            value=value,
            reason=f"协查反馈 / reply {reply.message_id}",
            orgunit=unit,
            effective_date=timezone.localdate(),
            actor=actor,
            with_id_facts=field == "id_number",
            external_ref=f"floating:{reply.message_id}:{field}",
        )
        if event.status != "applied":
            registry_services.event_apply(event=event, actor=actor)
