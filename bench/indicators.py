"""Benchmark: every indicator for every org unit and period of the 1,000,000-person county.

Limits from the issue: a full refresh of all indicators for all org units and all periods
(months, quarters, years, statistical years and their halves) at most 30 s and 4 GB. It is
run as ``renkou indicators --refresh --full`` over the five synthetic years, from an
up-to-date snapshot (snapshots refresh incrementally; a rebuild of the snapshot from scratch
is timed on its own line). In the same run the same counts are made straight from the live
SQLite tables with SQL GROUP BY, and the ratio of the two times is printed.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from collections import defaultdict
from pathlib import Path

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.load import loaded_sqlite

LIMIT_SECONDS = 30.0
LIMIT_MIB = 4096.0
LIMIT_INCREMENTAL = 3.0
NEW_EVENTS = 1000

# 1,000 new applied events through the registry services: deaths of living persons and
# moves of residence between villages, all in the last month of the history, as a busy day
# of reports would bring them (each applied with a reason for any warning it raises).
APPLY_EVENTS = f"""
import datetime, random
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
rng = random.Random(11)
villages = list(OrgUnit.objects.filter(level=5).values_list("code", flat=True))
ids = list(Person.objects.filter(status="alive", residence_orgunit__isnull=False)
    .values_list("pk", flat=True)[:200000])
chosen = rng.sample(ids, {NEW_EVENTS})
day = datetime.date(2025, 12, 31)
for n, pk in enumerate(chosen):
    person = Person.objects.get(pk=pk)
    home = person.residence_orgunit_id or person.hukou_orgunit_id
    if n % 2:
        event = services.event_submit(kind="death", person=person,
            orgunit=OrgUnit.objects.get(code=home), effective_date=day, source="village",
            actor="bench")
    else:
        to = rng.choice([v for v in villages if v != home][:50])
        event = services.event_submit(kind="move_out", person=person,
            orgunit=OrgUnit.objects.get(code=home), effective_date=day, source="village",
            actor="bench", payload={{"to_orgunit": to}})
    services.event_apply(event=event, actor="bench", warnings_reason="bench")
print("applied", len(chosen))
"""
FIRST, LAST = "2021-01-01", "2025-12-31"

SNAPSHOT_REBUILD = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'renkou.settings'); "
    "django.setup(); from renkou.analytics.snapshot import snapshot_rebuild; "
    "r = snapshot_rebuild(); print(r.events, 'events', r.persons, 'persons')"
)

# The live-table version: population at every month boundary by unit, sex and age group,
# births by month, unit, sex and order, deaths by month, unit, sex and infancy, moves by
# month and unit, for both bases, each as one GROUP BY; rolled up to every level and summed
# into periods afterwards. It uses each person's current place (not the history), so it does
# less than the snapshot engine does.
BOUNDARIES = f"""
WITH RECURSIVE b(k, d) AS (
    SELECT 0, '{FIRST}' UNION ALL SELECT k + 1, date(d, '+1 month') FROM b WHERE k < 60
)"""
LIVE_SQL = {
    "population": BOUNDARIES
    + """
SELECT b.k, p.{place}_orgunit_id, p.sex,
       min((CAST(strftime('%Y', b.d) AS int) - CAST(strftime('%Y', p.birth_date) AS int)
            - (strftime('%m-%d', b.d) < strftime('%m-%d', p.birth_date))) / 5, 20),
       count(*)
FROM b JOIN registry_person p
  ON p.birth_date < b.d AND (p.death_date IS NULL OR p.death_date >= b.d)
WHERE p.{place}_orgunit_id IS NOT NULL
GROUP BY 1, 2, 3, 4""",
    "births": f"""
SELECT strftime('%Y-%m', e.effective_date), p.{{place}}_orgunit_id, p.sex,
       min(coalesce(p.birth_order, 0), 3), count(*)
FROM registry_event e JOIN registry_person p ON p.id = e.person_id
WHERE e.kind = 'birth' AND e.applied_seq IS NOT NULL
  AND e.effective_date BETWEEN '{FIRST}' AND '{LAST}' AND p.{{place}}_orgunit_id IS NOT NULL
GROUP BY 1, 2, 3, 4""",
    "deaths": f"""
SELECT strftime('%Y-%m', p.death_date), p.{{place}}_orgunit_id, p.sex,
       p.death_date < date(p.birth_date, '+1 year'), count(*)
FROM registry_person p
WHERE p.death_date BETWEEN '{FIRST}' AND '{LAST}' AND p.{{place}}_orgunit_id IS NOT NULL
GROUP BY 1, 2, 3, 4""",
    "moves": f"""
