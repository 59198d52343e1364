"""The office of one renkou server in the between-servers test: ``renkou init`` of its data
directory, its county loaded, then the office's actions (register a peer, report an
arrival, send, answer, revoke) read as JSON lines from stdin, each answered by one JSON
line on stdout. It runs on the server's own database (``RENKOU_DATA_DIR``), through the
same services the pages call: what the pages do, without a browser.

Run: ``RENKOU_DATA_DIR=… python -m tests.floating.peer_driver COUNTY``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from renkou.core import crypto  # noqa: E402
from renkou.floating import peers, services  # noqa: E402
from renkou.floating.batch import messages_send  # noqa: E402
from renkou.floating.models import Message, MessageKind, OutboxItem, Peer  # noqa: E402
from renkou.floating.wire import message_wire  # noqa: E402
from renkou.orgunits.models import OrgUnit  # noqa: E402
from renkou.registry import services as registry_services  # noqa: E402
from renkou.registry.loading import registry_load  # noqa: E402
from renkou.registry.models import Person  # noqa: E402
from tests.builders import id_number, write_csv  # noqa: E402

# county code -> (province, prefecture, county names, township, village)
COUNTIES = {
    "330122": ("浙江省", "杭州市", "桐庐县", "城南街道", "迎春社区"),
    "110105": ("北京市", "市辖区", "朝阳区", "建外街道", "永安里社区"),
}


def village(county: str) -> str:
    """The one village of a county in this test."""
    return f"{county}001001"


def _load(county: str, persons: list[dict[str, str]]) -> None:
    resident = {
        "name": "陈一",
        "sex": "M",
        "birth_date": "1970-01-01",
        "id_number": id_number("1970-01-01", 901, region=county),
    }
    persons = [resident, *persons]
    province, prefecture, name, township, community = COUNTIES[county]
    directory = Path(tempfile.mkdtemp()) / "load"
    directory.mkdir()
    write_csv(
        directory / "orgunits.csv",
        [
            {"code": county[:2], "name": province, "parent_code": ""},
            {"code": county[:4], "name": prefecture, "parent_code": county[:2]},
            {"code": county, "name": name, "parent_code": county[:4]},
            {"code": f"{county}001", "name": township, "parent_code": county},
            {"code": village(county), "name": community, "parent_code": f"{county}001"},
        ],
    )
    write_csv(
        directory / "households.csv",
        [
            {
                "household_ref": "H1",
                "orgunit_code": village(county),
                "address": "1号",
                "hukou_type": "urban",
            }
        ],
    )
    rows = [
        {
            "person_ref": f"P{n}",
            "id_number": p["id_number"],
            "name": p["name"],
            "sex": p["sex"],
            "birth_date": p["birth_date"],
            "ethnicity": "01",
            "hukou_code": village(county),
            "hukou_type": "urban",
            "residence_code": village(county),
            "marital_status": "single",
            "status": "alive",
            "household_ref": "H1",
            "relation_to_head": "head" if n == 0 else "other",
        }
        for n, p in enumerate(persons)
    ]
    write_csv(directory / "persons.csv", rows)
    registry_load(path=directory, actor="test", today=timezone.localdate())


def _arrive(county: str, p: dict[str, str]) -> str:
    """An applied arrival into our village of a person registered elsewhere, its notice
    sent; the notice's message id."""
    birth = datetime.date.fromisoformat(p["birth_date"])
    event = registry_services.arrival_submit(
        id_number=p["id_number"],
        name=p["name"],
        sex=p["sex"],
        birth_date=birth,
        hukou_region=p["id_number"][:6],
        hukou_type="urban",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=village(county)),
        effective_date=timezone.localdate() - datetime.timedelta(days=1),
        actor="test",
    )
    event = registry_services.event_apply(event=event, actor="test")
    notice = Message.objects.get(arrival=event, kind="notice")
    services.message_send(message=notice, actor="test")
    return str(notice.message_id)


def _message(m: Message) -> dict[str, Any]:
    return {
        "message_id": str(m.message_id),
        "kind": m.kind,
        "state": m.state,
        "from": m.sender_area,
        "to": m.receiver_area,
        "in_reply_to": str(m.in_reply_to) if m.in_reply_to else None,
        "outcome": m.outcome,
        "body": m.body,
        "name": m.person_data.get("name"),
        "person": m.person_id,
        "received": m.received_at is not None,
    }


