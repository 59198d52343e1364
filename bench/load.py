"""Benchmark: ``renkou registry load`` of the 1,000,000-person county into SQLite and PostgreSQL.

Limits from issue 22: 1,000,000 persons at most 75 s each, 10,000,000 at most 15 min, and
peak memory at most 1.5 GB whatever the size (the load streams its files in chunks).
``RENKOU_BENCH_LOAD_PERSONS`` (e.g. ``1000000,2000000,3000000``) loads counties of those
sizes instead, to show memory flat and time linear in persons; ``RENKOU_BENCH_LOAD_BACKENDS``
(``sqlite,postgres``) picks the databases. Every run starts from a freshly migrated, empty
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

LIMIT_SECONDS = 75.0  # per million persons, up to the 15 min for ten million
LIMIT_MIB = 1536.0
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
    """Load each county ``repeat`` times into each backend; report medians."""
    sizes = os.environ.get("RENKOU_BENCH_LOAD_PERSONS", "")
    default = 100_000 if scale == "small" else 1_000_000
    lines = []
    for persons in [int(s) for s in sizes.split(",") if s.strip()] or [default]:
        lines += _run_size(repeat, scale, persons)
    return lines


def _limit(persons: int) -> float:
    """Seconds allowed: 75 s a million, at most 15 min (the ten-million figure)."""
    return min(LIMIT_SECONDS * persons / 1_000_000, 900.0) if persons >= 1_000_000 else 75.0


def _run_size(repeat: int, scale: str, persons: int) -> list[str]:
    county = ensure_county(persons)
    lines = [f"county: {county} ({persons:,} persons)"]
    backends = [
        b for b in os.environ.get("RENKOU_BENCH_LOAD_BACKENDS", "sqlite,postgres").split(",")
    ]
    if "postgres" in backends and not postgres_available():
        backends.remove("postgres")
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
        t, ins, peak = median(times), median(inserts), median(peaks)
        limit = _limit(persons)
        verdict = "ok" if (t <= limit and peak <= LIMIT_MIB) or scale == "small" else "OVER LIMIT"
        lines.append(
            f"{backend:8} load {t:6.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}), "
            f"{persons / t:,.0f} persons/s, peak {peak:,.0f} MiB "
            f"(runs {', '.join(f'{x:.0f}' for x in peaks)})  "
            f"[limit {limit:.0f} s, {LIMIT_MIB:.0f} MiB: {verdict}]"
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
