"""Benchmark: the full indicator refresh on 10,000,000 persons, against the 1,000,000 one.

Limit from the issue: at most 12× the 1M time (peak memory stated). The analytics read only
the Parquet snapshot, so the 10M county is made from the 1M county's snapshot: ten copies,
each under its own county code in the same prefecture (330122 and 330150 … 330158), with
person, event and sequence numbers moved apart, so the prefecture and province hold all ten
million and every township and village is there ten times. (The copies are the same people;
the counts do not care, and generating and loading ten independent counties would take the
register loader's memory ten times over.) The cache goes into a SQLite database of its own.

``python -m bench indicators_10m`` runs it (after ``python -m bench indicators`` has built
the 1M snapshot, which it also times once here for the ratio).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import duckdb

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.copies import COUNTY, moved_place
from bench.load import loaded_sqlite

COPIES = 10
RATIO_LIMIT = 12.0
PERSON_STEP = 10_000_000
SEQ_STEP = 10_000_000
FIRST, LAST = "2021-01-01", "2025-12-31"


def build(source: Path, target: Path, copies: int = COPIES) -> dict[str, int]:
    """Write the ``copies``-fold snapshot of ``source`` into ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "events").mkdir(parents=True)
    con = duckdb.connect()
    persons, orgunits = source / "persons.parquet", source / "orgunits.parquet"
    events = source / "events" / "*.parquet"
    parts_p, parts_e, parts_o = [], [], []
    for c in range(copies):
        shift = c * PERSON_STEP
        parts_p.append(
            f"SELECT id + {shift} AS id, sex, birth_date, death_date, status, marital_status, "
            f"mother_id + {shift} AS mother_id, birth_order, {moved_place('hukou', c)} AS hukou, "
            f"{moved_place('residence', c)} AS residence FROM '{persons}'"
        )
        parts_e.append(
            f"SELECT seq + {c * SEQ_STEP} AS seq, id + {shift} AS id, kind, "
            f"person_id + {shift} AS person_id, {moved_place('orgunit', c)} AS orgunit, "
            f"effective_date, report_date, historic, {moved_place('hukou_from', c)} AS hukou_from, "
            f"{moved_place('hukou_to', c)} AS hukou_to, "
            f"{moved_place('residence_from', c)} AS residence_from, "
            f"{moved_place('residence_to', c)} AS residence_to FROM '{events}'"
        )
        suffix = "" if c == 0 else f"（{c + 1}）"
        which = "true" if c == 0 else f"starts_with(code, '{COUNTY}')"
        parts_o.append(
            f"SELECT {moved_place('code', c)} AS code, "
            f"CASE WHEN starts_with(code, '{COUNTY}') THEN name || '{suffix}' ELSE name END "
            f"AS name, level, {moved_place('parent', c)} AS parent, valid_from, valid_to "
            f"FROM '{orgunits}' WHERE {which}"
        )
    con.execute(
        f"COPY ({' UNION ALL '.join(parts_p)} ORDER BY id) TO '{target / 'persons.parquet'}'"
    )
    last = (copies - 1) * SEQ_STEP + con.execute(f"SELECT max(seq) FROM '{events}'").fetchone()[0]
    con.execute(
        f"COPY ({' UNION ALL '.join(parts_e)} ORDER BY seq) "
        f"TO '{target / 'events' / f'seq-{1:012d}-{last:012d}.parquet'}'"
    )
    con.execute(f"COPY ({' UNION ALL '.join(parts_o)}) TO '{target / 'orgunits.parquet'}'")
    counts = {
        name: con.execute(f"SELECT count(*) FROM '{target / path}'").fetchone()[0]
        for name, path in (
            ("persons", "persons.parquet"),
            ("events", "events/*.parquet"),
            ("units", "orgunits.parquet"),
        )
    }
    (target / "manifest.json").write_text(
        json.dumps({"last_seq": last, "events": counts["events"], "persons": counts["persons"]})
    )
    return counts


def units_into_database(snapshot: Path, database: Path) -> None:
    """The copies' org units into the benchmark's database too (a refresh takes the tree
    from the register, as it must for a real county)."""
    table = (
        duckdb.connect()
        .execute(
            "SELECT code, name, level, valid_from, valid_to, parent "
            f"FROM '{snapshot}/orgunits.parquet' ORDER BY length(code), code"
        )
        .fetchall()
    )
    con = sqlite3.connect(database)
    con.execute("PRAGMA foreign_keys = OFF")
    con.executemany(
        "INSERT INTO orgunits_orgunit (code, name, level, valid_from, valid_to, parent_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(c, n, lv, str(f), str(t) if t else None, p) for c, n, lv, f, t, p in table],
    )
    con.commit()
    con.close()


def _refresh(env: dict[str, str | None]) -> tuple[float, float, str]:
    measured = run_measured(
        renkou_cmd(
            "indicators", "--refresh", "--full", "--from", FIRST, "--to", LAST,
            "--language", "en",
        ),
        env,
        capture=True,
    )  # fmt: skip
    found = re.search(r"(\d+) figures stored", measured.output)
    return measured.seconds, measured.peak_mib, found.group(1) if found else "?"


def run(repeat: int, scale: str) -> list[str]:
    """Time the 1M full refresh once and the 10M one ``repeat`` times; print the ratio."""
    small = loaded_sqlite(100_000 if scale == "small" else 1_000_000)
    run_measured(renkou_cmd("migrate", "-v0"), small)
    one_time, one_peak, one_figures = _refresh(small)  # also makes sure the snapshot is there
    data = OUT / ("indicators-10m" if scale == "full" else "indicators-10x-small")
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env: dict[str, str | None] = {"RENKOU_DATA_DIR": str(data), "RENKOU_DATABASE_URL": None}
    run_measured(renkou_cmd("migrate", "-v0"), env)
    source = Path(str(small["RENKOU_DATA_DIR"])) / "analytics" / "snapshot"
    sizes = build(source, data / "analytics" / "snapshot")
    units_into_database(data / "analytics" / "snapshot", data / "renkou.sqlite3")
    times, peaks, figures = [], [], ""
    for _ in range(repeat):
        seconds, peak, figures = _refresh(env)
        times.append(seconds)
        peaks.append(peak)
    t = median(times)
    ratio = t / one_time
    verdict = "ok" if ratio <= RATIO_LIMIT or scale == "small" else "OVER LIMIT"
    return [
        f"1M full refresh {one_time:.1f} s, peak {one_peak:,.0f} MiB, {int(one_figures):,} figures",
        f"{sizes['persons']:,} persons, {sizes['events']:,} events, {sizes['units']:,} units "
        f"({COPIES} copies of the county): full refresh {t:.1f} s "
        f"(runs {', '.join(f'{x:.1f}' for x in times)}), peak {median(peaks):,.0f} MiB, "
        f"{int(figures):,} figures; {ratio:.1f}× the 1M time  "
        f"[limit {RATIO_LIMIT:.0f}×: {verdict}]",
    ]