SELECT strftime('%Y-%m', e.effective_date), e.orgunit_id, e.kind, count(*)
FROM registry_event e
WHERE e.kind IN ('move_in', 'move_out', 'hukou_in', 'hukou_out')
  AND e.effective_date BETWEEN '{FIRST}' AND '{LAST}'
GROUP BY 1, 2, 3""",
}


def live_sql(database: Path) -> tuple[float, int]:
    """Run the live-table queries for both bases and roll them up; (seconds, cells)."""
    started = time.perf_counter()
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    cells: dict[tuple[object, ...], int] = defaultdict(int)
    for place in ("hukou", "residence"):
        for name, sql in LIVE_SQL.items():
            for row in con.execute(sql.replace("{place}", place)):
                *keys, n = row
                unit = keys[1]
                if not unit:
                    continue
                for length in (2, 4, 6, 9, 12):
                    if length <= len(unit):
                        cells[(place, name, keys[0], unit[:length], *keys[2:])] += n
    con.close()
    return time.perf_counter() - started, len(cells)


def incremental(env: dict[str, str | None], repeat: int) -> list[str]:
    """Refresh after 1,000 new events, on a copy of the county (the original stays as it is)."""
    source = Path(str(env["RENKOU_DATA_DIR"]))
    times, walls, peaks, outputs = [], [], [], []
    for _ in range(repeat):
        copy = OUT / "indicators-incremental"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, copy)
        local = {**env, "RENKOU_DATA_DIR": str(copy)}
        run_measured(renkou_cmd("migrate", "-v0"), local)
        run_measured(renkou_cmd("shell", "-c", APPLY_EVENTS), local, capture=True)
        # Copying the 1.8 GB database leaves its pages to be written back; without this the
        # refresh's first fsync (SQLite's WAL checkpoint) would wait for the copy's pages.
        os.sync()
        measured = run_measured(
            renkou_cmd("indicators", "--refresh", "--language", "en"), local, capture=True
        )
        # The refresh's own time, as the worker (already running) spends it; the command's
        # process start (Python, Django, DuckDB, pandas imports) is reported beside it.
        line = measured.output.strip().splitlines()[-1]
        found = re.search(r"in ([0-9.]+) s", line)
        times.append(float(found.group(1)) if found else measured.seconds)
        walls.append(measured.seconds)
        peaks.append(measured.peak_mib)
        outputs.append(line)
    t = median(times)
    verdict = "ok" if t <= LIMIT_INCREMENTAL else "OVER LIMIT"
    return [
        f"incremental refresh after {NEW_EVENTS:,} new events {t:.1f} s "
        f"(runs {', '.join(f'{x:.1f}' for x in times)}; whole command with its start "
        f"{median(walls):.1f} s), peak {median(peaks):,.0f} MiB  "
        f"[limit {LIMIT_INCREMENTAL:.0f} s: {verdict}]",
        f"  {outputs[-1]}",
    ]


def run(repeat: int, scale: str) -> list[str]:
    """Refresh everything ``repeat`` times; report medians, then the live-SQL comparison."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    snap = run_measured([*renkou_cmd("shell", "-c", SNAPSHOT_REBUILD)], env, capture=True)
    lines = [
        f"snapshot rebuild from scratch {snap.seconds:.1f} s, peak {snap.peak_mib:,.0f} MiB "
        f"({snap.output.strip()})"
    ]
    times, peaks, stored = [], [], ""
    for _ in range(repeat):
        measured = run_measured(
            renkou_cmd(
                "indicators", "--refresh", "--full", "--from", FIRST, "--to", LAST,
                "--language", "en",
            ),
            env,
            capture=True,
        )  # fmt: skip
        times.append(measured.seconds)
        peaks.append(measured.peak_mib)
        found = re.search(r"(\d+) figures stored for (\d+) periods", measured.output)
        stored = f"{int(found.group(1)):,} figures, {found.group(2)} periods" if found else ""
    t, peak = median(times), median(peaks)
    ok = (t <= LIMIT_SECONDS and peak <= LIMIT_MIB) or scale == "small"
    lines.append(
        f"full refresh {t:.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}), "
        f"peak {peak:,.0f} MiB, {stored}  "
        f"[limit {LIMIT_SECONDS:.0f} s, {LIMIT_MIB / 1024:.0f} GB: {'ok' if ok else 'OVER LIMIT'}]"
    )
    lines += incremental(env, repeat)
    if os.environ.get("BENCH_SKIP_LIVE"):  # the live SQL takes minutes and does not change
        return lines
    database = Path(str(env["RENKOU_DATA_DIR"])) / "renkou.sqlite3"
    live, cells = live_sql(database)
    lines.append(
        f"live SQLite GROUP BY of the same counts (current places only) {live:.1f} s, "
        f"{cells:,} cells; snapshot engine is {live / t:.1f}× faster"
    )
    return lines
