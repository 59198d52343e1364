"""Many messages at once (a peer's batch received, an office's messages sent) end as each
alone ends: stored once, matched, answered "not registered here", audited, in the outbox."""

from __future__ import annotations

import uuid

import pytest

from renkou.core.models import AuditLog
from renkou.floating import peers
from renkou.floating.batch import messages_receive, messages_send
from renkou.floating.models import Message, OutboxItem
from tests.builders import VILLAGE_A1, id_number
from tests.floating.test_outbox import arrive

pytestmark = pytest.mark.django_db


def wire(kind: str = "request", *, number: str = "", **changes: object) -> dict[str, object]:
    out: dict[str, object] = {
        "message_id": str(uuid.uuid4()),
        "kind": kind,
        "from": "110105001001",
        "to": VILLAGE_A1,
        "in_reply_to": None,
        "deadline_days": 15,
        "event_date": None,
        "outcome": "",
        "body": {"questions": ["registered"], "note": ""},
        "person": {
            "id_number": number or id_number("1970-05-05", 21, region="110105"),
            "name": "赵四",
            "sex": "M",
            "birth_date": "1970-05-05",
            "hukou": "110105001001",
            "residence": VILLAGE_A1,
        },
    }
    out.update(changes)
    return out


def test_a_batch_ends_as_its_messages_one_by_one(county: None) -> None:
    peers.peer_create(
        name="朝阳区", base_url="http://b.example", areas=["110105"], their_token="t", actor="x"
    )
    stranger = wire()
    # 王1 lives in A1 (an arrival here) and is asked about by 朝阳区: linked, not answered
    known = arrive(1, region="110105")
    ours = wire(number=id_number("1990-01-02", 1, region="110105"))
    early = wire("reply", in_reply_to=str(uuid.uuid4()), outcome="confirmed", body={})
    conflict_id = str(uuid.uuid4())
    results = messages_receive(
        wires=[stranger, ours, stranger, early, {"kind": "x"}], actor="peer:朝阳区"
    )
    assert [r.status for r in results] == ["stored", "stored", "duplicate", "stored", "refused"]
    assert results[4].problems[0].code == "bad_message"
    asked = Message.objects.get(message_id=stranger["message_id"])
    reply = Message.objects.get(in_reply_to=asked.message_id)
    assert asked.state == "answered" and reply.outcome == "not_registered"
    assert (reply.sender_area, reply.receiver_area, reply.state) == (
        VILLAGE_A1,
        "110105001001",
        "sent",
    )
    assert OutboxItem.objects.get(message=reply).state == "pending"
    linked = Message.objects.get(message_id=ours["message_id"])
    assert linked.person_id == known.person_id and linked.state == "sent"
    # the same audit rows as one by one: received ×3, the reply written and sent, answered
    actions = list(
        AuditLog.objects.filter(object_type="floating_message").values_list("action", flat=True)
    )
    assert actions.count("floating.receive") == 3
    assert actions.count("floating.reply_create") == actions.count("floating.send") == 1
    assert actions.count("floating.answered") == 1
    # the same id with other areas is refused; a reply that came first is matched now
    again = messages_receive(
        wires=[wire(message_id=conflict_id), wire(message_id=conflict_id, to="330122100202")],
        actor="peer",
    )
    assert [r.status for r in again] == ["stored", "refused"]
    assert again[1].problems[0].code == "conflict"
    request = wire(message_id=early["in_reply_to"])
    messages_receive(wires=[request], actor="peer")
    matched = Message.objects.get(message_id=early["message_id"])
    assert matched.answers.message_id == uuid.UUID(early["in_reply_to"])
    assert matched.answers.state == "answered"


def test_sending_many_writes_each_outbox_item_and_audit_row(county: None) -> None:
    peer, _ = peers.peer_create(
        name="朝阳区", base_url="http://b.example", areas=["110105"], their_token="t", actor="x"
    )
    notices = [
        Message.objects.get(arrival=arrive(n, region="110105"), kind="notice") for n in (1, 3)
    ]
    hunan = Message.objects.get(arrival=arrive(5, region="430521"), kind="notice")
    assert messages_send(messages=[*notices, hunan], actor="test") == 3
    assert messages_send(messages=[*notices, hunan], actor="test") == 0  # sent already
    states = {i.message_id: (i.state, i.peer_id) for i in OutboxItem.objects.all()}
    assert states == {
        notices[0].pk: ("pending", peer.pk),
        notices[1].pk: ("pending", peer.pk),
        hunan.pk: ("no_peer", None),
    }
    sent = Message.objects.get(pk=notices[0].pk)
    assert sent.state == "sent" and sent.sent_at is not None and sent.due_on is not None
    assert AuditLog.objects.filter(action="floating.send").count() == 3
    from renkou.core.audit import audit_verify

    assert list(audit_verify()) == []  # the rows written together keep the chain
