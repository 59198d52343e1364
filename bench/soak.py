"""Benchmark: a soak of mixed reads and writes on the 1,000,000-person county (issue 23).

50 connections from wrk read the pages a township office uses all day (search by identity
number, name and pinyin, person pages, the review queue, the dashboard), mixed, while 5
writers file births through the API (each one retried once with the same ``client_ref``,
as a client that lost the answer would) for ``RENKOU_BENCH_SOAK_SECONDS`` (default 600).
The server is gunicorn as ``renkou serve`` starts it, with its worker, over the SQLite
database of the load benchmark. Pass: no error response, no "database is locked" in the
server's log, and each page kind's server-side p95 within issue 3's limits (bench/web.py).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

from bench.common import OUT, ROOT, renkou_cmd, run_measured
from bench.load import loaded_sqlite
from bench.web import (
    CACHE_FILL,
    LIMITS,
    STAT_PERIODS,
    _p95,
    _wrk_ms,
    gunicorn_start,
    wrk_run,
)
from renkou.web.management.commands.serve import DEFAULT_THREADS, DEFAULT_WORKERS

PORT = 8124
CONNECTIONS = 50
WRITERS = 5
WRITE_LIMIT_MS = 500  # a change report filed through the API (no issue names one)
ACCESS_LOG = OUT / "soak-access.log"
SERVER_LOG = OUT / "soak-server.log"

WRITER_SETUP = """
import json
from renkou.api.tokens import token_create
from renkou.core.accounts import role_assign
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from django.contrib.auth import get_user_model
township = OrgUnit.objects.filter(level=4).order_by("code").first()
village = OrgUnit.objects.filter(level=5, code__startswith=township.code).order_by("code").first()
user, made = get_user_model().objects.get_or_create(username="bench-soak-reporter")
if made:
    role_assign(user=user, role="reporter", orgunit=village, actor="bench")
mothers = list(
    Person.objects.filter(residence_orgunit=village, sex="F", status="alive",
                          birth_date__gte="1985-01-01", birth_date__lte="2000-12-31")
    .values_list("pk", flat=True)[:40]
)
token = token_create(user=user, name="soak", actor="bench", days=1)
print("BENCH-JSON " + json.dumps({"token": token, "village": village.code, "mothers": mothers}))
"""


def _paths(data: dict) -> list[str]:
    """Every read kind, interleaved so that each connection's stream is mixed."""
    out = []
    units = data["stat_units"]
    for i, person in enumerate(data["persons"]):
        out += [
            f"/persons/?q={data['ids'][i]}",
            f"/persons/?q={urllib.parse.quote(data['names'][i])}",
            f"/persons/?q={data['pinyins'][i]}",
            f"/persons/{person}/",
            f"/persons/{person}/",
            "/changes/",
            f"/statistics/{units[i % len(units)]}/?period={STAT_PERIODS[i % len(STAT_PERIODS)]}"
            f"&basis={'resident' if i % 2 else 'registered'}",
        ]
    return out


def _kind(method: str, path: str) -> str:
    """The page kind of a logged request (bench/web.py's names)."""
    if path.startswith("/api/changes/"):
        return "api_write" if method == "POST" else "api_read"
    if path.startswith("/statistics/"):
        return "statistics"
    if path.startswith("/changes/"):
        return "review_queue"
    if path.startswith("/persons/?q="):
        query = urllib.parse.unquote(path.split("q=", 1)[1])
        if query[:1].isdigit():
            return "search_id"
        return "search_pinyin" if query.isascii() else "search_name"
    if path.startswith("/persons/"):
        return "person_page"
    return "other"


class Writers:
    """``WRITERS`` threads filing births through the API until told to stop."""

    def __init__(self, setup: dict) -> None:
        self.setup = setup
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: dict[int, int] = defaultdict(int)
        self.errors: list[str] = []
        self.waits: list[float] = []

    def _post(self, body: dict) -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/changes/",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.setup['token']}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode(errors="replace")[:300]
        except OSError as failed:
            return 0, str(failed)

    def _one(self, writer: int) -> None:
        mothers = self.setup["mothers"]
        n = 0
        while not self.stop.is_set():
            n += 1
            ref = f"soak-{os.getpid()}-{writer}-{n}"
            body = {
                "kind": "birth",
                "client_ref": ref,
                "village": self.setup["village"],
                "effective_date": "2025-11-20",
                "name": f"浸泡{writer}号{n}",
                "sex": "F" if n % 2 else "M",
                "mother": mothers[(writer * 7 + n) % len(mothers)],
            }
            for attempt in (1, 2):  # the retry must answer 200 with the same report
                started = time.monotonic()
                code, text = self._post(body)
                with self.lock:
                    self.waits.append((time.monotonic() - started) * 1000)
                    self.statuses[code] += 1
                    wanted = 201 if attempt == 1 else 200
                    if code != wanted and len(self.errors) < 20:
                        self.errors.append(f"{ref} try {attempt}: {code} {text[:200]}")

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._one, args=(w,), daemon=True) for w in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        return threads


