"""The population on the first day of the window: ages, marriages, mothers, migrants.

Ages and sexes follow the 2020 census pyramid. Couples are matched by age within each group
(natives, in-migrants); each child picks a mother among ever-married women of a plausible age,
weighted by the era's parity progression, so every woman's children in the file are spaced
and ordered like real birth histories.
"""

from __future__ import annotations

import numpy as np

from renkou.synth import reference, schedules
from renkou.synth.dates import LONG_AGO, NEVER, age_at, ymd
from renkou.synth.people import DIVORCED, MARRIED, SINGLE, WIDOWED, People

YEAR = 365.2425

# Share of children (by age at the window's start) whose mother is in the file: nearly all
# children live with or near their mother; adults' mothers have more often died or live
# elsewhere.
_MOTHER_LINK = schedules.step_profile(
    {0: 0.95, 18: 0.85, 25: 0.7, 30: 0.5, 40: 0.3, 50: 0.15, 55: 0.0}
)


def base(rng: np.random.Generator, n: int, start: int, end: int) -> People:
    """``n`` people alive on day ``start``, sorted oldest first, with kinship and migration.

    ``start`` and ``end`` are the first and last days of the window.
    """
    counts = rng.multinomial(n, reference.age_pyramid().ravel()).reshape(2, -1)
    sex = np.repeat(np.repeat([0, 1], counts.shape[1]), counts.ravel())
    age = np.tile(np.arange(counts.shape[1]), 2).repeat(counts.ravel())
    birth = (start - 1 - np.floor((age + rng.random(n)) * YEAR)).astype(np.int32)
    order = np.argsort(birth, kind="stable")
    people = People.empty(n)
    people.birth = birth[order]
    people.male = sex[order] == 1
    age = np.clip(age_at(people.birth, start), 0, schedules.MAX_AGE)

    p_in = schedules.INFLOW_PROFILE[age]
    people.inflow = rng.random(n) < p_in * (schedules.INFLOW_SHARE / p_in.mean())
    _marital_status(rng, people, age)
    for group in (False, True):
        _pair_couples(rng, people, group)
        _link_mothers(rng, people, age, group)
    _link_fathers(people)
    _migration(rng, people, age, start, end)
    return people


def _marital_status(rng: np.random.Generator, people: People, age: np.ndarray) -> None:
    """Never married / married / divorced / widowed by sex and age."""
    u = rng.random(len(people))
    v = rng.random(len(people))
    for sex in (0, 1):
        rows = np.flatnonzero(people.male == bool(sex))
        a = age[rows]
        ever = u[rows] < schedules.ever_married(sex)[a]
        widowed = v[rows] < schedules.widowed_given_married(sex)[a]
        divorced = ~widowed & (
            v[rows]
            < schedules.widowed_given_married(sex)[a] + schedules.divorced_given_married(sex)[a]
        )
        status = np.where(
            ever, np.where(widowed, WIDOWED, np.where(divorced, DIVORCED, MARRIED)), SINGLE
        )
        people.marital[rows] = status


def _pair_couples(rng: np.random.Generator, people: People, group: bool) -> None:
    """Match married women and men of one group by age (husbands ~2 years older)."""
    married = (people.marital == MARRIED) & (people.inflow == group)
    wives = np.flatnonzero(married & ~people.male)
    husbands = np.flatnonzero(married & people.male)
    k = min(len(wives), len(husbands))
    # the surplus stay married with a spouse who is not in the file (working elsewhere, ...)
    wives = np.sort(rng.choice(wives, k, replace=False))
    husbands = np.sort(rng.choice(husbands, k, replace=False))
    w_key = people.birth[wives] + rng.normal(0, 1.6 * YEAR, k)
    h_key = people.birth[husbands] + 2.0 * YEAR + rng.normal(0, 1.6 * YEAR, k)
    w = wives[np.argsort(w_key, kind="stable")]
    h = husbands[np.argsort(h_key, kind="stable")]
    gap = (people.birth[w] - people.birth[h]) / YEAR
    ok = np.abs(gap - 2.0) < 12.0
    people.spouse[w[ok]] = h[ok]
    people.spouse[h[ok]] = w[ok]


