"""Benchmark: ``renkou registry rebuild --verify`` over the loaded 1,000,000-person county.

Limit from the issue: at most 60 s. Uses the SQLite database the load benchmark leaves
(loading it first if needed).
"""

from __future__ import annotations

import re

from bench.common import median, renkou_cmd, run_measured
from bench.load import loaded_sqlite

LIMIT_SECONDS = 60.0


def run(repeat: int, scale: str) -> list[str]:
    """Verify the register ``repeat`` times; report the median."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    times, peaks, outputs = [], [], []
    for _ in range(repeat):
        measured = run_measured(renkou_cmd("registry", "rebuild", "--verify"), env, capture=True)
        times.append(measured.seconds)
        peaks.append(measured.peak_mib)
        outputs.append(measured.output)
    t = median(times)
    folded = re.search(r"(\d+) persons, (\d+) events.*?(\d+) differ", outputs[-1])
    verdict = "ok" if t <= LIMIT_SECONDS or scale == "small" else "OVER LIMIT"
    lines = [
        f"rebuild --verify {t:.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}), "
        f"peak {median(peaks):,.0f} MiB  [limit {LIMIT_SECONDS:.0f} s: {verdict}]"
    ]
    if folded:
        lines.append(
            f"  {int(folded.group(1)):,} persons, {int(folded.group(2)):,} events folded, "
            f"{folded.group(3)} differences"
        )
    return lines
