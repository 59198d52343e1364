"""Shared helpers for benchmarks: medians, peak memory of a child process."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


@dataclass
class Measured:
    """Wall time in seconds and peak resident memory in MiB of one child process."""

    seconds: float
    peak_mib: float
    output: str = ""


def run_measured(
    cmd: list[str], env: dict[str, str] | None = None, *, capture: bool = False
) -> Measured:
    """Run ``cmd`` as a child process; return its wall time and peak RSS (via wait4).

    ``env`` values of None remove a variable; ``capture`` keeps the child's stdout.
    """
    child_env = {**os.environ}
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, env=child_env, cwd=ROOT, stdout=out if capture else None)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read() if capture else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark command failed: {' '.join(cmd)}\n{text[-2000:]}")
    return Measured(elapsed, usage.ru_maxrss / 1024, text)


def median(values: list[float]) -> float:
    """The median, the figure every benchmark reports."""
    return statistics.median(values)


def renkou_cmd(*args: str) -> list[str]:
    """The ``renkou`` command line run with this interpreter."""
    return [sys.executable, "-m", "renkou.cli", *args]


def self_peak_mib() -> float:
    """Peak RSS of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
