"""Two real renkou servers on loopback exchange floating-population messages through their
workers: 桐庐县 (330122, port 8601) and 朝阳区 (110105, port 8602), each ``renkou init``-ed
in a data directory of its own, each registering the other as its peer with the tokens
each issued, each running ``renkou serve`` (gunicorn and the task worker).

An arrival notice, a verification request and the replies cross between them; the
receiving server is stopped mid-way and started again (nothing lost, delivered in order);
a delivery is posted twice (stored once); a revoked peer's token is answered 401 and its
message waits in the sender's outbox. The servers start once for the module; the offices'
actions go through each server's own services (``peer_driver``), the deliveries only
through HTTP between the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.builders import id_number
from tests.conftest import need
from tests.floating.servers import (
    START_SECONDS,
    Server,
    port_free,
    post_inbox,
    wait_for,
    wait_quiet,
)

# The servers keep their own SQLite databases, whichever leg runs the module: once, in the
# PostgreSQL leg when there is one (the SQLite leg carries the browsers).
pytestmark = pytest.mark.once_leg

A_PORT, B_PORT = 8601, 8602
A_COUNTY, B_COUNTY = "330122", "110105"
A_VILLAGE, B_VILLAGE = f"{A_COUNTY}001001", f"{B_COUNTY}001001"


def person(name: str, seq: int, sex: str = "M") -> dict[str, str]:
    """A person registered in 朝阳区 (by the identity number's region)."""
    birth = f"1980-01-{seq:02d}"
    return {
        "name": name,
        "sex": sex,
        "birth_date": birth,
        "id_number": id_number(birth, seq * 2 + (1 if sex == "M" else 0), region=B_COUNTY),
    }


ZHAO = person("赵四", 1)  # registered in 朝阳区's register
QIAN = person("钱五", 2)  # of 朝阳区 by the number, not in its register
LATER = [person(f"孙{n}", 10 + n) for n in range(3)]
ZHOU = person("周七", 20)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both servers, initialised, peered and serving; stopped after the module."""
    need(
        port_free(A_PORT) and port_free(B_PORT),
        f"needs the loopback ports {A_PORT} and {B_PORT} free",
    )
    root = tmp_path_factory.mktemp("between-servers")
    a = Server("tonglu", A_COUNTY, A_PORT, root, [])
    b = Server("chaoyang", B_COUNTY, B_PORT, root, [ZHAO])
    try:
        for s in (a, b):
            s.answer(START_SECONDS)  # initialised, county loaded
            s.start()  # peers are rows of its database: registered while it starts
        to_b = a.do("peer_add", name="朝阳区", url=b.url, areas=[B_COUNTY])
        to_a = b.do("peer_add", name="桐庐县", url=a.url, areas=[A_COUNTY], their_token=to_b)
        a.do("peer_token", name="朝阳区", token=to_a)
        for s in (a, b):
            need(
                wait_quiet(s.answers, START_SECONDS),
                f"could not start renkou serve on port {s.port}:\n{s.logs()}",
            )
        yield {"a": a, "b": b, "a_to_b": to_a, "b_to_a": to_b}
    finally:
        for s in (a, b):
            s.close()


def test_a_notice_and_a_request_cross_and_their_replies_come_back(servers: dict[str, Any]) -> None:
    a, b = servers["a"], servers["b"]
    notice = a.do("arrive", person=ZHAO)
    request = a.do("request", id_number=ZHAO["id_number"], note="请核实家庭成员")
    stranger = a.do("arrive", person=QIAN)
    # 朝阳区 has them: the notice and the request of its 赵四 wait for its answer
    got = wait_for(
        lambda: (m := b.messages()) and {notice, request, stranger} <= set(m) and m,
        "朝阳区 to receive the notice and the request",
        a,
        b,
    )
    assert got[notice]["kind"] == "notice" and got[notice]["person"] is not None
    assert got[request]["body"]["questions"] == ["registered", "family"]
    assert got[request]["body"]["note"] == "请核实家庭成员"
    assert (got[notice]["from"], got[notice]["to"]) == (A_VILLAGE, B_COUNTY)
    # 钱五 is not in its register: answered "not registered here" by the server itself
    assert got[stranger]["state"] == "answered"
    b.do("reply", message_id=notice, outcome="confirmed")
    b.do("reply", message_id=request, outcome="corrected", corrections={"name": "赵思"})

    def answered() -> dict[str, Any] | None:
        m = a.messages()
        done = all(m.get(i, {}).get("state") == "answered" for i in (notice, request, stranger))
        return m if done else None

    mine = wait_for(answered, "桐庐县 to get the three replies", a, b)
    replies = {r["in_reply_to"]: r for r in mine.values() if r["kind"] == "reply"}
    assert replies[notice]["outcome"] == "confirmed"
    assert replies[stranger]["outcome"] == "not_registered"
    corrected = replies[request]
    assert corrected["outcome"] == "corrected"
    assert corrected["body"]["corrections"] == {"name": "赵思"}
    assert corrected["state"] == "sent" and corrected["person"] is not None  # to review
    # the reply never writes the register: 赵四 stays 赵四 until the office applies it
    assert a.do("person", id_number=ZHAO["id_number"])["name"] == "赵四"
    assert {i["state"] for i in a.do("outbox")} == {"delivered"}


def test_the_receiver_stopped_midway_gets_every_message_after_in_order(
    servers: dict[str, Any],
) -> None:
    a, b = servers["a"], servers["b"]
    b.stop()
    sent = [a.do("arrive", person=p) for p in LATER]

    def failed_once() -> bool:
        items = {i["message_id"]: i for i in a.do("outbox")}
        head = items[sent[0]]
        return head["attempts"] >= 1 and all(items[i]["state"] == "pending" for i in sent)

    wait_for(failed_once, "桐庐县's worker to fail against the stopped server", a, b)
    b.start()
    wait_for(b.answers, "朝阳区 to start again", a, b, seconds=START_SECONDS)
    got = wait_for(
        lambda: (m := b.messages()) and set(sent) <= set(m) and m,
        "朝阳区 to get the messages sent while it was stopped",
        a,
        b,
    )
    # in their order: 朝阳区 stored them one after another as they were sent
    assert [i for i in got if i in sent] == sent
    wait_for(
        lambda: all(a.messages()[i]["state"] == "answered" for i in sent),
        "the replies of 朝阳区 to reach 桐庐县",
        a,
        b,
    )
    assert {i["state"] for i in a.do("outbox")} == {"delivered"}


def test_a_delivery_posted_twice_is_stored_once(servers: dict[str, Any]) -> None:
    a, b = servers["a"], servers["b"]
    first = next(i for i, m in a.messages().items() if m["kind"] == "notice")
    wire = a.do("wire", message_id=first)
    before = len(b.messages())
    status, answer = post_inbox(b, servers["a_to_b"], [wire, wire])
    assert status == 200
    assert [r["status"] for r in answer["results"]] == ["duplicate", "duplicate"]
    assert len(b.messages()) == before


def test_a_revoked_token_is_refused_and_the_message_waits(servers: dict[str, Any]) -> None:
    a, b = servers["a"], servers["b"]
    b.do("peer_revoke", name="桐庐县")
    before = len(b.messages())
    wire = a.do("wire", message_id=next(iter(a.messages())))
    wire["message_id"] = "5b0e8a84-3c52-4b1a-9a55-000000000001"
    status, answer = post_inbox(b, servers["a_to_b"], [wire])
    assert status == 401 and answer["errors"][0]["code"] == "not_authenticated"
    late = a.do("arrive", person=ZHOU)

    def refused() -> dict[str, Any] | None:
        item = next(i for i in a.do("outbox") if i["message_id"] == late)
        return item if item["attempts"] >= 1 else None

    item = wait_for(refused, "桐庐县's delivery to be refused", a, b)
    assert item["state"] == "pending" and item["last_error"] == "HTTP 401"
    assert len(b.messages()) == before  # nothing stored
    assert late not in b.messages()
