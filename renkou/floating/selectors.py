"""Reads of the floating-population pages, scoped to the user's area (core.scoping)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.analytics.periods import Period
from renkou.core.scoping import restrict, user_prefixes
from renkou.floating import rates
from renkou.floating.models import Message, MessageKind, MessageState
from renkou.orgunits.scoping import codes_prefix_q
from renkou.registry import services as registry_services
from renkou.registry.folding import creates_person
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused

TABS = ("to_send", "waiting", "to_answer", "to_review", "overdue", "answered")
ASKING = (MessageKind.NOTICE, MessageKind.REQUEST)


def messages_for(user: Any) -> QuerySet[Message]:
    """The messages the user may see: those whose sender or receiver is in their area."""
    return restrict(Message.objects.all(), user)


def message_for(user: Any, message_id: Any) -> Message:
    """One message the user may see; raises ``Message.DoesNotExist`` otherwise."""
    return messages_for(user).select_related("person", "answers").get(message_id=message_id)


def _side(field: str, prefixes: list[str] | None) -> Q:
    return Q() if prefixes is None else codes_prefix_q(field, prefixes)


def worklist(
    user: Any, tab: str, unit: str = "", today: datetime.date | None = None
) -> QuerySet[Message]:
    """One tab of a unit's worklist: to send (ours, not yet sent); sent and waiting (ours,
    waiting for a reply within its deadline); to answer (received, for us to reply); to
    review (replies received); overdue (any of these past its deadline); answered."""
    today = today or timezone.localdate()
    prefixes = [unit] if unit else user_prefixes(user)
    ours, theirs = _side("sender_area", prefixes), _side("receiver_area", prefixes)
    qs = messages_for(user)
    to_send = Q(state=MessageState.TO_SEND) & ours
    waiting = Q(state=MessageState.SENT, kind__in=ASKING) & ours
    to_answer = Q(state=MessageState.SENT, kind__in=ASKING, received_at__isnull=False) & theirs
    to_review = Q(state=MessageState.SENT, kind=MessageKind.REPLY) & theirs
    if tab == "to_send":
        chosen = to_send
    elif tab == "waiting":
        chosen = waiting & (Q(due_on__isnull=True) | Q(due_on__gte=today))
    elif tab == "to_answer":
        chosen = to_answer
    elif tab == "to_review":
        chosen = to_review
    elif tab == "overdue":
        chosen = (to_send | waiting | to_answer | to_review) & Q(due_on__lt=today)
    else:
        chosen = Q(state=MessageState.ANSWERED) & (ours | theirs)
    return qs.filter(chosen).select_related("person").order_by("due_on", "pk")


def tab_counts(user: Any, unit: str = "") -> dict[str, int]:
    """How many messages each tab of the worklist holds."""
    return {tab: worklist(user, tab, unit).count() for tab in TABS}


@dataclass(frozen=True)
class Change:
    """One correction a reply gives: the field, the value now, the value given, and why it
    cannot be applied (empty if it can)."""

    label: str
    before: str
    after: str
    problem: str


def corrections_in_order(reply: Message) -> list[tuple[str, str]]:
    """A reply's corrections in the register's order of fields (PostgreSQL's jsonb keeps no
    order of its own)."""
    given = (reply.body or {}).get("corrections") or {}
    order = list(registry_services.CORRECTION_FIELDS)
    return sorted(given.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


def reply_changes(reply: Message, zh: bool) -> list[Change]:
    """What a reply's corrections would change in the register, as the reviewer reads them:
    identity numbers masked, codes by their names; each checked by the register's rules."""
    from renkou.registry.templatetags.registry_tags import correction_rows

    person = reply.person
    out = []
    for field, value in corrections_in_order(reply):
        label = dict(registry_services.FIELD_NAMES).get(field, (field, field))[0 if zh else 1]
        if person is None:
            out.append(Change(str(label), "—", value, ""))
            continue
        try:
            changes = registry_services.correction_set(
                person=person, field=field, value=value, with_id_facts=field == "id_number"
            )
        except EventRefused as refused:
            shown = "****" if field == "id_number" else value
            problem = "; ".join(p.message_zh if zh else p.message_en for p in refused.problems)
            out.append(Change(str(label), "", shown, problem))
            continue
        for row_label, before, after in correction_rows({"set": changes}, person):
            out.append(Change(str(row_label), before, after, ""))
    return out


