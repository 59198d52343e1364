"""Run the test suite on SQLite and/or PostgreSQL: ``python -m tests.run [pytest args]``.

``RENKOU_TEST_DATABASES`` lists the legs (default ``sqlite,postgres``). The PostgreSQL leg
uses ``RENKOU_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
if that server cannot be reached the leg is reported as not run, which is a failure
under ``RENKOU_REQUIRE_ALL=1`` (CI). The browser tests run in the SQLite leg only.

Each leg runs on ``RENKOU_TEST_WORKERS`` processes (pytest-xdist; default: one per core, at
most 4, or one process when a test file is named; ``0`` runs in one process), each with its
own database and data directory. The legs run at the same time (``RENKOU_TEST_LEGS_AT_ONCE``,
default 1; 0 runs them one after the other): on two cores a leg alone keeps about one busy,
since its tests wait on PostgreSQL, Chromium and subprocesses; each leg's output is shown
when it ends. The
summary gives each leg's wall time, its counts and the ten slowest tests, so that a test
that makes the suite slow is seen by whoever runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SLOWEST = 10


def postgres_reachable(url: str) -> str:
    """'' if a connection works, else the reason."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5):
            return ""
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def workers(args: list[str]) -> list[str]:
    """The pytest-xdist arguments for this run: none if the caller chose them or asked for 0."""
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) for a in args)
    if chosen or "no:xdist" in args or "-pno:xdist" in args:
        return []
    wanted = os.environ.get("RENKOU_TEST_WORKERS", "").strip()
    if not wanted and any(".py" in a for a in args if not a.startswith("-")):
        return []  # a file or a test named: one process starts faster than two workers
    count = int(wanted) if wanted else min(os.cpu_count() or 1, 4)
    if count <= 1:
        return []
    # worksteal: a worker that runs out of tests takes half of another's queue, so that the
    # few long tests do not leave one core idle at the end.
    return ["-n", str(count), "--dist", "worksteal"]


def leg_command(name: str, env: dict[str, str], args: list[str]) -> tuple[list[str], dict]:
    """The pytest command of one leg and its environment (the file its timings go to)."""
    times = ROOT / "data" / "test" / f"times-{name}.json"
    times.unlink(missing_ok=True)
    env = {**env, "RENKOU_TEST_TIMES": str(times)}
    return [sys.executable, "-m", "pytest", "-p", "tests.timing", *workers(args), *args], env


def leg_result(name: str, code: int, wall: float) -> tuple[int, float, dict]:
    """Exit code (5, nothing collected, counts as a failure), wall time and what
    tests/timing.py recorded (counts and the slowest tests)."""
    times = ROOT / "data" / "test" / f"times-{name}.json"
    recorded = json.loads(times.read_text(encoding="utf-8")) if times.exists() else {}
    if code == 5:
        print(f"test leg {name}: pytest collected no tests — treated as a failure", flush=True)
        return 1, wall, recorded
    return code, wall, recorded


def run_leg(name: str, env: dict[str, str], args: list[str]) -> tuple[int, float, dict]:
    """Run one leg's pytest, its output straight to the terminal."""
    print(f"\n===== test leg: {name} =====", flush=True)
    command, env = leg_command(name, env, args)
    start = time.monotonic()
    code = subprocess.call(command, cwd=ROOT, env=env)
    return leg_result(name, code, time.monotonic() - start)


