"""The outbox to peer servers: written with the sending, delivered in order per peer, tried
again after a pause doubled per failure, nothing lost while the peer is down; and the peers
themselves (tokens, areas, revoking).

The peer server here is a recording stand-in for the network (the other end, tested for
real in test_between_servers.py): it takes a batch, or fails as a peer that is down does.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.floating import peers, services
from renkou.floating.models import Message, OutboxItem, Peer
from renkou.floating.outbox import DeliveryFailed, backoff_seconds, outbox_deliver
from renkou.orgunits.models import OrgUnit
from renkou.registry import services as registry_services
from renkou.registry.models import Event
from renkou.registry.validation import EventRefused
from tests.builders import VILLAGE_A1, id_number

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


class PeerStandIn:
    """Answers batches as a peer's inbox does (every message stored), or fails while down."""

    def __init__(self) -> None:
        self.down = False
        self.refuse: set[str] = set()
        self.batches: list[list[str]] = []
        self.calls: list[tuple[str, str]] = []

    def __call__(self, url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((url, token))
        if self.down:
            raise DeliveryFailed("connection refused")
        ids = [m["message_id"] for m in body["messages"]]
        self.batches.append(ids)
        return {
            "results": [
                {"message_id": i, "status": "refused", "errors": [{"message": "bad"}]}
                if i in self.refuse
                else {"message_id": i, "status": "stored"}
                for i in ids
            ]
        }


class Clock:
    """A settable now()."""

    def __init__(self, at: datetime.datetime) -> None:
        self.at = at

    def __call__(self) -> datetime.datetime:
        return self.at


def arrive(seq: int, region: str = "110105") -> Event:
    """An applied arrival into A1 of a person registered in ``region``."""
    birth = datetime.date(1990, 1, 1) + datetime.timedelta(days=seq)
    event = registry_services.arrival_submit(
        id_number=id_number(birth.isoformat(), seq, region=region),
        name=f"王{seq}",
        sex="M" if seq % 2 else "F",
        birth_date=birth,
        hukou_region=region,
        hukou_type="urban",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=timezone.localdate() - datetime.timedelta(days=1),
        actor="test",
    )
    return registry_services.event_apply(event=event, actor="test")


def sent_notice(seq: int, region: str = "110105") -> Message:
    """The arrival notice of a new arrival, sent."""
    notice = Message.objects.get(arrival=arrive(seq, region), kind="notice")
    return services.message_send(message=notice, actor="test")


@pytest.fixture
def beijing(county: None) -> Peer:
    """A peer for 北京市朝阳区 and, wider, 北京市; its token to us kept."""
    peer, _token = peers.peer_create(
        name="朝阳区",
        base_url="http://127.0.0.1:8602/",
        areas=["110105"],
        their_token="rkp_abcd_theirs",
        actor="test",
    )
    return peer


def test_backoff_doubles_from_the_first_pause_up_to_the_cap() -> None:
    with override_settings(RENKOU_OUTBOX_RETRY_SECONDS=10, RENKOU_OUTBOX_RETRY_MAX_SECONDS=100):
        # 10, 20, 40, 80, then 160 capped to 100
        assert [backoff_seconds(n) for n in range(7)] == [0, 10, 20, 40, 80, 100, 100]
    # the defaults: 30 s, doubled, at most an hour (30 · 2⁷ = 3840 > 3600)
    assert [backoff_seconds(n) for n in (1, 2, 7, 8, 50)] == [30, 60, 1920, 3600, 3600]


def test_a_peer_is_registered_with_its_token_hashed_and_ours_encrypted(county: None) -> None:
    peer, token = peers.peer_create(
        name="朝阳区",
        base_url="https://b.example/",
        areas=["110105", "1101"],
        their_token="T-1",
        actor="test",
    )
    assert token.startswith(f"rkp_{peer.prefix}_") and len(token) > 40
    assert peer.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in peer.their_token_enc and crypto.decrypt(peer.their_token_enc) == "T-1"
    assert peer.base_url == "https://b.example" and peer.areas == ["110105", "1101"]
    assert peers.peer_for_token(token) == peer
    assert peers.peer_for_token(token[:-1] + "x") is None
    assert peers.peer_for_token("rk_" + token[4:]) is None
    audit = AuditLog.objects.get(action="floating.peer_create")
    assert token not in str(audit.after) and "T-1" not in str(audit.after)
    peers.peer_revoke(peer=peer, actor="test")
    assert peers.peer_for_token(token) is None
    assert AuditLog.objects.filter(action="floating.peer_revoke").count() == 1


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("330122", "our_area"),
        ("33", "our_area"),
        ("3301", "our_area"),
        ("1101x", "bad_area"),
        ("110105001", "bad_area"),
    ],
)
def test_a_peer_may_not_declare_our_areas_or_a_code_that_is_not_one(
    county: None, area: str, code: str
) -> None:
    with pytest.raises(EventRefused) as refused:
        peers.peer_create(
            name="x", base_url="http://x.example", areas=[area], their_token="", actor="test"
        )
    assert refused.value.problems[0].code == code
    assert not Peer.objects.exists()