def run(repeat: int, scale: str) -> list[str]:
    """One soak (``repeat`` is ignored: one long run is the measurement)."""
    persons = 10_000 if scale == "small" else 1_000_000
    seconds = int(os.environ.get("RENKOU_BENCH_SOAK_SECONDS", "60" if scale == "small" else "600"))
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    run_measured(renkou_cmd("shell", "-c", CACHE_FILL), env, capture=True)
    setup = run_measured(
        renkou_cmd("shell", "-c", (ROOT / "bench" / "web_setup.py").read_text()), env, capture=True
    )
    data = json.loads(setup.output.split("BENCH-JSON ", 1)[1])
    made = run_measured(renkou_cmd("shell", "-c", WRITER_SETUP), env, capture=True)
    writer_setup = json.loads(made.output.split("BENCH-JSON ", 1)[1])
    child_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    child_env.setdefault("RENKOU_BACKUP_EVERY_HOURS", "0")  # the soak measures pages
    ACCESS_LOG.write_text("")
    log = SERVER_LOG.open("w")
    server = gunicorn_start(
        child_env,
        PORT,
        ACCESS_LOG,
        "%(m)s %(s)s %(U)s?%(q)s %({server-timing}o)s",
        output=log,
        workers=DEFAULT_WORKERS,
        threads=DEFAULT_THREADS,
    )
    worker = subprocess.Popen(
        renkou_cmd("worker"), cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        paths = OUT / "soak-paths.txt"
        paths.write_text("\n".join(_paths(data)))
        writers = Writers(writer_setup)
        threads = writers.start()
        wrk = wrk_run(CONNECTIONS, seconds, paths, data["cookie"], PORT, "--timeout", "30s")
        writers.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    return _report(wrk.stdout, writers, seconds, persons)


def _report(wrk_out: str, writers: Writers, seconds: int, persons: int) -> list[str]:
    times: dict[str, list[float]] = defaultdict(list)
    codes: dict[int, int] = defaultdict(int)
    for line in ACCESS_LOG.read_text().splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        method, status, path = parts[0], int(parts[1]), parts[2]
        codes[status] += 1
        rest = parts[3] if len(parts) > 3 else ""
        if "dur=" in rest:
            times[_kind(method, path)].append(float(rest.split("dur=")[1].split(",")[0]))
    errors = sum(n for code, n in codes.items() if code >= 400)
    locked = SERVER_LOG.read_text(errors="replace").count("database is locked")
    non_2xx = "Non-2xx" in wrk_out
    socket_errors = "Socket errors" in wrk_out
    rate = float(wrk_out.split("Requests/sec:")[1].split()[0])
    read_p99 = _wrk_ms(re.search(r"99%\s+(\S+)", wrk_out).group(1))
    waits = writers.waits
    lines = [
        f"soak: {CONNECTIONS} wrk connections of mixed reads + {WRITERS} API writers for "
        f"{seconds} s, gunicorn {DEFAULT_WORKERS}×{DEFAULT_THREADS} threads and the worker, "
        f"{persons:,}-person county on SQLite",
        f"  reads {rate:.0f} req/s, client p99 {read_p99:.1f} ms; "
        f"writes {sum(writers.statuses.values()):,} requests "
        f"({', '.join(f'{c}: {n:,}' for c, n in sorted(writers.statuses.items()))}), "
        f"client p95 {_p95(waits) if len(waits) > 20 else float('nan'):.1f} ms",
        f"  responses by status: {', '.join(f'{c}: {n:,}' for c, n in sorted(codes.items()))}; "
        f"error responses {errors}; 'database is locked' in the server log {locked}; "
        f"wrk non-2xx {'yes' if non_2xx else 'no'}, "
        f"socket errors {'yes' if socket_errors else 'no'}",
    ]
    over = []
    for kind, values in sorted(times.items()):
        if len(values) < 20:
            continue
        limit = LIMITS.get(kind, WRITE_LIMIT_MS if kind == "api_write" else None)
        p95 = _p95(values)
        verdict = "" if limit is None else (" ok" if p95 <= limit else " OVER LIMIT")
        if limit is not None and p95 > limit:
            over.append(kind)
        lines.append(
            f"  {kind:14} {len(values):>8,} requests  p95 {p95:7.1f} ms  "
            f"p50 {statistics.median(values):6.1f} ms"
            + (f"  [limit {limit} ms:{verdict}]" if limit is not None else "")
        )
    for error in writers.errors:
        lines.append(f"  writer: {error}")
    passed = not errors and not locked and not writers.errors and not over and not socket_errors
    lines.append(f"  verdict: {'ok' if passed else 'NOT MET'}")
    return lines
