"""Benchmark: server-side page times under 20 concurrent clients on the 1,000,000-person county.

Limits from issue 3 (p95): search by identity number ≤ 50 ms, by name or pinyin ≤ 200 ms,
person page ≤ 150 ms, review queue ≤ 200 ms. The load comes from wrk (20 connections, a C
program, so the clients take little of the CPU the server needs); the server is gunicorn
as ``renkou serve`` starts it, on loopback, over the SQLite database of the load benchmark.
p95/p50 are the server's own times (the ``Server-Timing`` header, written to gunicorn's
access log); "client p99" is what wrk waited, queueing before the server included. The SQL
queries each page makes are counted once beforehand.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, renkou_cmd, run_measured
from bench.load import loaded_sqlite
from renkou.web.management.commands.serve import DEFAULT_THREADS, DEFAULT_WORKERS

CLIENTS = 20
PORT = 8123
SECONDS = 5
# As ``renkou serve`` starts it (RENKOU_BENCH_WORKERS / _THREADS to try others).
WORKERS = int(os.environ.get("RENKOU_BENCH_WORKERS", str(DEFAULT_WORKERS)))
THREADS = int(os.environ.get("RENKOU_BENCH_THREADS", str(DEFAULT_THREADS)))
ACCESS_LOG = OUT / "web-access.log"
LIMITS = {
    "search_id": 50,
    "search_name": 200,
    "search_pinyin": 200,
    "person_page": 150,
    "review_queue": 200,
    "statistics": 300,  # issue 5: a dashboard page served from the indicator cache
}
STAT_PERIODS = ["2025", "2024", "2024Oct", "2025Q3", "2025Q1", "202506", "202412"]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _urls(kind: str, data: dict, i: int) -> str:
    n = i % len(data["persons"])
    if kind == "search_id":
        return f"/persons/?q={data['ids'][n]}"
    if kind == "search_name":
        return f"/persons/?q={urllib.parse.quote(data['names'][n])}"
    if kind == "search_pinyin":
        return f"/persons/?q={data['pinyins'][n]}"
    if kind == "person_page":
        return f"/persons/{data['persons'][n]}/"
    if kind == "statistics":
        units = data["stat_units"]
        basis = "resident" if i % 2 else "registered"
        period = STAT_PERIODS[i % len(STAT_PERIODS)]
        return f"/statistics/{units[i % len(units)]}/?period={period}&basis={basis}"
    return "/changes/"


CACHE_FILL = (
    "from renkou.analytics.models import IndicatorValue\n"
    "from django.core.management import call_command\n"
    "if not IndicatorValue.objects.exists():\n"
    "    call_command('indicators', '--refresh', '--full', '--from', '2021-01-01', "
    "'--to', '2025-12-31')\n"
)

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("RK_PATHS")) do paths[#paths + 1] = line end
local i = 0
wrk.headers["Cookie"] = "sessionid=" .. os.getenv("RK_SESSION")
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def _wrk_ms(text: str) -> float:
    """A wrk latency figure ("812.00us", "12.5ms", "1.2s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def wrk_run(
    connections: int, seconds: int, paths: Path, cookie: str, port: int, *extra: str
) -> subprocess.CompletedProcess[str]:
    """wrk with ``connections`` for ``seconds``, each request the next of ``paths``
    (WRK_SCRIPT, written beside them), signed in with the session ``cookie``."""
    script = paths.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    return subprocess.run(
        [
            "wrk",
            "--latency",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            *extra,
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "RK_PATHS": str(paths), "RK_SESSION": cookie},
        capture_output=True,
        text=True,
        check=True,
    )


def _hammer(kind: str, data: dict, seconds: int) -> tuple[list[float], float, float]:
    """``CLIENTS`` connections from wrk for ``seconds``; returns the server-side times (ms)
    that gunicorn logged from the Server-Timing header, the requests per second, and the
    99th percentile of the time the clients waited (queueing before the server included)."""
    paths = OUT / "web-paths.txt"
    paths.write_text("\n".join(_urls(kind, data, i) for i in range(len(data["persons"]))))
    ACCESS_LOG.write_text("")
    result = wrk_run(CLIENTS, seconds, paths, data["cookie"], PORT)
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"{kind}: error responses\n{result.stdout}")
    rate = float(result.stdout.split("Requests/sec:")[1].split()[0])
    client_p99 = _wrk_ms(re.search(r"99%\s+(\S+)", result.stdout).group(1))
    times = [
        float(line.split("dur=")[1])
        for line in ACCESS_LOG.read_text().splitlines()
        if "dur=" in line
    ]
    return times, rate, client_p99


def gunicorn_start(
    env: dict[str, str],
    port: int,
    access_log: Path,
    access_format: str,
    output: Any = subprocess.DEVNULL,
    workers: int = WORKERS,
    threads: int = THREADS,
) -> subprocess.Popen:
    """gunicorn as ``renkou serve`` starts it, logging each request in ``access_format``;
    returns once it answers ``/healthz``."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "renkou.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            access_format,
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    return server


def run(repeat: int, scale: str) -> list[str]:
    """Time each page kind ``repeat`` times under 20 clients; report the median p95."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    # The dashboard reads the indicator cache: fill it once (the indicators benchmark does too).
    run_measured(renkou_cmd("shell", "-c", CACHE_FILL), env, capture=True)
    setup = run_measured(
        renkou_cmd("shell", "-c", (ROOT / "bench" / "web_setup.py").read_text()), env, capture=True
    )
    data = json.loads(setup.output.split("BENCH-JSON ", 1)[1])
    child_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    server = gunicorn_start(child_env, PORT, ACCESS_LOG, "%({server-timing}o)s")
    try:
        lines = [
            f"wrk, {CLIENTS} connections × {SECONDS} s per run, gunicorn {WORKERS}×{THREADS} "
            f"threads, {persons:,}-person county; p95/p50 are the server's own times"
        ]
        kinds = os.environ.get("RENKOU_BENCH_PAGES", ",".join(LIMITS)).split(",")
        for kind, limit in LIMITS.items():
            if kind not in kinds:
                continue
            _hammer(kind, data, 1)  # warm caches
            p95s, p50s, rates, waits = [], [], [], []
            for _ in range(repeat):
                times, rate, client_p99 = _hammer(kind, data, SECONDS)
                p95s.append(_p95(times))
                p50s.append(statistics.median(times))
                rates.append(rate)
                waits.append(client_p99)
            p95 = statistics.median(p95s)
            verdict = "ok" if p95 <= limit else "OVER LIMIT"
            lines.append(
                f"  {kind:14} p95 {p95:6.1f} ms  p50 {statistics.median(p50s):6.1f} ms  "
                f"{statistics.median(rates):5.0f} req/s  "
                f"client p99 {statistics.median(waits):6.1f} ms  SQL {data['queries'][kind]:2}  "
                f"[limit {limit} ms: {verdict}]"
            )
        return lines
    finally:
        server.terminate()
        server.wait(timeout=20)
