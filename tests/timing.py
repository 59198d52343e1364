"""A pytest plugin that records a run's outcome counts and slowest tests for tests/run.py.

Loaded with ``-p tests.timing``; writes JSON to ``RENKOU_TEST_TIMES`` at the end of the run
(in the controller only, when pytest-xdist spreads the tests over workers: the workers' reports
reach the controller with their durations).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

_seconds: dict[str, float] = defaultdict(float)
_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up set-up, call and tear-down; keep the worst outcome of the three."""
    _seconds[report.nodeid] += report.duration
    if report.when == "call" or report.outcome != "passed":
        outcome = report.outcome
        if report.when != "call" and report.outcome == "failed":
            outcome = "error"
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        if _outcomes.get(report.nodeid) not in {"failed", "error"}:
            _outcomes[report.nodeid] = outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the counts, the slowest tests and each file's total (controller or single
    process only)."""
    target = os.environ.get("RENKOU_TEST_TIMES")
    if not target or hasattr(session.config, "workerinput"):
        return
    slowest = sorted(((s, n) for n, s in _seconds.items()), reverse=True)[:25]
    files: dict[str, float] = defaultdict(float)
    for nodeid, seconds in _seconds.items():
        files[nodeid.split("::", 1)[0]] += seconds
    by_file = sorted(((round(s, 1), f) for f, s in files.items()), reverse=True)
    data = {
        "counts": dict(Counter(_outcomes.values())),
        "slowest": slowest,
        "files": by_file,
    }
    Path(target).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