def test_the_destination_is_the_longest_declared_prefix(county: None) -> None:
    wide, _ = peers.peer_create(
        name="北京市", base_url="http://a.example", areas=["11"], their_token="", actor="test"
    )
    narrow, _ = peers.peer_create(
        name="朝阳区", base_url="http://b.example", areas=["110105"], their_token="", actor="test"
    )
    assert peers.peer_for_area("110105") == narrow
    assert peers.peer_for_area("110101") == wide
    assert peers.peer_for_area("430521") is None
    peers.peer_revoke(peer=narrow, actor="test")
    assert peers.peer_for_area("110105") == wide


def test_sending_writes_the_outbox_item_in_the_same_transaction(beijing: Peer) -> None:
    notice = sent_notice(1)
    item = OutboxItem.objects.get(message=notice)
    assert (item.peer, item.state, item.area, item.attempts) == (beijing, "pending", "110105", 0)
    # a notice for 湖南 (no peer) waits as "no peer"
    other = sent_notice(3, region="430521")
    assert OutboxItem.objects.get(message=other).state == "no_peer"
    # sending again (the button pressed twice) writes no second item
    services.message_send(message=Message.objects.get(pk=notice.pk), actor="test")
    assert OutboxItem.objects.count() == 2


@override_settings(RENKOU_OUTBOX_RETRY_SECONDS=10, RENKOU_OUTBOX_RETRY_MAX_SECONDS=100)
def test_a_peer_down_gets_every_message_after_in_order(beijing: Peer) -> None:
    first, second, third = (sent_notice(n) for n in (1, 3, 5))
    peer, clock = PeerStandIn(), Clock(T0)
    peer.down = True
    done = outbox_deliver(peer=beijing, post=peer, now=clock)
    # failed once: the head waits 10 s; nothing delivered, all three kept
    assert done.delivered == 0 and done.retry_at == T0 + datetime.timedelta(seconds=10)
    head = OutboxItem.objects.get(message=first)
    assert (head.attempts, head.next_attempt_at, head.last_error) == (
        1,
        T0 + datetime.timedelta(seconds=10),
        "connection refused",
    )
    # 5 s later: not yet time, nothing is tried (the later ones wait behind the head)
    clock.at = T0 + datetime.timedelta(seconds=5)
    assert outbox_deliver(peer=beijing, post=peer, now=clock).retry_at == head.next_attempt_at
    assert len(peer.calls) == 1
    # at 10 s, down again: the second failure waits 20 s more, until 30 s
    clock.at = T0 + datetime.timedelta(seconds=10)
    done = outbox_deliver(peer=beijing, post=peer, now=clock)
    assert done.retry_at == T0 + datetime.timedelta(seconds=30)
    # a fourth message sent meanwhile goes after the three
    fourth = sent_notice(7)
    clock.at = T0 + datetime.timedelta(seconds=30)
    peer.down = False
    with override_settings(RENKOU_OUTBOX_BATCH=3):
        done = outbox_deliver(peer=beijing, post=peer, now=clock)
    assert done.delivered == 4 and done.retry_at is None
    ids = [str(m.message_id) for m in (first, second, third, fourth)]
    assert peer.batches == [ids[:3], ids[3:]]
    assert set(OutboxItem.objects.values_list("state", flat=True)) == {"delivered"}
    assert OutboxItem.objects.get(message=first).attempts == 3  # two failures and the success
    # the bearer token sent is the one the peer issued to us
    assert peer.calls[-1] == ("http://127.0.0.1:8602/api/floating/inbox/", "rkp_abcd_theirs")
    # nothing left: another run posts nothing
    assert outbox_deliver(peer=beijing, post=peer, now=clock).delivered == 0
    assert len(peer.batches) == 2


def test_a_message_the_peer_refuses_is_kept_refused_and_the_next_goes_on(beijing: Peer) -> None:
    first, second = sent_notice(1), sent_notice(3)
    peer = PeerStandIn()
    peer.refuse = {str(first.message_id)}
    done = outbox_deliver(peer=beijing, post=peer, now=Clock(T0))
    assert (done.delivered, done.refused) == (1, 1)
    refused = OutboxItem.objects.get(message=first)
    assert (refused.state, refused.last_error) == ("refused", "bad")
    assert OutboxItem.objects.get(message=second).state == "delivered"


def test_an_answer_that_lacks_a_message_is_tried_again(beijing: Peer) -> None:
    sent_notice(1)

    def forgetful(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"results": []}

    done = outbox_deliver(peer=beijing, post=forgetful, now=Clock(T0))
    assert done.delivered == 0 and done.retry_at == T0 + datetime.timedelta(seconds=30)
    assert OutboxItem.objects.get().state == "pending"