def _link_mothers(rng: np.random.Generator, people: People, age: np.ndarray, group: bool) -> None:
    """Give children mothers, cohort by cohort from the oldest, tracking each woman's parity."""
    in_group = people.inflow == group
    women = np.flatnonzero(in_group & ~people.male & (people.marital != SINGLE))
    w_birth = people.birth[women]
    link = _MOTHER_LINK[age]
    if group:
        link = np.where(age >= 18, link * 0.4, link)  # in-migrants' adult children stay behind
    kids = np.flatnonzero(in_group & (rng.random(len(people)) < link))
    if not len(kids) or not len(women):
        return
    shape = schedules.historic_birth_age_shape()
    parity = np.zeros(len(women), dtype=np.int16)
    last = np.full(len(women), LONG_AGO, dtype=np.int64)
    kid_year = ymd(people.birth[kids])[0]
    for year in np.unique(kid_year):
        cohort = kids[kid_year == year]
        first = int(np.datetime64(f"{year}-01-01").astype("datetime64[D]").astype(np.int64))
        mid = first + 182
        lo = np.searchsorted(w_birth, first + 365 - 46 * YEAR)
        hi = np.searchsorted(w_birth, first - 17 * YEAR, side="right")
        if hi <= lo:
            continue
        cand = np.arange(lo, hi)
        m_age = np.clip(((mid - w_birth[cand]) / YEAR).astype(int), 0, schedules.MAX_AGE)
        weights = schedules.HISTORIC_PARITY_WEIGHTS[_era(year)]
        w = shape[m_age] * np.asarray(weights)[np.minimum(parity[cand], 3)]
        w = np.where(last[cand] <= first - schedules.MIN_BIRTH_GAP_DAYS, w, 0.0)
        eligible = np.flatnonzero(w > 0)
        k = min(len(cohort), len(eligible))
        if k == 0:
            continue
        keys = rng.exponential(size=len(eligible)) / w[eligible]
        chosen = cand[eligible[np.argsort(keys, kind="stable")[:k]]]
        takers = rng.permutation(cohort)[:k]
        mothers = women[chosen]
        gap = (people.birth[takers] - people.birth[mothers]) / YEAR
        ok = (gap >= 16) & (gap <= 47)
        chosen, takers, mothers = chosen[ok], takers[ok], mothers[ok]
        people.mother[takers] = mothers
        people.order[takers] = parity[chosen] + 1
        parity[chosen] += 1
        last[chosen] = people.birth[takers]
    people.parity[women] = parity
    people.last_birth[women] = last.astype(np.int32)


def _era(year: int) -> int:
    """The key of HISTORIC_PARITY_WEIGHTS that applies to children born in ``year``."""
    return next(k for k in sorted(schedules.HISTORIC_PARITY_WEIGHTS) if year < k)


def _link_fathers(people: People) -> None:
    """A child's father is the mother's husband, if he is old enough to be."""
    kids = np.flatnonzero(people.mother >= 0)
    husband = people.spouse[people.mother[kids]]
    has = husband >= 0
    gap = np.where(has, (people.birth[kids] - people.birth[np.maximum(husband, 0)]) / YEAR, 0)
    ok = has & (gap >= 19) & (gap <= 60)
    people.father[kids[ok]] = husband[ok]


def family_key(people: People) -> np.ndarray:
    """Who a family moves with: a wife's husband, a single child's mother's key, else self."""
    key = np.arange(len(people), dtype=np.int32)
    wives = np.flatnonzero(~people.male & (people.spouse >= 0))
    key[wives] = people.spouse[wives]
    kids = np.flatnonzero((people.marital == SINGLE) & (people.mother >= 0))
    key[kids] = key[people.mother[kids]]
    return key


def _migration(
    rng: np.random.Generator, people: People, age: np.ndarray, start: int, end: int
) -> None:
    """Arrival days of in-migrants, departure days of natives living elsewhere, returns."""
    n = len(people)
    window_days = end - start + 1
    years = window_days / YEAR
    key = family_key(people)
    # in-migrants: a share of families arrived during the window, the rest earlier
    arrive_in_window = rng.random(n) < min(0.9, 0.09 * years)
    arrival = np.where(arrive_in_window, start + rng.integers(0, window_days, n), LONG_AGO)
    people.entry = np.where(people.inflow, arrival[key], LONG_AGO).astype(np.int32)

    # natives living elsewhere: adults by age; wives often follow; children sometimes do
    native = ~people.inflow
    p_out = schedules.OUTFLOW_PROFILE[age]
    scale = schedules.OUTFLOW_SHARE * n / max(1.0, 1.3 * p_out[native].sum())
    away = native & (age >= 15) & (rng.random(n) < p_out * scale)
    leave = np.where(
        rng.random(n) < min(0.9, 0.08 * years), start + rng.integers(0, window_days, n), LONG_AGO
    )
    departure = np.where(away, leave, NEVER).astype(np.int32)
    wives = np.flatnonzero(native & ~people.male & (people.spouse >= 0))
    follow = (departure[people.spouse[wives]] != NEVER) & (rng.random(len(wives)) < 0.6)
    departure[wives[follow]] = departure[people.spouse[wives[follow]]]
    kids = np.flatnonzero(native & (age < 15) & (people.mother >= 0))
    follow = (departure[people.mother[kids]] != NEVER) & (rng.random(len(kids)) < 0.5)
    departure[kids[follow]] = departure[people.mother[kids[follow]]]
    people.departure = departure

    back = native & (departure == NEVER) & (age >= 20) & (age <= 50)
    back &= rng.random(n) < 0.006 * years
    people.returned = np.where(back, start + rng.integers(0, window_days, n), NEVER).astype(
        np.int32
    )
