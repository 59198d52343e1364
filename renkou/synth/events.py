"""Events (变动) in the window: births, deaths, moves in and out, marriages, divorces,
hukou transfers in and out, and the widowhoods the deaths of married persons leave.

Report dates are mostly within 30 days of the event; a few are late, and some births are only
reported in the following year (往年出生未报), as the statistics must handle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renkou.synth.dates import LONG_AGO, NEVER, ymd
from renkou.synth.lineage import Lineage
from renkou.synth.people import People
from renkou.synth.simulate import Unions
from renkou.synth.transfers import HUKOU_IN, HUKOU_OUT, Transfers

# New kinds go at the end: each kind's report dates and sources are drawn in this order.
KINDS = (
    "birth", "death", "move_in", "move_out", "marriage", "divorce",
    "hukou_in", "hukou_out", "widowhood",
)  # fmt: skip
SOURCES = ("village", "hospital", "police", "school", "civil_affairs", "api", "load")
_S = {name: i for i, name in enumerate(SOURCES)}

# Who reports each kind of event, and how often.
_SOURCE_MIX = {
    "birth": {"hospital": 0.55, "village": 0.40, "api": 0.05},
    "death": {"village": 0.50, "hospital": 0.35, "police": 0.15},
    "move_in": {"village": 0.70, "police": 0.30},
    "move_out": {"village": 0.70, "police": 0.30},
    "marriage": {"civil_affairs": 0.70, "village": 0.30},
    "divorce": {"civil_affairs": 0.70, "village": 0.30},
    "hukou_in": {"police": 0.85, "village": 0.15},
    "hukou_out": {"police": 0.85, "village": 0.15},
    # known from the death report
    "widowhood": {"village": 0.50, "hospital": 0.35, "police": 0.15},
}
# (mean delay in days of a timely report, share reported late, longest late delay)
_DELAY = {
    "birth": (8, 0.07, 180),
    "death": (10, 0.05, 120),
    "move_in": (15, 0.10, 90),
    "move_out": (15, 0.10, 90),
    "marriage": (12, 0.05, 90),
    "divorce": (12, 0.05, 90),
    "hukou_in": (10, 0.05, 90),
    "hukou_out": (10, 0.05, 90),
    "widowhood": (10, 0.05, 120),
}
_BIRTHS_REPORTED_NEXT_YEAR = 0.03


@dataclass
class Events:
    """Event columns; places are indices into the county's place list (-1 = none)."""

    kind: np.ndarray  # int8 index into KINDS
    person: np.ndarray  # int32
    effective: np.ndarray  # int32 day
    reported: np.ndarray  # int32 day
    source: np.ndarray  # int8 index into SOURCES
    village: np.ndarray  # int32: the village of ours where it is recorded
    from_place: np.ndarray  # int64: 12-digit village code or 6-digit region code, 0 = none
    to_place: np.ndarray  # int64
    spouse: np.ndarray  # int32, -1 = none


