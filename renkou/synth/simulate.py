"""The window, year by year: deaths, first marriages, divorces, births.

Each year's chances follow the schedules; births are spread over women so that each single
year of age has exactly the target fertility rate on average, while who gives birth depends
on marriage, spacing since the last child and how many children she has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from renkou.synth import schedules
from renkou.synth.dates import LONG_AGO, NEVER, add_years, age_at, day
from renkou.synth.people import DIVORCED, MARRIED, SINGLE, WIDOWED, People

YEAR = 365.2425


@dataclass
class Unions:
    """Marriages and divorces in the window, one row per couple."""

    kind: list[np.ndarray] = field(default_factory=list)  # 0 marriage, 1 divorce
    wife: list[np.ndarray] = field(default_factory=list)
    husband: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    # widowhoods: the spouse who outlived the other, the one who died, the day of the death
    survivor: list[np.ndarray] = field(default_factory=list)
    deceased: list[np.ndarray] = field(default_factory=list)
    widowed_on: list[np.ndarray] = field(default_factory=list)

    def add(self, kind: int, wife: np.ndarray, husband: np.ndarray, days: np.ndarray) -> None:
        """Record couples that married (0) or divorced (1) on ``days``."""
        self.kind.append(np.full(len(wife), kind, dtype=np.int8))
        self.wife.append(wife.astype(np.int32))
        self.husband.append(husband.astype(np.int32))
        self.day.append(days.astype(np.int32))

    def add_widowhoods(self, survivor: np.ndarray, deceased: np.ndarray, days: np.ndarray) -> None:
        """Record that ``survivor`` was widowed by the death of ``deceased`` on ``days``."""
        self.survivor.append(survivor.astype(np.int32))
        self.deceased.append(deceased.astype(np.int32))
        self.widowed_on.append(days.astype(np.int32))

    def widowhoods(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """survivor, deceased, day as flat arrays."""
        if not self.survivor:
            empty = np.zeros(0, dtype=np.int32)
            return empty, empty, empty
        return tuple(np.concatenate(x) for x in (self.survivor, self.deceased, self.widowed_on))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """kind, wife, husband, day as flat arrays."""
        if not self.kind:
            empty = np.zeros(0, dtype=np.int32)
            return empty.astype(np.int8), empty, empty, empty
        return tuple(np.concatenate(x) for x in (self.kind, self.wife, self.husband, self.day))


def run(rng: np.random.Generator, people: People, start: date, years: int) -> Unions:
    """Simulate ``years`` years from ``start``; ``people`` grows by the births."""
    unions = Unions()
    q = np.stack([schedules.mortality(0), schedules.mortality(1)])
    for k in range(years):
        t0, t1 = day(add_years(start, k)), day(add_years(start, k + 1))
        marital0 = people.marital.copy()
        spouse0 = people.spouse.copy()
        _deaths(rng, people, unions, q, t0, t1)
        _marriages(rng, people, unions, t0, t1)
        _divorces(rng, people, unions, marital0, t0, t1)
        _births(rng, people, q, marital0, spouse0, t0, t1)
    # a move planned for after someone's death did not happen
    people.departure = np.where(
        (people.departure >= people.death) & (people.departure != LONG_AGO), NEVER, people.departure
    ).astype(np.int32)
    people.returned = np.where(people.returned >= people.death, NEVER, people.returned).astype(
        np.int32
    )
    return unions


def _exposure_start(people: People, t0: int) -> np.ndarray:
    """First day of the year each person counts: the start, or arrival/birth if later."""
    return np.maximum(t0, people.entry)


def _deaths(
    rng: np.random.Generator, people: People, unions: Unions, q: np.ndarray, t0: int, t1: int
) -> None:
    """Deaths among those alive and here at some point in [t0, t1)."""
    n = len(people)
    begin = _exposure_start(people, t0)
    present = (people.death >= t0) & (begin < t1)
    age = np.clip(age_at(people.birth, t0), 0, schedules.MAX_AGE)
    frac = (t1 - begin) / (t1 - t0)
    p = 1.0 - (1.0 - q[people.male.astype(int), age]) ** np.clip(frac, 0, 1)
    die = np.flatnonzero(present & (rng.random(n) < p))
    when = begin[die] + np.floor(rng.random(len(die)) * (t1 - begin[die])).astype(np.int32)
    _record_deaths(people, unions, die, when)


def _record_deaths(people: People, unions: Unions, die: np.ndarray, when: np.ndarray) -> None:
    """Mark deaths; a surviving spouse (or the later to die of two) becomes widowed."""
    people.death[die] = when
    sp = people.spouse[die]
    has = sp >= 0
    people.late_spouse[die[has]] = sp[has]
    # the spouse outlived this person unless they died earlier the same year
    survivor = sp[has]
    widowed = people.death[survivor] > when[has]
    people.marital[survivor[widowed]] = WIDOWED
    unions.add_widowhoods(survivor[widowed], die[has][widowed], when[has][widowed])
    people.spouse[survivor] = -1
    people.spouse[die] = -1


def _pick_weighted(rng: np.random.Generator, rows: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """``k`` of ``rows`` without replacement, chance proportional to ``w`` (Efraimidis-Spirakis)."""
    ok = w > 0
    rows, w = rows[ok], w[ok]
    k = min(k, len(rows))
    keys = rng.exponential(size=len(rows)) / w
    return rows[np.argsort(keys, kind="stable")[:k]]


def _marriages(rng: np.random.Generator, people: People, unions: Unions, t0: int, t1: int) -> None:
    """First marriages among the never married of legal age, paired by age within each group."""
    n = len(people)
    age = np.clip(age_at(people.birth, t0), 0, schedules.MAX_AGE)
    eligible = (
        (people.marital == SINGLE)
        & (people.death >= t1)
        & (people.entry <= t0)
        & (people.birth < t0)
    )
    eligible &= age >= np.where(
        people.male, schedules.LEGAL_MARRIAGE_AGE[1], schedules.LEGAL_MARRIAGE_AGE[0]
    )
    h_f, h_m = schedules.first_marriage_hazard(0), schedules.first_marriage_hazard(1)
    u = rng.random(n)
    for group in (False, True):
        base = eligible & (people.inflow == group)
        brides = np.flatnonzero(base & ~people.male & (u < h_f[age]))
        men = np.flatnonzero(base & people.male)
        grooms = _pick_weighted(rng, men, h_m[age[men]], len(brides))
        brides = np.sort(rng.permutation(brides)[: len(grooms)])
        k = len(grooms)
        if k == 0:
            continue
        b = brides[np.argsort(people.birth[brides] + rng.normal(0, 2 * YEAR, k), kind="stable")]
        g = grooms[
            np.argsort(
                people.birth[grooms] + 2.5 * YEAR + rng.normal(0, 2 * YEAR, k), kind="stable"
            )
        ]
        when = t0 + np.floor(rng.random(k) * (t1 - t0)).astype(np.int32)
        people.marital[b] = MARRIED
        people.marital[g] = MARRIED
        people.spouse[b] = g
        people.spouse[g] = b
        unions.add(0, b, g, when)


def _divorces(
    rng: np.random.Generator,
    people: People,
    unions: Unions,
    marital0: np.ndarray,
    t0: int,
    t1: int,
) -> None:
    """Divorces among couples married since before the year who both live through it."""
    husbands = np.flatnonzero(people.male & (people.spouse >= 0) & (marital0 == MARRIED))
    wives = people.spouse[husbands]
    alive = (people.death[husbands] >= t1) & (people.death[wives] >= t1)
    split = alive & (rng.random(len(husbands)) < schedules.DIVORCE_RATE)
    h, w = husbands[split], wives[split]
    when = t0 + np.floor(rng.random(len(h)) * (t1 - t0)).astype(np.int32)
    people.marital[h] = DIVORCED
    people.marital[w] = DIVORCED
    people.spouse[h] = -1
    people.spouse[w] = -1
    unions.add(1, w, h, when)


def _births(
    rng: np.random.Generator,
    people: People,
    q: np.ndarray,
    marital0: np.ndarray,
    spouse0: np.ndarray,
    t0: int,
    t1: int,
) -> None:
    """Births in [t0, t1) to women here (mostly the married); appends the children."""
    begin = _exposure_start(people, t0)
    end = np.minimum(t1, people.death)
    age = np.clip(age_at(people.birth, t0), 0, schedules.MAX_AGE)
    lo, hi = schedules.MOTHER_AGE
    women = np.flatnonzero(~people.male & (begin < end) & (age >= lo) & (age <= hi))
    a = age[women]
    weight = np.asarray(schedules.WINDOW_PARITY_WEIGHTS)[np.minimum(people.parity[women], 3)]
    # births outside marriage are rare in China but not absent (a few %, mostly young women)
    weight = weight * np.where(
        marital0[women] == MARRIED, 1.0, np.where(a >= 18, schedules.UNMARRIED_BIRTH_WEIGHT, 0.0)
    )
    weight = weight * (people.last_birth[women] <= t0 - schedules.MIN_BIRTH_GAP_DAYS)
    # scale so that women of each age, married or not, have the target rate on average
    mean_w = np.bincount(a, weights=weight, minlength=hi + 1) / np.maximum(
        np.bincount(a, minlength=hi + 1), 1
    )
    frac = (end[women] - begin[women]) / (t1 - t0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(weight > 0, schedules.asfr()[a] * weight / mean_w[a] * frac, 0.0)
    mothers = women[rng.random(len(women)) < np.minimum(p, 0.95)]
    m_begin, m_end = begin[mothers], end[mothers]
    when = (m_begin + np.floor(rng.random(len(mothers)) * (m_end - m_begin))).astype(np.int32)
    # a woman of 49 at the start of the year may be 50 by the birth: keep mothers within 15-49
    young_enough = age_at(people.birth[mothers], when) <= hi
    mothers, when = mothers[young_enough], when[young_enough]

    k = len(mothers)
    kids = People.empty(k)
    kids.birth = when
    order = people.parity[mothers] + 1
    srb = np.asarray(schedules.SRB_BY_ORDER)[np.minimum(order, 3) - 1]
    # exactly the expected number of boys (by order), so that a small county's SRB is not
    # left to sampling noise of +-7 per thousand births
    p_boy = srb / (100.0 + srb)
    boys = _pick_weighted(rng, np.arange(k), p_boy / (1.0 - p_boy), round(p_boy.sum()))
    kids.male[boys] = True
    kids.inflow = people.inflow[mothers]
    kids.mother = mothers.astype(np.int32)
    father = spouse0[mothers]
    has_father = father >= 0
    # a father who died more than ~9 months before the birth cannot be linked as the father
    has_father &= people.death[np.maximum(father, 0)] >= when - 280
    kids.father = np.where(has_father, father, -1).astype(np.int32)
    kids.order = order.astype(np.int16)
    kids.entry = when
    kids.in_window = np.ones(k, dtype=bool)
    # a child born to a mother living elsewhere lives there too; one born before she moved
    # away or came back moves with her
    dep = people.departure[mothers]
    kids.departure = np.where(dep < when, LONG_AGO, dep).astype(np.int32)
    kids.departure = np.where(dep == NEVER, NEVER, kids.departure).astype(np.int32)
    ret = people.returned[mothers]
    kids.returned = np.where(ret > when, ret, NEVER).astype(np.int32)
    people.parity[mothers] += 1
    people.last_birth[mothers] = when
    # infant deaths in the rest of the year
    q0 = q[kids.male.astype(int), 0] * (t1 - when) / (t1 - t0)
    die = np.flatnonzero(rng.random(k) < q0)
    kids.death[die] = when[die] + np.floor(rng.random(len(die)) * (t1 - when[die])).astype(np.int32)
    people.extend(kids)