def test_an_answer_that_is_no_list_of_results_is_tried_again(beijing: Peer) -> None:
    sent_notice(1)
    for answer in ({}, {"results": [1]}, {"results": None}):
        OutboxItem.objects.update(next_attempt_at=None)
        done = outbox_deliver(peer=beijing, post=lambda u, t, b, a=answer: a, now=Clock(T0))
        assert done.delivered == 0 and done.retry_at is not None
    item = OutboxItem.objects.get()
    assert (item.state, item.attempts) == ("pending", 3)
    assert item.last_error == "the peer's answer is not a list of results"


def test_nothing_goes_to_a_revoked_peer_and_nothing_is_lost(beijing: Peer) -> None:
    sent_notice(1)
    peers.peer_revoke(peer=beijing, actor="test")
    peer = PeerStandIn()
    done = outbox_deliver(peer=beijing, post=peer, now=Clock(T0))
    assert done.delivered == 0 and not peer.calls
    assert OutboxItem.objects.get().state == "pending"


def test_one_worker_at_a_time_delivers_to_a_peer(beijing: Peer) -> None:
    sent_notice(1)
    Peer.objects.filter(pk=beijing.pk).update(delivering_until=T0 + datetime.timedelta(minutes=1))
    peer = PeerStandIn()
    done = outbox_deliver(peer=beijing, post=peer, now=Clock(T0))
    assert done.delivered == 0 and not peer.calls  # another holds it
    done = outbox_deliver(peer=beijing, post=peer, now=Clock(T0 + datetime.timedelta(minutes=2)))
    assert done.delivered == 1


def _wire(**changes: Any) -> dict[str, Any]:
    wire = {
        "message_id": str(uuid.uuid4()),
        "kind": "request",
        "from": "110105002",
        "to": VILLAGE_A1,
        "in_reply_to": None,
        "deadline_days": 15,
        "event_date": None,
        "outcome": "",
        "body": {"questions": ["registered"], "note": ""},
        "person": {
            "id_number": id_number("1970-05-05", 21, region="110105"),
            "name": "赵四",
            "sex": "M",
            "birth_date": "1970-05-05",
            "hukou": "110105002001",
            "residence": VILLAGE_A1,
        },
    }
    wire.update(changes)
    return wire


def _post(client: Any, token: str, wires: list[dict[str, Any]]) -> Any:
    return client.post(
        "/api/floating/inbox/",
        {"messages": wires},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_inbox_refuses_unknown_and_revoked_tokens_and_stores_nothing(
    client: Any, county: None
) -> None:
    peer, token = peers.peer_create(
        name="朝阳区",
        base_url="http://b.example",
        areas=["110105"],
        their_token="t",
        actor="test",
    )
    for bad in ("", "rkp_nothing_here", token + "x", "rk_" + token[4:]):
        answer = _post(client, bad, [_wire()])
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == "not_authenticated"
    peers.peer_revoke(peer=peer, actor="test")
    assert _post(client, token, [_wire()]).status_code == 401
    assert not Message.objects.exists()


def test_the_inbox_stores_each_message_once_and_answers_not_registered(
    client: Any, county: None
) -> None:
    _peer, token = peers.peer_create(
        name="朝阳区",
        base_url="http://b.example",
        areas=["110105"],
        their_token="t",
        actor="test",
    )
    wire = _wire()
    answer = _post(client, token, [wire, wire])
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == ["stored", "duplicate"]
    assert _post(client, token, [wire]).json()["results"][0]["status"] == "duplicate"
    request = Message.objects.get(message_id=wire["message_id"])
    # 赵四 is not ours: the server answers "not registered here", into the outbox for the peer
    reply = Message.objects.get(in_reply_to=request.message_id)
    assert reply.outcome == "not_registered" and reply.receiver_area == "110105002"
    assert OutboxItem.objects.get(message=reply).state == "pending"
    # a message from outside its declared areas, or to an area not ours, is refused
    wrong = [_wire(**{"from": "120101"}), _wire(to="440101")]
    results = _post(client, token, wrong).json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused"]
    assert [r["errors"][0]["code"] for r in results] == ["not_from_peer", "not_ours"]
    assert Message.objects.count() == 2  # the request and its reply


def test_a_new_peer_takes_the_messages_that_waited_without_one(county: None) -> None:
    first, second = sent_notice(1), sent_notice(3)
    exported = sent_notice(5)
    OutboxItem.objects.filter(message=exported).update(exported_at=T0)  # sent by other means
    other = sent_notice(7, region="430521")
    peer, _token = peers.peer_create(
        name="朝阳区", base_url="http://b.example", areas=["110105"], their_token="t", actor="x"
    )
    states = {i.message_id: (i.state, i.peer_id) for i in OutboxItem.objects.all()}
    assert states == {
        first.pk: ("pending", peer.pk),
        second.pk: ("pending", peer.pk),
        exported.pk: ("no_peer", None),
        other.pk: ("no_peer", None),
    }
