"""Benchmark: ``renkou backup`` and ``renkou restore`` of the loaded county on SQLite and
PostgreSQL (1,000,000 persons; ``--scale small``: 10,000).

Each figure is the median of ``--repeat`` runs of the command as an operator runs it, in
a child process: wall time and peak memory (of the command and what it waits for:
pg_dump, pg_restore, psql). The county is loaded once per backend and size (not timed);
a restore puts back the backup just made, so the database stays the county.
"""

from __future__ import annotations

import os
import re
import shutil

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.load import PG_ADMIN_URL, loaded_sqlite, postgres_available
from bench.synth import ensure_county

# The PostgreSQL benchmark database of this benchmark alone (others drop theirs).
PG_DB = os.environ.get("RENKOU_BENCH_BACKUP_DB", "renkou_bench_backup")


def loaded_postgres(persons: int) -> dict[str, str | None]:
    """Environment of a PostgreSQL database holding the county (loads it if needed)."""
    import psycopg

    data = OUT / "backup-postgres"
    env: dict[str, str | None] = {
        "RENKOU_DATA_DIR": str(data),
        "RENKOU_DATABASE_URL": f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{PG_DB}",
    }
    marker = data / f"loaded-{persons}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone()
        if exists and marker.exists():
            return env
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    shutil.rmtree(data, ignore_errors=True)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    run_measured(renkou_cmd("registry", "load", str(ensure_county(persons))), env, capture=True)
    marker.touch()
    return env


def _measure(backend: str, env: dict[str, str | None], repeat: int) -> list[str]:
    target = OUT / f"backup-{backend}-copies"
    backups, restores, size = [], [], 0.0
    for i in range(repeat):
        shutil.rmtree(target, ignore_errors=True)
        out = target / f"run-{i}"
        backups.append(run_measured(renkou_cmd("backup", str(out)), env, capture=True))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
        restores.append(run_measured(renkou_cmd("restore", str(out), "--yes"), env, capture=True))
    shutil.rmtree(target, ignore_errors=True)
    lines = []
    for label, runs in (("backup", backups), ("restore", restores)):
        times = [m.seconds for m in runs]
        own = [_own_seconds(m.output) for m in runs]
        peak = median([m.peak_mib for m in runs])
        extra = f", backup {size:,.0f} MiB" if label == "backup" else ""
        lines.append(
            f"{backend:8} {label:7} {median(times):7.1f} s (runs "
            f"{', '.join(f'{t:.1f}' for t in times)}), peak {peak:,.0f} MiB{extra}"
        )
        lines.append(
            f"{'':8} {'':7} of which the {label} itself {median(own):.1f} s "
            "(the rest: starting the command)"
        )
    return lines


def _own_seconds(output: str) -> float:
    """The seconds the command reports for its own work (after Django has started)."""
    match = re.search(r"([\d.]+) s\b", output)
    return float(match.group(1)) if match else float("nan")


def run(repeat: int, scale: str) -> list[str]:
    """Back up and restore the county ``repeat`` times on each backend; report medians."""
    persons = 10_000 if scale == "small" else 1_000_000
    lines = [f"county: {ensure_county(persons)} ({persons:,} persons)"]
    lines += _measure("sqlite", loaded_sqlite(persons), repeat)
    if postgres_available():
        lines += _measure("postgres", loaded_postgres(persons), repeat)
    else:
        lines.append("postgres: NOT MEASURED (no server at RENKOU_BENCH_POSTGRES_URL)")
    return lines
