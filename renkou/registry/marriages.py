"""Who was married to whom on a day, from the marriage, divorce and widowhood events.

One definition for the register (when a death is applied) and the initial load (for the
deaths in its history). Two persons are married from the latest marriage event linking
them (either one's marriage naming the other as spouse) until a later divorce or widowhood
of either, or a later marriage of either to someone else. A marriage event naming nobody on
the same day as the linking one is taken for the same wedding, recorded on the other side.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.models import Event, Person

MARITAL_KINDS = (EventKind.MARRIAGE, EventKind.DIVORCE, EventKind.WIDOWHOOD)


@dataclass(frozen=True)
class MaritalEvent:
    """A marriage, divorce or widowhood of ``person``; ``order`` sorts events of one day."""

    person: int
    kind: str
    day: datetime.date
    order: int
    spouse: int | None


def spouse_of(payload: dict[str, Any]) -> int | None:
    """The ``spouse_id`` an event's payload names, as an int (None if none)."""
    value = payload.get("spouse_id")
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def still_married(events: Iterable[MaritalEvent], a: int, b: int, day: datetime.date) -> bool:
    """Whether ``a`` and ``b`` were married to each other on ``day`` by these events."""
    mine = sorted(
        (e for e in events if e.person in (a, b) and e.day <= day), key=lambda e: (e.day, e.order)
    )
    linked = [
        i
        for i, e in enumerate(mine)
        if e.kind == EventKind.MARRIAGE and {e.person, e.spouse} == {a, b}
    ]
    if not linked:
        return False
    wedding = mine[linked[-1]]
    for e in mine[linked[-1] + 1 :]:
        if e.kind == EventKind.MARRIAGE and (
            e.spouse in (a, b) or (e.spouse is None and e.day == wedding.day)
        ):
            continue
        return False  # divorced, widowed, or married to someone else since
    return True


def _history(person_ids: list[int], day: datetime.date) -> list[MaritalEvent]:
    rows = Event.objects.filter(
        person_id__in=person_ids,
        status=EventStatus.APPLIED,
        kind__in=MARITAL_KINDS,
        effective_date__lte=day,
    ).values_list("person_id", "kind", "effective_date", "applied_seq", "payload")
    return [MaritalEvent(p, k, d, s or 0, spouse_of(pl)) for p, k, d, s, pl in rows]


def surviving_spouse(*, deceased: Person, day: datetime.date) -> Person | None:
    """The living, married person the deceased was married to on ``day``, locked; or None.

    Candidates are the spouse the deceased's latest marriage names and the persons whose
    marriages name the deceased (from that marriage on); the first still married to the
    deceased by ``still_married`` who is alive and has marital status "married" is the one.
    """
    marriages = Event.objects.filter(
        kind=EventKind.MARRIAGE, status=EventStatus.APPLIED, effective_date__lte=day
    )
    own = (
        marriages.filter(person=deceased)
        .order_by("-effective_date", "-applied_seq")
        .values_list("effective_date", "payload")
        .first()
    )
    named = spouse_of(own[1]) if own is not None else None
    candidates = [named] if named is not None else []
    naming = marriages.filter(
        Q(payload__spouse_id=deceased.pk) | Q(payload__spouse_id=str(deceased.pk))
    )
    if own is not None:
        naming = naming.filter(effective_date__gte=own[0])
    candidates += list(naming.order_by("-effective_date").values_list("person_id", flat=True))
    candidates = [c for c in dict.fromkeys(candidates) if c != deceased.pk]
    if not candidates:
        return None
    history = _history([deceased.pk, *candidates], day)
    for candidate in candidates:
        if still_married(history, deceased.pk, candidate, day):
            spouse = (
                Person.objects.select_for_update()
                .filter(pk=candidate, status="alive", marital_status="married")
                .first()
            )
            if spouse is not None:
                return spouse
    return None