def act(county: str, command: dict[str, Any]) -> Any:
    """Do one of the office's actions; its result as JSON data."""
    what = command["do"]
    if what == "peer_add":
        _peer, token = peers.peer_create(
            name=command["name"],
            base_url=command["url"],
            areas=command["areas"],
            their_token=command.get("their_token", ""),
            actor="test",
        )
        return token
    if what == "peer_token":
        peer = Peer.objects.get(name=command["name"])
        return bool(peers.peer_token_set(peer=peer, their_token=command["token"], actor="test"))
    if what == "peer_revoke":
        return bool(peers.peer_revoke(peer=Peer.objects.get(name=command["name"]), actor="test"))
    if what == "arrive":
        return _arrive(county, command["person"])
    if what == "request":
        person = Person.objects.get(id_number_hash=crypto.blind_index(command["id_number"]))
        message = services.request_create(
            person=person,
            sender_area=village(county),
            questions=["registered", "family"],
            note=command.get("note", ""),
            actor="test",
        )
        return str(services.message_send(message=message, actor="test").message_id)
    if what == "reply":
        request = Message.objects.get(message_id=command["message_id"])
        reply = services.reply_create(
            request=request,
            outcome=command["outcome"],
            corrections=command.get("corrections") or {},
            note=command.get("note", ""),
            actor="test",
        )
        return str(reply.message_id)
    if what == "messages":
        return [_message(m) for m in Message.objects.order_by("pk")]
    if what == "outbox":
        return [
            {
                "message_id": str(i.message.message_id),
                "state": i.state,
                "attempts": i.attempts,
                "last_error": i.last_error,
            }
            for i in OutboxItem.objects.select_related("message").order_by("pk")
        ]
    if what == "wire":
        return message_wire(Message.objects.get(message_id=command["message_id"]))
    if what == "person":
        p = Person.objects.get(id_number_hash=crypto.blind_index(command["id_number"]))
        return {"name": p.name, "hukou": p.hukou_orgunit_id or p.hukou_region}
    if what == "notices_bulk":
        return _notices_bulk(county, int(command["n"]), command["region"], int(command["seed"]))
    if what == "send_all":
        return _send_all()
    if what == "count":
        rows = Message.objects.values_list("kind", "state").annotate(n=Count("pk"))
        return {f"{k}:{s}": n for k, s, n in rows}
    raise ValueError(f"unknown action {what}")


def _notices_bulk(county: str, n: int, region: str, seed: int) -> int:
    """``n`` arrival notices to send, of people registered in ``region`` living in our
    village (the benchmark's: written at once, as a register's year of arrivals would
    have written them one by one)."""
    today = timezone.localdate()
    rows = []
    for i in range(n):
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(seed * 7919 + i) % 15000)
        number = id_number(birth.isoformat(), 1 + i % 999, region=region)
        rows.append(
            Message(
                kind=MessageKind.NOTICE,
                sender_area=village(county),
                receiver_area=region,
                person_data={
                    "name": f"流动{i}",
                    "sex": "M" if i % 2 else "F",
                    "birth_date": birth.isoformat(),
                    **registry_services.protected_id_fields(number),
                    "hukou": region,
                    "residence": village(county),
                },
                body={"arrived_on": today.isoformat()},
                event_date=today,
                deadline_days=7,
                due_on=today + datetime.timedelta(days=7),
            )
        )
    Message.objects.bulk_create(rows, batch_size=1000)
    return n


def _send_all() -> int:
    """Send every message to send (the worklist's "to send", all at once: ``messages_send``),
    1,000 to a transaction."""
    ids = list(Message.objects.filter(state="to_send").order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        chunk = list(Message.objects.filter(pk__in=ids[start : start + 1000]))
        messages_send(messages=chunk, actor="office")
    return len(ids)


def main() -> None:
    """``init``, the county, then one answer line per command line until stdin closes."""
    county = sys.argv[1]
    persons = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    call_command("init", demo_persons=0, stdout=io.StringIO())
    if not OrgUnit.objects.exists():
        _load(county, persons)
    print(json.dumps({"ok": "ready"}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = {"ok": act(county, json.loads(line))}
        except Exception as exc:  # the test shows it
            answer = {"error": f"{exc!r}", "trace": traceback.format_exc()[-2000:]}
        print(json.dumps(answer, ensure_ascii=False, default=str), flush=True)


if __name__ == "__main__":
    main()
