"""Benchmark: generate the synthetic county (1,000,000 persons × 5 years) in a child process.

Limits from the issue: at most 60 s wall time and 3 GB peak memory on a 2-core machine. The
last output stays in ``bench/out/county-1m`` for the benchmarks that load it; ``ensure_county``
gives them a county without regenerating one that is already complete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.common import OUT, median, run_measured

LIMIT_SECONDS = 60.0
LIMIT_MIB = 3072.0
YEARS = 5
SEED = 1


def county_dir(persons: int) -> Path:
    """``bench/out/county-1m`` for a million persons, ``county-100k``, else the plain number."""
    if persons % 1_000_000 == 0:
        label = f"{persons // 1_000_000}m"
    elif persons % 1_000 == 0:
        label = f"{persons // 1_000}k"
    else:
        label = str(persons)
    return OUT / f"county-{label}"


def _command(persons: int, years: int, seed: int, out: Path) -> list[str]:
    """A child interpreter that generates one county (so its peak memory is measured alone)."""
    code = (
        "from pathlib import Path; from renkou.synth.county import generate; "
        f"generate(persons={persons}, years={years}, seed={seed}, out=Path({str(out)!r}))"
    )
    return [sys.executable, "-c", code]


def ensure_county(persons: int, years: int = YEARS, seed: int = SEED) -> Path:
    """The directory of a county with these parameters, generated only if not already there."""
    out = county_dir(persons)
    summary = out / "summary.json"
    if summary.exists():
        params = json.loads(summary.read_text("utf-8")).get("parameters", {})
        wanted = {"persons": persons, "years": years, "seed": seed, "format": "parquet"}
        if all(params.get(k) == v for k, v in wanted.items()):
            return out
    from renkou.synth.county import generate

    generate(persons=persons, years=years, seed=seed, out=out)
    return out


def run(repeat: int, scale: str) -> list[str]:
    """Generate the county ``repeat`` times; report the median time and peak memory."""
    persons = 100_000 if scale == "small" else 1_000_000
    out = county_dir(persons)
    runs = [run_measured(_command(persons, YEARS, SEED, out)) for _ in range(repeat)]
    seconds = median([r.seconds for r in runs])
    peak = median([r.peak_mib for r in runs])
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    counts = summary["counts"]

    def verdict(value: float, limit: float) -> str:
        return "ok" if value <= limit else "OVER LIMIT"

    return [
        f"   county of {persons:,} persons × {YEARS} years (seed {SEED}) -> {out}",
        f"   rows: {counts['persons']:,} persons, {counts['households']:,} households, "
        f"{counts['events']:,} events",
        f"   time  median {seconds:6.1f} s   of {repeat} runs (limit {LIMIT_SECONDS:.0f} s) "
        f"{verdict(seconds, LIMIT_SECONDS)}",
        f"   peak  median {peak:6.0f} MiB of {repeat} runs (limit {LIMIT_MIB:.0f} MiB) "
        f"{verdict(peak, LIMIT_MIB)}",
        f"   TFR {summary['total_fertility_rate']}, SRB {summary['sex_ratio_at_birth']}, "
        f"CDR {summary['crude_death_rate_permille']} ‰, "
        f"floating {summary['floating_share_pct']} %",
    ]
