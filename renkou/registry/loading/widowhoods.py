"""Widowhoods in a loaded history: the deaths of married persons whose spouse is in the load.

The persons file states each survivor's current status (widowed, or married again); the
history must also say when the marriage ended, for the statistics that count the married.
A death in the events file ends the marriage the same file records between the deceased
and a spouse who outlived them (``registry.marriages.still_married``); unless the file has
that widowhood already, one is added for the survivor, dated the day of the death.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict

from renkou.registry.choices import EventKind
from renkou.registry.loading.events import EventRow
from renkou.registry.loading.persons import row_fingerprint
from renkou.registry.marriages import MARITAL_KINDS, MaritalEvent, still_married
from renkou.registry.models import Person

CHUNK = 5000


def _death_dates(person_ids: set[int]) -> dict[int, datetime.date | None]:
    ids = sorted(person_ids)
    out: dict[int, datetime.date | None] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        out.update(Person.objects.filter(pk__in=chunk).values_list("id", "death_date"))
    return out


class Widowhoods:
    """The marital events and deaths of a history, gathered row by row as the file is read.

    Only what the derivation needs is kept: a small record per marital event, the partners
    of each married person, and the death rows themselves.
    """

    def __init__(self) -> None:
        self.marital: dict[int, list[MaritalEvent]] = defaultdict(list)
        self.partners: dict[int, set[int]] = defaultdict(set)
        self.refs: dict[int, str] = {}
        self.widowed_on: set[tuple[int, datetime.date]] = set()
        self.deaths: list[tuple[int, EventRow]] = []

    def add(self, pid: int, row: EventRow, spouse: int | None) -> None:
        """Note the event ``row`` of person ``pid`` (file order), spouse resolved or None."""
        if row.kind == EventKind.DEATH:
            self.deaths.append((pid, row))
        if row.kind not in MARITAL_KINDS:
            return
        self.marital[pid].append(MaritalEvent(pid, row.kind, row.effective_date, row.row, spouse))
        if row.kind == EventKind.MARRIAGE and spouse is not None:
            self.partners[pid].add(spouse)
            self.partners[spouse].add(pid)
            self.refs[pid], self.refs[spouse] = row.person_ref, row.spouse_ref
        elif row.kind == EventKind.WIDOWHOOD:
            self.widowed_on.add((pid, row.effective_date))

    def derive(self) -> list[tuple[int, EventRow]]:
        """Widowhood rows (survivor id, row) for the deaths noted.

        A derived row carries the death's row number and a fingerprint of the death's row
        and the survivor's reference, so that loading the same files again finds it
        unchanged.
        """
        partners, refs, marital = self.partners, self.refs, self.marital
        candidates = {c for pid, _row in self.deaths for c in partners.get(pid, ())}
        if not candidates:
            return []
        died = _death_dates(candidates)
        died.update({pid: row.effective_date for pid, row in self.deaths})
        out = []
        for pid, death in self.deaths:
            day = death.effective_date
            for survivor in sorted(partners.get(pid, ())):
                end = died.get(survivor)
                if (survivor, day) in self.widowed_on or (end is not None and end <= day):
                    continue
                if not still_married(marital[pid] + marital[survivor], pid, survivor, day):
                    continue
                out.append(
                    (
                        survivor,
                        dataclasses.replace(
                            death,
                            ref=f"widowhood:{death.ref}",
                            kind=EventKind.WIDOWHOOD,
                            person_ref=refs[survivor],
                            spouse_ref=refs[pid],
                            payload={"spouse_id": pid, "death_event_ref": f"load:{death.ref}"},
                            fingerprint=row_fingerprint([death.fingerprint, refs[survivor]]),
                        ),
                    )
                )
        return out
