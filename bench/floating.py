"""Benchmark: floating-population messages between two county servers, and the rates.

Limits from issue 19:

1. 10,000 arrival notices from one county server (桐庐县, port 8601) to another (朝阳区,
   port 8602), delivered and answered end to end on loopback, in at most 60 s. Two real
   servers (``renkou init`` in data directories of their own, peers of each other, each
   ``renkou serve`` with its worker), as in tests/floating/test_between_servers.py. The
   notices are written at once (a year of arrivals, not timed); the time runs from the
   office sending them (all the worklist's "to send" at once: ``batch.messages_send``)
   until the last reply is back at 桐庐县: each notice delivered by 桐庐县's
   worker to 朝阳区's inbox, stored there, answered there ("not registered here": the
   people are of 朝阳区 by their numbers, not in its register, so its server answers by
   itself), the reply delivered back by 朝阳区's worker and matched to its notice.
2. The rates (通报率, 协查反馈率, 反馈及时率) of a 1,000,000-person county's periods in at
   most 5 s: the county and each township, for every year, quarter and month of five years,
   counted from the messages such a county has (its arrivals' notices and the requests it
   received; the persons themselves do not enter the count). ``RENKOU_BENCH_FLOATING_ARRIVALS``
   sets the arrivals (default 60,000 over five years: some 1.2 % of a million a year, as in
   the synthetic county's inflow).

``--scale small``: 1,000 notices, 6,000 arrivals.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from bench.common import OUT, ROOT, median

A_PORT, B_PORT = 8601, 8602
NOTICE_SECONDS, RATES_SECONDS = 60.0, 5.0
DIR = OUT / "floating"


def _exchange(notices: int, seed: int) -> tuple[float, float, dict[str, int]]:
    """Send ``notices`` from A to B; (seconds until all delivered to B, until all answered
    at A, A's counts)."""
    from tests.floating.servers import START_SECONDS, Server, port_free, wait_quiet

    if not (port_free(A_PORT) and port_free(B_PORT)):
        raise RuntimeError(f"the ports {A_PORT} and {B_PORT} are taken")
    root = DIR / f"run-{seed}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    # deliveries retried quickly, as in the test; two web processes on the receiving side
    extra = {"RENKOU_OUTBOX_EVERY_SECONDS": "2", "RENKOU_OUTBOX_TIMEOUT_SECONDS": "30"}
    a = Server("tonglu", "330122", A_PORT, root, [], extra)
    b = Server("chaoyang", "110105", B_PORT, root, [], extra, workers=2)
    try:
        for s in (a, b):
            s.answer(START_SECONDS)
            s.start()
        to_b = a.do("peer_add", name="朝阳区", url=b.url, areas=["110105"])
        to_a = b.do("peer_add", name="桐庐县", url=a.url, areas=["330122"], their_token=to_b)
        a.do("peer_token", name="朝阳区", token=to_a)
        for s in (a, b):
            if not wait_quiet(s.answers, START_SECONDS):
                raise RuntimeError(f"renkou serve did not start:\n{s.logs()}")
        a.do("notices_bulk", n=notices, region="110105", seed=seed)
        started = time.perf_counter()
        a.do("send_all")
        delivered_at = 0.0
        counts: dict[str, int] = {}
        # looked at once a second (a count of each side's messages is no free query)
        while time.perf_counter() - started < 600:
            time.sleep(1.0)
            if not delivered_at and b.do("count").get("notice:answered", 0) >= notices:
                delivered_at = time.perf_counter() - started
            counts = a.do("count")
            if counts.get("notice:answered", 0) >= notices:
                break
        else:
            raise RuntimeError(f"not all answered in 600 s: {counts}\n{a.logs()}\n{b.logs()}")
        delivered_at = delivered_at or time.perf_counter() - started
        return delivered_at, time.perf_counter() - started, counts
    finally:
        for s in (a, b):
            s.close()


def _rates_in_child(arrivals: int) -> str:
    """Build the messages of a million-person county in a database of its own and time
    the rates of its periods (a child process: settings of its own)."""
    data = DIR / "rates"
    shutil.rmtree(data, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENKOU_", "DJANGO_SETTINGS"))}
    env.update(RENKOU_DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-m", "bench.floating_rates", str(arrivals)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


def run(repeat: int, scale: str) -> list[str]:
    """The exchange ``repeat`` times and the rates ``repeat`` times; medians."""
    small = scale == "small"
    notices = 1_000 if small else 10_000
    arrivals = int(os.environ.get("RENKOU_BENCH_FLOATING_ARRIVALS") or 0) or (
        6_000 if small else 60_000
    )
    lines = []
    delivered, answered = [], []
    for n in range(repeat):
        d, t, counts = _exchange(notices, seed=n)
        delivered.append(d)
        answered.append(t)
    ok = "ok" if median(answered) <= NOTICE_SECONDS else "OVER"
    lines.append(
        f"   {notices:,} notices 330122 → 110105: all delivered and stored at the receiver in"
        f" {median(delivered):.1f} s, all answered back in {median(answered):.1f} s"
        f" (limit {NOTICE_SECONDS:.0f} s: {ok}); runs {', '.join(f'{x:.1f}' for x in answered)}"
    )
    lines.append(f"   the sender's messages at the end: {counts}")
    figures = [_rates_in_child(arrivals) for _ in range(repeat)]
    seconds = [float(f.split()[0]) for f in figures]
    ok = "ok" if median(seconds) <= RATES_SECONDS else "OVER"
    lines.append(
        f"   rates of a 1,000,000-person county ({arrivals:,} arrivals over five years):"
        f" {figures[0].split(' ', 1)[1]} in {median(seconds):.2f} s"
        f" (limit {RATES_SECONDS:.0f} s: {ok})"
    )
    return lines
