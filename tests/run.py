"""Run the test suite on SQLite and/or PostgreSQL: ``python -m tests.run [pytest args]``.

``RENKOU_TEST_DATABASES`` lists the legs (default ``sqlite,postgres``). The PostgreSQL leg
uses ``RENKOU_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
if that server cannot be reached the leg is reported as not run, which is a failure
under ``RENKOU_REQUIRE_ALL=1`` (CI). The browser tests run in the SQLite leg only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable(url: str) -> str:
    """'' if a connection works, else the reason."""
    import psycopg

    try:
        with psycopg.connect(url.replace("postgresql://", "postgresql://", 1), connect_timeout=5):
            return ""
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_leg(name: str, env: dict[str, str], args: list[str]) -> int:
    """Run pytest once; exit code 5 (nothing collected) counts as a failure."""
    print(f"\n===== test leg: {name} =====", flush=True)
    code = subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)
    if code == 5:
        print(f"test leg {name}: pytest collected no tests — treated as a failure", flush=True)
        return 1
    return code


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
    results: dict[str, str] = {}
    failed = False
    for leg in legs:
        env = dict(base)
        env["RENKOU_TEST_LEG"] = leg
        if leg == "sqlite":
            env.pop("RENKOU_DATABASE_URL", None)
            env["RENKOU_TEST_SQLITE_PATH"] = os.environ.get(
                "RENKOU_TEST_SQLITE_PATH", str(data / "test-sqlite.sqlite3")
            )
            code = run_leg(leg, env, args)
        elif leg == "postgres":
            url = os.environ.get("RENKOU_TEST_POSTGRES_URL") or (
                os.environ.get("RENKOU_DATABASE_URL", "")
                if os.environ.get("RENKOU_DATABASE_URL", "").startswith("postgres")
                else DEFAULT_PG
            )
            reason = postgres_reachable(url)
            if reason:
                results[leg] = f"DID NOT RUN: PostgreSQL not reachable at {url} ({reason})"
                failed = failed or require_all
                continue
            env["RENKOU_DATABASE_URL"] = url
            code = run_leg(leg, env, args)
        else:
            print(f"unknown test leg {leg!r}", file=sys.stderr)
            return 2
        results[leg] = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        failed = failed or code != 0
    print("\n===== summary =====")
    for leg, outcome in results.items():
        print(f"{leg:9} {outcome}")
    if require_all and any("DID NOT RUN" in v for v in results.values()):
        print("RENKOU_REQUIRE_ALL=1: every leg must run.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
