"""Benchmark: ``renkou registry load`` of the 1,000,000-person county into SQLite and PostgreSQL.

Limit from the issue: at most 120 s each. Every run starts from a freshly migrated, empty
database (not timed). The loader's own report splits the time between the bulk inserts
(building the rows included) and the rest (reading, validating every row, identity-number
parsing, encryption), which is how the gap to a plain bulk insert is explained.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.synth import ensure_county

LIMIT_SECONDS = 120.0
PG_ADMIN_URL = os.environ.get(
    "RENKOU_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
PG_DB = "renkou_bench"


def sqlite_env() -> dict[str, str | None]:
    """A data directory of its own, keys included, for the SQLite runs."""
    return {"RENKOU_DATA_DIR": str(OUT / "load-sqlite"), "RENKOU_DATABASE_URL": None}


def postgres_env() -> dict[str, str | None]:
    """The benchmark database on the local PostgreSQL (same keys directory)."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return {"RENKOU_DATA_DIR": str(OUT / "load-postgres"), "RENKOU_DATABASE_URL": f"{base}/{PG_DB}"}


def fresh(backend: str) -> dict[str, str | None]:
    """An empty, migrated database for ``backend``; returns the environment to use it."""
    if backend == "sqlite":
        env = sqlite_env()
        for marker in (OUT / "load-sqlite").glob("loaded-*"):
            marker.unlink()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{env['RENKOU_DATA_DIR']}/renkou.sqlite3{suffix}").unlink(missing_ok=True)
    else:
        env = postgres_env()
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    run_measured(renkou_cmd("migrate", "-v0"), env)
    return env


def postgres_available() -> bool:
    """Whether the local PostgreSQL answers."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception:  # any failure means "not available" here
        return False
    return True


def run(repeat: int, scale: str) -> list[str]:
    """Load the county ``repeat`` times into each backend; report medians."""
    persons = 100_000 if scale == "small" else 1_000_000
    county = ensure_county(persons)
    lines = [f"county: {county} ({persons:,} persons)"]
    backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
    if "postgres" not in backends:
        lines.append("postgres: NOT MEASURED (no server at RENKOU_BENCH_POSTGRES_URL)")
    for backend in backends:
        times, inserts, peaks = [], [], []
        for _ in range(repeat):
            env = fresh(backend)
            measured = run_measured(renkou_cmd("registry", "load", str(county)), env, capture=True)
            match = re.search(r"bulk insert ([\d.]+) s", measured.output)
            if backend == "sqlite":
                (OUT / "load-sqlite" / f"loaded-{persons}").touch()
            times.append(measured.seconds)
            inserts.append(float(match.group(1)) if match else float("nan"))
            peaks.append(measured.peak_mib)
        t, ins = median(times), median(inserts)
        verdict = "ok" if t <= LIMIT_SECONDS or scale == "small" else "OVER LIMIT"
        lines.append(
            f"{backend:8} load {t:6.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}), "
            f"{persons / t:,.0f} persons/s, peak {median(peaks):,.0f} MiB  "
            f"[limit {LIMIT_SECONDS:.0f} s: {verdict}]"
        )
        lines.append(
            f"{'':8} of which bulk insert {ins:.1f} s ({ins / t:.0%}); reading, validating, "
            f"parsing and encrypting {t - ins:.1f} s"
        )
    return lines


def loaded_sqlite(persons: int) -> dict[str, str | None]:
    """Environment of a SQLite database holding the county (loads it if needed)."""
    env = sqlite_env()
    marker = OUT / "load-sqlite" / f"loaded-{persons}"
    if not marker.exists():
        env = fresh("sqlite")
        run_measured(renkou_cmd("registry", "load", str(ensure_county(persons))), env, capture=True)
        marker.touch()
    return env