def run_legs_at_once(
    legs: dict[str, dict[str, str]], args: list[str]
) -> dict[str, tuple[int, float, dict]]:
    """Run every leg's pytest at the same time, each in its own data directory, each
    one's output written to a file and shown when it ends."""
    running = {}
    for name, env in legs.items():
        env = {**env, "RENKOU_DATA_DIR": str(Path(env["RENKOU_DATA_DIR"]) / name)}
        Path(env["RENKOU_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        command, env = leg_command(name, env, args)
        log = (ROOT / "data" / "test" / f"leg-{name}.log").open("w+", encoding="utf-8")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        running[name] = (process, log, time.monotonic())
        print(f"test leg {name} started (output: {log.name})", flush=True)
    done: dict[str, tuple[int, float, dict]] = {}
    while running:
        for name, (process, log, start) in list(running.items()):
            code = process.poll()
            if code is None:
                continue
            wall = time.monotonic() - start
            del running[name]
            log.seek(0)
            print(f"\n===== test leg: {name} =====", flush=True)
            sys.stdout.write(log.read())
            sys.stdout.flush()
            log.close()
            done[name] = leg_result(name, code, wall)
        time.sleep(0.5)
    return done


def minutes(seconds: float) -> str:
    """'4 min 07 s' for 247.0."""
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def report(name: str, outcome: str, wall: float, recorded: dict) -> None:
    """One leg's line of the summary, its counts and its slowest tests."""
    counts = recorded.get("counts", {})
    told = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if n)
    print(f"{name:9} {outcome} in {minutes(wall)}" + (f" ({told})" if told else ""))
    for seconds, nodeid in recorded.get("slowest", [])[:SLOWEST]:
        print(f"          {seconds:7.1f} s  {nodeid}")


def main() -> int:
    """Run each requested leg and summarise."""
    legs = [
        leg.strip()
        for leg in os.environ.get("RENKOU_TEST_DATABASES", "sqlite,postgres").split(",")
        if leg.strip()
    ]
    require_all = os.environ.get("RENKOU_REQUIRE_ALL") == "1"
    args = sys.argv[1:]
    data = ROOT / "data" / "test"
    data.mkdir(parents=True, exist_ok=True)
    base = {**os.environ, "RENKOU_DATA_DIR": os.environ.get("RENKOU_DATA_DIR", str(data))}
    # The workers the tests start make no scheduled backup (tests/core of the backup set
    # their own schedule): a backup of every test database would only cost time.
    base.setdefault("RENKOU_BACKUP_EVERY_HOURS", "0")
    results: dict[str, tuple[str, float, dict]] = {}
    failed = False
    start = time.monotonic()
    ready: dict[str, dict[str, str]] = {}
    for leg in legs:
        env = dict(base)
        env["RENKOU_TEST_LEG"] = leg
        if leg == "sqlite":
            env.pop("RENKOU_DATABASE_URL", None)
            env["RENKOU_TEST_SQLITE_PATH"] = os.environ.get(
                "RENKOU_TEST_SQLITE_PATH", str(data / "test-sqlite.sqlite3")
            )
        elif leg == "postgres":
            url = os.environ.get("RENKOU_TEST_POSTGRES_URL") or (
                os.environ.get("RENKOU_DATABASE_URL", "")
                if os.environ.get("RENKOU_DATABASE_URL", "").startswith("postgres")
                else DEFAULT_PG
            )
            reason = postgres_reachable(url)
            if reason:
                results[leg] = (
                    f"DID NOT RUN: PostgreSQL not reachable at {url} ({reason})",
                    0.0,
                    {},
                )
                failed = failed or require_all
                continue
            env["RENKOU_DATABASE_URL"] = url
        else:
            print(f"unknown test leg {leg!r}", file=sys.stderr)
            return 2
        ready[leg] = env
    for env in ready.values():
        env["RENKOU_TEST_RUN_LEGS"] = ",".join(ready)
    at_once = os.environ.get("RENKOU_TEST_LEGS_AT_ONCE", "1").strip() != "0" and len(ready) > 1
    if at_once:
        ran = run_legs_at_once(ready, args)
    else:
        ran = {leg: run_leg(leg, env, args) for leg, env in ready.items()}
    for leg in ready:
        code, wall, recorded = ran[leg]
        results[leg] = ("passed" if code == 0 else f"FAILED (pytest exit {code})", wall, recorded)
        failed = failed or code != 0
    print("\n===== summary =====")
    for leg, (outcome, wall, recorded) in results.items():
        report(leg, outcome, wall, recorded)
    print(f"suite wall time: {minutes(time.monotonic() - start)}")
    if require_all and any("DID NOT RUN" in v[0] for v in results.values()):
        print("RENKOU_REQUIRE_ALL=1: every leg must run.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
