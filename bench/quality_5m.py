"""Benchmark: the bulk quality run on 5,000,000 persons, against the 1,000,000 one.

Limit from the issue: at most 6× the 1M time. The 5M register is the error-injected 1M
county of ``bench/quality.py`` five times over in one SQLite database: each copy under its
own county code in the same prefecture (330122 and 330150 … 330153), with person,
household and event numbers moved apart and references suffixed. Identity numbers are the
same ciphertexts (the rules decrypt them), their blind index is suffixed per copy so that
the copies are not duplicates of each other; so every copy holds the same errors, and the
5M run should find five times the 1M findings. Loading five independent counties instead
would need the initial loader's memory five times over (about 5 GB per million persons).

``python -m bench quality_5m`` runs it.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.copies import COUNTY, moved_place
from bench.quality import END, ensure_loaded

COPIES = 5
RATIO_LIMIT = 6.0
STEP = 10_000_000


def _shift(column: str, c: int) -> str:
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {column} + {c * STEP} END"


def _suffix(column: str, c: int) -> str:
    return f"CASE WHEN {column} IS NULL OR {column} = '' THEN {column} ELSE {column} || '-{c}' END"


RULES = {
    "orgunits_orgunit": {
        "code": lambda c: moved_place("code", c),
        "name": lambda c: f"name || '（{c + 1}）'",
        "parent_id": lambda c: moved_place("parent_id", c),
    },
    "registry_household": {
        "id": lambda c: _shift("id", c),
        "number": lambda c: _suffix("number", c),
        "orgunit_id": lambda c: moved_place("orgunit_id", c),
    },
    "registry_person": {
        "id": lambda c: _shift("id", c),
        "person_ref": lambda c: _suffix("person_ref", c),
        "id_number_hash": lambda c: _suffix("id_number_hash", c),
        "household_id": lambda c: _shift("household_id", c),
        "hukou_orgunit_id": lambda c: moved_place("hukou_orgunit_id", c),
        "residence_orgunit_id": lambda c: moved_place("residence_orgunit_id", c),
        "father_id": lambda c: _shift("father_id", c),
        "mother_id": lambda c: _shift("mother_id", c),
    },
    "registry_event": {
        "id": lambda c: _shift("id", c),
        "external_ref": lambda c: _suffix("external_ref", c),
        "applied_seq": lambda c: _shift("applied_seq", c),
        "orgunit_id": lambda c: moved_place("orgunit_id", c),
        "person_id": lambda c: _shift("person_id", c),
    },
}
ORIGINALS = {
    "orgunits_orgunit": f"code LIKE '{COUNTY}%'",
    "registry_household": f"id < {STEP}",
    "registry_person": f"id < {STEP}",
    "registry_event": f"id < {STEP}",
}


def replicate(database: Path, copies: int = COPIES) -> int:
    """Add ``copies`` − 1 copies of the county to ``database``; return the persons."""
    con = sqlite3.connect(database)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    for c in range(1, copies):
        for table, rules in RULES.items():
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            values = ", ".join(rules[n](c) if n in rules else f'"{n}"' for n in columns)
            names = ", ".join(f'"{n}"' for n in columns)
            con.execute(
                f"INSERT INTO {table} ({names}) SELECT {values} FROM {table} "
                f"WHERE {ORIGINALS[table]}"
            )
        con.commit()
    con.execute("ANALYZE")
    persons = con.execute("SELECT count(*) FROM registry_person").fetchone()[0]
    con.close()
    return int(persons)


def run(repeat: int, scale: str) -> list[str]:
    """Time the 1M bulk run once and the 5M one ``repeat`` times; print the ratio."""
    one = 100_000 if scale == "small" else 1_000_000
    env_one, _, data_one = ensure_loaded(one)
    first = run_measured(renkou_cmd("quality", "run", "--as-of", END), env_one, capture=True)
    data = OUT / f"quality-{COPIES}x{one // 1000}k-sqlite"
    marker = data / "ready"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(data_one, data, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
        replicate(data / "renkou.sqlite3")
        marker.touch()
    env: dict[str, str | None] = {"RENKOU_DATA_DIR": str(data), "RENKOU_DATABASE_URL": None}
    times, peaks, output = [], [], ""
    for _ in range(repeat):
        measured = run_measured(renkou_cmd("quality", "run", "--as-of", END), env, capture=True)
        times.append(measured.seconds)
        peaks.append(measured.peak_mib)
        output = measured.output
    t = median(times)
    ratio = t / first.seconds
    verdict = "ok" if ratio <= RATIO_LIMIT or scale == "small" else "OVER LIMIT"

    def found(text: str) -> str:
        m = re.search(r"(\d+) persons checked, (\d+) findings", text)
        return f"{int(m.group(1)):,} persons, {int(m.group(2)):,} findings" if m else "?"

    return [
        f"1M: quality run {first.seconds:.1f} s, peak {first.peak_mib:,.0f} MiB "
        f"({found(first.output)})",
        f"{COPIES}× ({found(output)}): quality run {t:.1f} s "
        f"(runs {', '.join(f'{x:.1f}' for x in times)}), peak {median(peaks):,.0f} MiB; "
        f"{ratio:.1f}× the 1M time  [limit {RATIO_LIMIT:.0f}×: {verdict}]",
    ]
