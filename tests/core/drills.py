"""Real worker processes for the crash drills: started on the test's database, killed -9.

The test must use ``transactional_db`` (what it writes is committed, so the worker sees it);
on SQLite the test database must be a file (``RENKOU_TEST_SQLITE_PATH``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from tests.conftest import need

# Short leases, so that the drills take seconds.
LEASE = "2"


def database_url() -> str:
    """The test database as a RENKOU_DATABASE_URL another process can open."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        need(
            bool(name) and ":memory:" not in name and "mode=memory" not in name,
            "the drills need the SQLite test database in a file (RENKOU_TEST_SQLITE_PATH)",
        )
        return f"sqlite:///{name}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{s['NAME']}"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a renkou process on the test's database, keys and data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(
        {
            "RENKOU_DATA_DIR": str(settings.DATA_DIR),
            "RENKOU_DATABASE_URL": database_url(),
            "RENKOU_ENCRYPTION_KEYS": settings.RENKOU_ENCRYPTION_KEYS,
            "RENKOU_BLIND_INDEX_KEY": settings.RENKOU_BLIND_INDEX_KEY,
            "RENKOU_JOB_LEASE_SECONDS": LEASE,
            "RENKOU_JOB_HEARTBEAT_SECONDS": "0.3",
            "RENKOU_STATISTICS_EVERY": "0",
            "RENKOU_DRILL_SIGNAL": str(tmp_path / "stalled"),
            "PYTHONPATH": str(settings.BASE_DIR),
            **extra,
        }
    )
    return env


def renkou(
    tmp_path: Path, *args: str, log: str = "renkou", **extra: str
) -> subprocess.Popen[bytes]:
    """Start ``renkou ARGS`` in the background (its output in ``tmp_path/<log>.log``)."""
    out = (tmp_path / f"{log}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "renkou.cli", *args],
        env=environment(tmp_path, **extra),
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
    )


def worker(tmp_path: Path, stall: str = "") -> subprocess.Popen[bytes]:
    """A real ``renkou worker``; with ``stall`` ("kind:step") it stops there to be killed."""
    extra = {"RENKOU_DRILL_STALL": stall} if stall else {}
    return renkou(tmp_path, "worker", "--verbosity", "0", log="worker", **extra)


# How long a drill waits for a process to reach a state: generous, since on a loaded two-core
# CI machine a Django process takes 10 to 20 s to start (30 s timed out there); waiting
# longer changes nothing when the state comes, only how late a drill that fails says so.
WAIT_SECONDS = 120.0


def wait_for(
    check: Callable[[], Any],
    what: str,
    seconds: float = WAIT_SECONDS,
    *,
    tmp_path: Path | None = None,
) -> Any:
    """Poll ``check`` until it gives something true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    logs = ""
    if tmp_path is not None:
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def stalled(tmp_path: Path, process: subprocess.Popen[bytes], point: str) -> None:
    """Wait until the process says it stopped at ``point``."""
    signal_file = tmp_path / "stalled"

    def there() -> bool:
        assert process.poll() is None, f"the process ended (code {process.returncode})"
        return signal_file.exists() and signal_file.read_text().startswith(point)

    # 90 s: a serve starting gunicorn and its worker on a loaded 2-core machine took over 30
    wait_for(there, f"the stall at {point}", 90.0, tmp_path=tmp_path)
    signal_file.unlink()


def kill(process: subprocess.Popen[bytes]) -> None:
    """kill -9, and collect the dead process."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process the test started (SIGTERM, then -9)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill(process)
