"""Benchmark: ``renkou exchange import`` of a 100,000-row police-register xlsx, then ``link``.

Limit from the issue: import and validation of 100,000 xlsx rows in at most 15 s.
``RENKOU_BENCH_EXCHANGE_ROWS`` sets another row count (issue 23: 1,000,000 rows in at most
60 s and 1 GB); the peak memory reported is the most any process of the import held (the
command or its spreadsheet-reading child). Every run
imports a different file (idempotency would skip a repeat) into its own SQLite database
holding only the org-unit tree, so ``link`` here times the exact pass and the writes, not
linkage quality (the quality benchmark on the synthetic county is still to be written).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

from bench.common import OUT, ROOT, median, renkou_cmd, run_measured
from renkou.core.idnumber import check_character
from tests.builders import ORGUNITS, TOWNSHIP_A, write_csv
from tests.exchange.xlsx import write_xlsx

LIMIT_SECONDS = 15.0
STREAM_SECONDS, STREAM_MIB = 60.0, 1024.0  # issue 23: beyond 100,000 rows, up to 1,000,000
DIR = OUT / "exchange"


def _roster(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    data: list[list[object]] = [["序号", "姓名", "性别", "出生日期", "公民身份号码", "民族"]]
    for i in range(rows):
        year, month, day = rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28)
        seq = rng.randint(1, 999)
        first17 = f"330122{year}{month:02d}{day:02d}{seq:03d}"
        sex = "男" if seq % 2 else "女"
        birth = f"{year}年{month}月{day}日" if i % 2 else f"{year}-{month:02d}-{day:02d}"
        data.append([i + 1, "张伟", sex, birth, first17 + check_character(first17), "汉族"])
    return write_xlsx(path, data)


def _roster_in_child(path: Path, rows: int, seed: int) -> Path:
    """Write the roster in another process: the peak memory of a command (wait4) counts the
    high-water mark of the process that started it, which building the rows would raise."""
    code = f"from pathlib import Path; from bench.exchange import _roster; _roster(Path({str(path)!r}), {rows}, {seed})"  # noqa: E501
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return path


def run(repeat: int, scale: str) -> list[str]:
    """Import (and link) a fresh roster ``repeat`` times; report medians."""
    rows = int(os.environ.get("RENKOU_BENCH_EXCHANGE_ROWS") or 0) or (
        10_000 if scale == "small" else 100_000
    )
    env: dict[str, str | None] = {"RENKOU_DATA_DIR": str(DIR), "RENKOU_DATABASE_URL": None}
    DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DIR}/renkou.sqlite3{suffix}").unlink(missing_ok=True)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    orgunits = write_csv(DIR / "orgunits.csv", ORGUNITS)
    run_measured(renkou_cmd("orgunits", "load", str(orgunits)), env, capture=True)
    imports, links, peaks = [], [], []
    for index in range(repeat):
        path = _roster_in_child(DIR / f"roster-{index}.xlsx", rows, seed=index)
        args = ("exchange", "import", "--kind", "police_register", "--orgunit", TOWNSHIP_A)
        measured = run_measured(renkou_cmd(*args, str(path)), env, capture=True)
        imports.append(measured.seconds)
        peaks.append(measured.peak_mib)
        import_id = re.search(r"import (\d+)", measured.output).group(1)  # type: ignore[union-attr]
        links.append(run_measured(renkou_cmd("exchange", "link", import_id), env).seconds)
    t, peak = median(imports), median(peaks)
    if rows > 100_000:
        fits = t <= STREAM_SECONDS and peak <= STREAM_MIB
        limit = f"limit {STREAM_SECONDS:.0f} s, {STREAM_MIB:,.0f} MiB"
    else:
        fits, limit = t <= LIMIT_SECONDS or scale == "small", f"limit {LIMIT_SECONDS:.0f} s"
    return [
        f"import {rows:,} xlsx rows {t:.1f} s (runs {', '.join(f'{x:.1f}' for x in imports)}), "
        f"{rows / t:,.0f} rows/s, peak {peak:,.0f} MiB  [{limit}: {'ok' if fits else 'OVER'}]",
        f"link (exact pass, empty register) {median(links):.1f} s",
    ]