# --- rates and stocks --------------------------------------------------------------------


def _inside(field: str, unit: str) -> Q:
    return codes_prefix_q(field, [unit])


# The collaboration rates as indicators: their names elsewhere (targets, ``renkou
# indicators``) → the key of ``unit_rates`` and the rate's name for a reader.
RATE_INDICATORS = {
    "floating_notice_rate": ("notice", _("Arrivals notified in time (per cent)")),
    "floating_reply_rate": ("reply", _("Verification requests answered (per cent)")),
    "floating_on_time_rate": ("on_time", _("Requests answered in time (per cent)")),
}


def unit_rates(unit: str, first: datetime.date, last: datetime.date) -> dict[str, rates.Ratio]:
    """通报率, 协查反馈率 and 反馈及时率 of ``unit`` for arrivals (by their date) and requests
    (by the day they were received) from ``first`` to ``last``; a request counts as
    answered if answered by now."""
    notices = Message.objects.filter(
        _inside("sender_area", unit),
        kind=MessageKind.NOTICE,
        event_date__gte=first,
        event_date__lte=last,
    ).values_list("event_date", "sent_at", "deadline_days")
    arrived = [
        (day, timezone.localtime(sent).date() if sent else None, days)
        for day, sent, days in notices
    ]
    requests = Message.objects.filter(
        _inside("receiver_area", unit),
        kind=MessageKind.REQUEST,
        received_at__date__gte=first,  # the day in the server's time zone
        received_at__date__lte=last,
    ).values_list("answered_at", "due_on")
    received = [
        (timezone.localtime(answered).date() if answered else None, due)
        for answered, due in requests
    ]
    replied, on_time = rates.reply_rates(received)
    return {"notice": rates.notice_rate(arrived), "reply": replied, "on_time": on_time}


def rates_of_periods(
    units: list[str], periods: list[Period]
) -> dict[tuple[str, str], dict[str, rates.Ratio]]:
    """``unit_rates`` of many units and periods, by (unit code, period id), in one pass
    over the messages of those units (a form's sub-units, every period of a county):
    counted as ``unit_rates`` counts each."""
    if not units or not periods:
        return {}
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    cache: dict[datetime.date, list[str]] = {}

    def ids_of(day: datetime.date) -> list[str]:
        if day not in cache:
            cache[day] = [p.id for p in periods if p.start <= day <= p.end]
        return cache[day]

    arrived: dict[tuple[str, str], list[Any]] = defaultdict(list)
    received: dict[tuple[str, str], list[Any]] = defaultdict(list)
    senders = Q()
    receivers = Q()
    for unit in units:
        senders |= _inside("sender_area", unit)
        receivers |= _inside("receiver_area", unit)
    notices = Message.objects.filter(
        senders, kind=MessageKind.NOTICE, event_date__gte=first, event_date__lte=last
    ).values_list("sender_area", "event_date", "sent_at", "deadline_days")
    for area, day, sent, days in notices.iterator(chunk_size=5000):
        item = (day, timezone.localtime(sent).date() if sent else None, days)
        for unit in units:
            if area.startswith(unit):
                for pid in ids_of(day):
                    arrived[(unit, pid)].append(item)
    requests = Message.objects.filter(
        receivers,
        kind=MessageKind.REQUEST,
        received_at__date__gte=first,
        received_at__date__lte=last,
    ).values_list("receiver_area", "received_at", "answered_at", "due_on")
    for area, at, answered, due in requests.iterator(chunk_size=5000):
        day = timezone.localtime(at).date()
        item = (timezone.localtime(answered).date() if answered else None, due)
        for unit in units:
            if area.startswith(unit):
                for pid in ids_of(day):
                    received[(unit, pid)].append(item)
    out = {}
    for unit in units:
        for period in periods:
            key = (unit, period.id)
            replied, on_time = rates.reply_rates(received.get(key, []))
            out[key] = {
                "notice": rates.notice_rate(arrived.get(key, [])),
                "reply": replied,
                "on_time": on_time,
            }
    return out


