"""Benchmark: server-side page times under 20 concurrent clients on the 1,000,000-person county.

Limits from issue 3 (p95): search by identity number ≤ 50 ms, by name or pinyin ≤ 200 ms,
person page ≤ 150 ms, review queue ≤ 200 ms. The server is gunicorn (2 processes × 4
threads, as ``renkou serve`` starts it) on loopback over the SQLite database of the load
benchmark; times are the server's own (``Server-Timing``), and the SQL queries each page
makes are counted once beforehand.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from bench.common import ROOT, renkou_cmd, run_measured
from bench.load import loaded_sqlite

CLIENTS = 20
PORT = 8123
LIMITS = {
    "search_id": 50,
    "search_name": 200,
    "search_pinyin": 200,
    "person_page": 150,
    "review_queue": 200,
}


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
    return "/changes/"


def _hammer(kind: str, data: dict, per_client: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        for i in range(per_client):
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}{_urls(kind, data, offset * per_client + i)}",
                headers={"Cookie": f"sessionid={data['cookie']}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                dur = float(response.headers["Server-Timing"].split("dur=")[1])
            with lock:
                times.append(dur)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def run(repeat: int, scale: str) -> list[str]:
    """Time each page kind ``repeat`` times under 20 clients; report the median p95."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    setup = run_measured(
        renkou_cmd("shell", "-c", (ROOT / "bench" / "web_setup.py").read_text()), env, capture=True
    )
    data = json.loads(setup.output.split("BENCH-JSON ", 1)[1])
    child_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "renkou.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        lines = [f"{CLIENTS} concurrent clients, gunicorn 2×4 threads, {persons:,}-person county"]
        for kind, limit in LIMITS.items():
            _hammer(kind, data, 2)  # warm caches
            p95s, p50s = [], []
            for _ in range(repeat):
                times = _hammer(kind, data, 10)
                p95s.append(_p95(times))
                p50s.append(statistics.median(times))
            p95 = statistics.median(p95s)
            verdict = "ok" if p95 <= limit else "OVER LIMIT"
            lines.append(
                f"  {kind:14} p95 {p95:6.1f} ms  p50 {statistics.median(p50s):6.1f} ms  "
                f"SQL queries {data['queries'][kind]:2}  [limit {limit} ms: {verdict}]"
            )
        return lines
    finally:
        server.terminate()
        server.wait(timeout=20)
