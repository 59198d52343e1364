"""Realised statistics of a written county, computed back from its tables as the indicators are.

Rates use exact person-years lived in the window (from birth, the window's start or an
in-migrant's arrival, to death or the window's end), counting everyone in the register:
registered here or living here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.synth.dates import NEVER, add_years, age_at, day

YEAR = 365.2425


def _days(col: pa.ChunkedArray | pa.Array, fill: int = int(NEVER)) -> np.ndarray:
    """Day numbers of an ISO date column; ``fill`` for nulls."""
    days = pc.fill_null(col.cast(pa.date32()).cast(pa.int32()), fill).to_numpy()
    return days.astype(np.int64)  # room for NEVER + 1


def _index(refs: pa.ChunkedArray, keys: pa.ChunkedArray) -> np.ndarray:
    """Row number in ``keys`` of each ref, -1 where null or unknown."""
    return pc.fill_null(pc.index_in(refs, value_set=keys.combine_chunks()), -1).to_numpy()


def _pct(part: float, whole: float) -> float:
    """Percentage with two decimals (0 for an empty whole)."""
    return round(100.0 * float(part) / float(whole), 2) if whole else 0.0


def compute(
    orgunits: pa.Table,
    households: pa.Table,
    persons: pa.Table,
    events: pa.Table,
    start: date,
    end: date,
) -> dict:
    """The summary dict: counts, rates and shares of the window ``start``..``end``."""
    w0, w1 = day(start), day(end) + 1
    n = persons.num_rows
    birth = _days(persons["birth_date"])
    death = _days(persons["death_date"])
    male = pc.equal(persons["sex"], "M").to_numpy(zero_copy_only=False)
    alive = pc.equal(persons["status"], "alive").to_numpy(zero_copy_only=False)
    hukou_len = pc.utf8_length(persons["hukou_code"]).to_numpy()
    res_len = pc.utf8_length(persons["residence_code"]).to_numpy()
    mother = _index(persons["mother_ref"], persons["person_ref"])

    kind = events["kind"]
    e_person = _index(events["person_ref"], persons["person_ref"])
    e_eff = _days(events["effective_date"])
    e_rep = _days(events["report_date"])

    def of_kind(name: str) -> np.ndarray:
        return pc.equal(kind, name).to_numpy(zero_copy_only=False)

    # exposure starts at arrival for in-migrants who moved in during the window (those who
    # have since transferred their hukou here too)
    from_len = pc.fill_null(pc.utf8_length(events["from_code"]), 0).to_numpy()
    to_len = pc.fill_null(pc.utf8_length(events["to_code"]), 0).to_numpy()
    hukou_in = of_kind("hukou_in")
    settled = np.zeros(n, dtype=bool)
    settled[e_person[hukou_in & (from_len == 6)]] = True
    entry = np.maximum(birth, w0)
    moved_in = of_kind("move_in") & ((hukou_len[e_person] == 6) | settled[e_person])
    np.maximum.at(entry, e_person[moved_in], e_eff[moved_in])
    exit_ = np.minimum(death + 1, w1)
    years_lived = np.clip(exit_ - entry, 0, None) / YEAR
    person_years = years_lived.sum()

    births = e_person[of_kind("birth") & (e_eff >= w0) & (e_eff < w1)]
    deaths = e_person[of_kind("death") & (e_eff >= w0) & (e_eff < w1)]
    has_mother = mother[births] >= 0
    mothers = mother[births[has_mother]]
    maternal_age = (birth[births[has_mother]] - birth[mothers]) / YEAR
    tfr = _total_fertility(birth, male, entry, exit_, births, mother, start, end)

    order = pc.cast(persons["birth_order"], pa.int32()).to_numpy(zero_copy_only=False)
    b_order = order[births]
    b_order = b_order[~np.isnan(b_order.astype(float))].astype(int)
    boys = int(male[births].sum())
    girls = len(births) - boys
    infant = int((age_at(birth[deaths], death[deaths]) < 1).sum())

    inflow = alive & (hukou_len == 6) & (res_len == 12)
    outflow = alive & (hukou_len == 12) & (res_len == 6)
    in_household = pc.is_valid(persons["household_ref"]).to_numpy(zero_copy_only=False)
    age_end = age_at(birth, day(end))
    eth = pc.value_counts(persons.filter(pa.array(alive))["ethnicity"]).to_pylist()
    marital = persons.filter(pa.array(alive & (age_end >= 15)))["marital_status"]
    marital_counts = {d["values"]: d["counts"] for d in pc.value_counts(marital).to_pylist()}
    n_alive = int(alive.sum())
    has_id = pc.is_valid(persons["id_number"]).to_numpy(zero_copy_only=False)
    last_year = birth > day(end) - 365
    kinds = {d["values"]: d["counts"] for d in pc.value_counts(kind).to_pylist()}
    late = (e_rep - e_eff) > 30
    birth_rows = of_kind("birth")
    eff_year = e_eff.astype("datetime64[D]").astype("datetime64[Y]")
    rep_year = e_rep.astype("datetime64[D]").astype("datetime64[Y]")

    return {
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "counts": {
            "orgunits": orgunits.num_rows,
            "households": households.num_rows,
            "persons": n,
            "alive": n_alive,
            "dead": int((~alive).sum()),
            "events": events.num_rows,
            "events_by_kind": dict(sorted(kinds.items())),
            "births": len(births),
            "deaths": len(deaths),
            "marriages": int(of_kind("marriage").sum() // 2),
            "divorces": int(of_kind("divorce").sum() // 2),
            "widowhoods": int(of_kind("widowhood").sum()),
        },
        "person_years": round(float(person_years), 1),
        "crude_birth_rate_permille": round(1000 * len(births) / person_years, 2),
        "crude_death_rate_permille": round(1000 * len(deaths) / person_years, 2),
        "infant_mortality_permille": round(1000 * infant / max(len(births), 1), 2),
        "total_fertility_rate": round(tfr, 3),
        "mean_maternal_age": round(float(maternal_age.mean()) if len(maternal_age) else 0.0, 2),
        "sex_ratio_at_birth": round(100 * boys / girls, 1) if girls else None,
        "parity_shares_pct": {
            "1": _pct((b_order == 1).sum(), len(b_order)),
            "2": _pct((b_order == 2).sum(), len(b_order)),
            "3+": _pct((b_order >= 3).sum(), len(b_order)),
        },
        # 户口迁移 per 1000 person-years: in from outside the county, out of it, and between
        # villages of the county (one hukou_out from one village to the other)
        "hukou_transfer_rates_permille": {
            "in": round(1000 * int((hukou_in & (from_len == 6)).sum()) / person_years, 2),
            "out": round(
                1000 * int((of_kind("hukou_out") & (to_len == 6)).sum()) / person_years, 2
            ),
            "between_villages": round(
                1000 * int((of_kind("hukou_out") & (to_len == 12)).sum()) / person_years, 2
            ),
        },
        "left_county_share_pct": _pct((alive & (hukou_len == 6) & (res_len == 6)).sum(), n_alive),
        "floating_share_pct": _pct(inflow.sum() + outflow.sum(), n_alive),
        "inflow_share_pct": _pct(inflow.sum(), n_alive),
        "outflow_share_pct": _pct(outflow.sum(), n_alive),
        "persons_per_household": round(
            float((alive & in_household).sum() / households.num_rows), 3
        ),
        "ethnic_shares_pct": {
            d["values"]: _pct(d["counts"], n_alive) for d in sorted(eth, key=lambda d: d["values"])
        },
        "age_shares_pct": {
            "0-14": _pct((alive & (age_end < 15)).sum(), n_alive),
            "15-59": _pct((alive & (age_end >= 15) & (age_end < 60)).sum(), n_alive),
            "60+": _pct((alive & (age_end >= 60)).sum(), n_alive),
            "65+": _pct((alive & (age_end >= 65)).sum(), n_alive),
        },
        "sex_ratio": round(100 * (alive & male).sum() / max((alive & ~male).sum(), 1), 2),
        "marital_shares_15plus_pct": {
            k: _pct(v, sum(marital_counts.values())) for k, v in sorted(marital_counts.items())
        },
        "without_id_number": int((~has_id).sum()),
        "newborns_last_year_without_id_pct": _pct((~has_id & last_year).sum(), last_year.sum()),
        "events_reported_late_pct": _pct(late.sum(), len(late)),
        "births_reported_next_year": int((birth_rows & (rep_year > eff_year)).sum()),
    }


def _total_fertility(
    birth: np.ndarray,
    male: np.ndarray,
    entry: np.ndarray,
    exit_: np.ndarray,
    births: np.ndarray,
    mother: np.ndarray,
    start: date,
    end: date,
) -> float:
    """Σ single-year ASFR over ages 15-49: births by mother's age ÷ woman-years at that age."""
    exposure = np.zeros(121)
    women = np.flatnonzero(~male)
    k = 0
    while True:
        t0, t1 = day(add_years(start, k)), min(day(add_years(start, k + 1)), day(end) + 1)
        if t0 > day(end):
            break
        lo = np.maximum(entry[women], t0)
        hi = np.minimum(exit_[women], t1)
        ok = hi > lo
        # age at the middle of the exposed stretch stands for the whole stretch
        mid = ((lo[ok] + hi[ok]) // 2).astype(np.int64)
        a = np.clip(age_at(birth[women[ok]], mid), 0, 120)
        exposure += np.bincount(a, weights=(hi[ok] - lo[ok]) / YEAR, minlength=121)
        k += 1
    known = mother[births] >= 0
    m_age = np.clip(age_at(birth[mother[births[known]]], birth[births[known]]), 0, 120)
    counts = np.bincount(m_age, minlength=121).astype(float)
    # births to mothers not in the file still count, spread like the others
    counts *= len(births) / max(known.sum(), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(exposure > 0, counts / exposure, 0.0)
    return float(rates[15:50].sum())
