"""Generate a synthetic county and write it as load files (docs/load-format.md).

``generate(persons=50_000, years=5, seed=1, out=Path("data/county"))`` writes orgunits.csv,
households, persons and events (Parquet or CSV) and summary.json with the realised statistics.
The same arguments always give byte-identical files: every random draw comes from streams
spawned from ``seed``, and nothing depends on today's date, hash seeds or dict order.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from renkou.synth import (
    errors,
    events,
    households,
    lineage,
    orgunits,
    population,
    reference,
    schedules,
    simulate,
    summary,
    tables,
    transfers,
    writer,
)
from renkou.synth.dates import add_years, day

_STEPS = (
    "org units", "population", "simulation", "households", "lineage", "events", "tables",
    "writing", "summary",
)  # fmt: skip


def window(end: date, years: int) -> tuple[date, date]:
    """First and last day of the ``years`` years that end on ``end``."""
    return add_years(end, -years) + timedelta(days=1), end


def base_size(persons: int, years: int) -> int:
    """People to create at the window's start so that, with the births, ``persons`` rows result.

    Projects the women of the census pyramid through the window (survival, ageing, and the
    daughters born in it) to count the expected births per starting person.
    """
    rate = schedules.asfr()
    survive = 1.0 - schedules.mortality(0)
    women = np.zeros(len(rate))
    pyramid = reference.age_pyramid()[0]
    women[: len(pyramid)] = pyramid
    births = 0.0
    for _ in range(years):
        # in-migrant women arriving during the window have less time to give birth here
        born = 0.965 * float((rate * women).sum())
        births += born
        women = np.r_[born * 100 / (100 + 110), (women * survive)[:-1]]
    return max(1, round(persons / (1.0 + births)))


def generate(
    *,
    persons: int,
    years: int,
    seed: int,
    out: Path,
    end: date = date(2025, 12, 31),
    fmt: str = "parquet",
    progress: bool = False,
    error_rate: float = 0.0,
) -> dict:
    """Write a county of about ``persons`` person rows with ``years`` of events ending ``end``.

    With ``error_rate`` > 0, known errors of every kind are injected into about that share
    of records each, and ``errors.csv`` lists them (``synth.errors``).
    """
    if persons < 100:
        raise ValueError("persons must be at least 100")
    if not 1 <= years <= 50:
        raise ValueError("years must be between 1 and 50")
    if not 0.0 <= error_rate <= 0.05:
        raise ValueError("error rate must be between 0 and 0.05")
    if fmt not in writer.FORMATS:
        raise ValueError(f"format must be one of {', '.join(writer.FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    writer.clear(out)
    start, last = window(end, years)
    first_day, last_day = day(start), day(last)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STEPS))]
    bar = tqdm(total=len(_STEPS), desc="county", unit="step", file=sys.stderr, disable=not progress)

    def step(i: int) -> np.random.Generator:
        bar.set_postfix_str(_STEPS[i])
        if i:
            bar.update(1)
        return rngs[i]

    tree = orgunits.build(step(0))
    people = population.base(step(1), base_size(persons, years), first_day, last_day)
    unions = simulate.run(step(2), people, start, years)
    hh = households.build(step(3), people, tree, last_day)
    lin = lineage.build(step(4), people, hh, tree)
    village_codes = np.array([int(c) for c in tree.village_codes], dtype=np.int64)
    origin_codes = np.array([int(r.code) for r in reference.regions("origin")], dtype=np.int64)
    # A stream of its own, so that the draws of the other steps stay as they were.
    moves = transfers.build(
        np.random.default_rng(np.random.SeedSequence([seed, 2])),
        people, unions, hh, lin, tree, village_codes, origin_codes, first_day, last_day,
    )  # fmt: skip
    evs = events.build(
        step(5), people, lin, unions, village_codes, origin_codes, first_day, last_day, moves
    )
    hh_table, person_table, event_table = tables.build(
        step(6), people, hh, lin, evs, tree, last_day, moves
    )
    org_table = tables.orgunits(tree)
    del people, hh, lin, evs, unions, moves
    truth = None
    # The summary describes the county as simulated, before any error is put in.
    clean_persons, clean_events = person_table, event_table
    if error_rate > 0:
        # A stream of its own, so that the clean county stays identical for the same seed.
        error_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        person_table, event_table, truth = errors.inject(
            error_rng, person_table, event_table, org_table, last, error_rate
        )

    step(7)
    writer.write_table(org_table, out / "orgunits.csv")
    writer.write_table(hh_table, out / f"households.{fmt}")
    writer.write_table(person_table, out / f"persons.{fmt}")
    writer.write_table(event_table, out / f"events.{fmt}")
    if truth is not None:
        writer.write_table(truth, out / "errors.csv")

    step(8)
    del person_table, event_table
    result = summary.compute(org_table, hh_table, clean_persons, clean_events, start, last)
    result["parameters"] = {
        "persons": persons,
        "years": years,
        "seed": seed,
        "end": last.isoformat(),
        "format": fmt,
    }
    if error_rate > 0:
        result["parameters"]["error_rate"] = error_rate
    writer.write_summary(result, out / "summary.json")
    bar.update(1)
    bar.close()
    return result