MOVES = ("move_in", "move_out", "hukou_in", "hukou_out")


def _place(orgunit: Any, region: Any) -> str | None:
    return orgunit or region or None


def _places_at(person_ids: list[int], day: datetime.date) -> Iterator[tuple[str, str]]:
    """(registered place, residence) at the end of ``day`` of each person alive then,
    rebuilt from their applied events (the initial load's history included) as the
    statistics rebuild spells: a place change's ``to`` from its day on, its ``from`` before."""
    persons = Person.objects.filter(pk__in=person_ids).values_list(
        "pk",
        "birth_date",
        "death_date",
        "hukou_orgunit_id",
        "hukou_region",
        "residence_orgunit_id",
        "residence_region",
    )
    alive = {}
    for pk, born, died, hu, hr, ru, rr in persons:
        if born <= day and (died is None or died > day):
            alive[pk] = (_place(hu, hr), _place(ru, rr))
    changes: dict[int, dict[str, list[tuple[datetime.date, str | None, str | None]]]] = {}
    initial: dict[int, dict[str, str | None]] = {}
    events = (
        Event.objects.filter(person_id__in=list(alive), status="applied")
        .order_by("person_id", "effective_date", "applied_seq")
        .values_list("person_id", "kind", "effective_date", "payload")
    )
    for pid, kind, eff, payload in events.iterator(chunk_size=2000):
        mine = changes.setdefault(pid, {"hukou": [], "residence": []})
        state = payload.get("state") if isinstance(payload.get("state"), dict) else None
        if state is not None and creates_person(kind, payload):
            initial[pid] = {
                "hukou": _place(state.get("hukou_orgunit_id"), state.get("hukou_region")),
                "residence": _place(
                    state.get("residence_orgunit_id"), state.get("residence_region")
                ),
            }
        basis = {"move_in": "residence", "move_out": "residence"}.get(kind)
        basis = basis or {"hukou_in": "hukou", "hukou_out": "hukou"}.get(kind)
        if basis:
            came = _place(payload.get("from_orgunit"), payload.get("from_region"))
            went = _place(payload.get("to_orgunit"), payload.get("to_region"))
            mine[basis].append((eff, came, went))
        sets = payload.get("set") or {}
        for key, name in (("hukou", "hukou"), ("residence", "residence")):
            if f"{key}_orgunit_id" in sets or f"{key}_region" in sets:
                went = _place(sets.get(f"{key}_orgunit_id"), sets.get(f"{key}_region"))
                mine[name].append((eff, None, went))
    for pid, (hukou_now, residence_now) in alive.items():
        mine = changes.get(pid, {"hukou": [], "residence": []})
        start = initial.get(pid, {})
        hukou = rates.place_at(day, mine["hukou"], start.get("hukou") or hukou_now)
        residence = rates.place_at(day, mine["residence"], start.get("residence") or residence_now)
        yield hukou or "", residence or ""


def unit_stock(unit: str, day: datetime.date) -> rates.FloatingStock:
    """The floating stock of ``unit`` at the end of ``day``: 流入 by origin province and
    county, 流出 by destination. Only persons registered or living in the unit now, or with
    a move recorded by one of its villages, are looked at (no one else can have been
    registered or living there)."""
    linked = Person.objects.filter(
        codes_prefix_q("hukou_orgunit_id", [unit]) | codes_prefix_q("residence_orgunit_id", [unit])
    ).values_list("pk", flat=True)
    moved = Event.objects.filter(
        codes_prefix_q("orgunit_id", [unit]), kind__in=MOVES, person__isnull=False
    ).values_list("person_id", flat=True)
    ids = sorted(set(linked) | set(moved))
    stock = rates.FloatingStock()
    for i in range(0, len(ids), 5000):
        part = rates.floating_stock(_places_at(ids[i : i + 5000], day), unit)
        for name in (
            "inflow_by_province",
            "inflow_by_county",
            "outflow_by_province",
            "outflow_by_county",
        ):
            getattr(stock, name).update(getattr(part, name))
    return stock