def build(
    rng: np.random.Generator,
    people: People,
    lineage: Lineage,
    unions: Unions,
    village_codes: np.ndarray,
    origin_codes: np.ndarray,
    start: int,
    end: int,
    transfers: Transfers,
) -> Events:
    """All events of the window; ``end`` is the window's last day."""
    parts: list[dict[str, np.ndarray]] = []
    v = lineage.village

    born = np.flatnonzero(people.in_window)
    parts.append(_part("birth", born, people.birth[born], v[born]))
    dead = np.flatnonzero(people.death <= end)
    parts.append(_part("death", dead, people.death[dead], v[dead]))

    arrived = np.flatnonzero(people.inflow & (people.entry >= start) & ~people.in_window)
    parts.append(
        _part(
            "move_in",
            arrived,
            people.entry[arrived],
            v[arrived],
            from_place=origin_codes[lineage.origin[arrived]],
            to_place=village_codes[v[arrived]],
        )
    )
    back = np.flatnonzero(people.returned <= end)
    came_from = lineage.residence_region.copy()
    # where a returning native had lived: somewhere people from here go
    came_from[back] = rng.choice(lineage.residence_region[lineage.residence_region > 0], len(back))
    parts.append(
        _part(
            "move_in",
            back,
            people.returned[back],
            v[back],
            from_place=came_from[back],
            to_place=village_codes[v[back]],
        )
    )
    left = np.flatnonzero((people.departure != NEVER) & (people.departure != LONG_AGO))
    parts.append(
        _part(
            "move_out",
            left,
            people.departure[left],
            v[left],
            from_place=village_codes[v[left]],
            to_place=lineage.residence_region[left],
        )
    )
    kind, wife, husband, day = unions.arrays()
    for k, name in enumerate(("marriage", "divorce")):
        sel = kind == k
        w, h, d = wife[sel], husband[sel], day[sel]
        # one event for each spouse: each person's state is the fold of their own events
        parts.append(_part(name, w, d, v[w], spouse=h))
        parts.append(_part(name, h, d, v[h], spouse=w))
    t = transfers
    for k, name in ((HUKOU_IN, "hukou_in"), (HUKOU_OUT, "hukou_out")):
        sel = t.kind == k
        parts.append(
            _part(
                name,
                t.person[sel],
                t.day[sel],
                t.village[sel],
                from_place=t.from_place[sel],
                to_place=t.to_place[sel],
            )
        )
    survivor, deceased, widowed_on = unions.widowhoods()
    parts.append(_part("widowhood", survivor, widowed_on, v[survivor], spouse=deceased))

    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    reported = np.empty(len(cols["kind"]), dtype=np.int32)
    source = np.empty(len(cols["kind"]), dtype=np.int8)
    for k, name in enumerate(KINDS):
        rows = np.flatnonzero(cols["kind"] == k)
        reported[rows] = _report_days(rng, name, cols["effective"][rows], end)
        mix = _SOURCE_MIX[name]
        codes = np.array([_S[s] for s in mix], dtype=np.int8)
        p = np.array(list(mix.values()))
        source[rows] = rng.choice(codes, size=len(rows), p=p / p.sum())
    return Events(
        kind=cols["kind"],
        person=cols["person"],
        effective=cols["effective"],
        reported=reported,
        source=source,
        village=cols["village"],
        from_place=cols["from_place"],
        to_place=cols["to_place"],
        spouse=cols["spouse"],
    )


def _part(
    kind: str,
    person: np.ndarray,
    effective: np.ndarray,
    village: np.ndarray,
    from_place: np.ndarray | None = None,
    to_place: np.ndarray | None = None,
    spouse: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Columns for events of one kind."""
    n = len(person)
    zeros = np.zeros(n, dtype=np.int64)
    return {
        "kind": np.full(n, KINDS.index(kind), dtype=np.int8),
        "person": person.astype(np.int32),
        "effective": effective.astype(np.int32),
        "village": village.astype(np.int32),
        "from_place": zeros if from_place is None else from_place.astype(np.int64),
        "to_place": zeros if to_place is None else to_place.astype(np.int64),
        "spouse": np.full(n, -1, dtype=np.int32) if spouse is None else spouse.astype(np.int32),
    }


def _report_days(
    rng: np.random.Generator, kind: str, effective: np.ndarray, end: int
) -> np.ndarray:
    """Report days: mostly within 30 days, some late, never after the window's last day."""
    n = len(effective)
    mean, late_share, longest = _DELAY[kind]
    delay = np.minimum(rng.geometric(1.0 / (mean + 1), n) - 1, 30)
    late = rng.random(n) < late_share
    delay = np.where(late, rng.integers(31, longest + 1, n), delay)
    reported = effective + delay
    if kind == "birth":
        # 往年出生未报: reported in the first quarter of the next year
        year = ymd(effective)[0]
        next_jan = (np.asarray(year + 1 - 1970, dtype="int64").astype("datetime64[Y]")
                    .astype("datetime64[D]").astype(np.int64))  # fmt: skip
        next_year = (rng.random(n) < _BIRTHS_REPORTED_NEXT_YEAR) & (next_jan <= end)
        reported = np.where(next_year, next_jan + rng.integers(0, 90, n), reported)
    return np.minimum(reported, end).astype(np.int32)
