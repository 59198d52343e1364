"""Real renkou servers for the between-servers test and benchmark: each an office (the
``peer_driver`` process: ``renkou init``, its county, the office's actions) and its
``renkou serve`` (gunicorn and the task worker), in a data directory of its own."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# How long a process may take to start on the loaded two-core machine.
START_SECONDS = 60.0
WAIT_SECONDS = 30.0


def environment(data: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A server's environment: its own data directory (database, keys), nothing of the
    test's; retries quick (0.5 s doubled, at most 2 s) so that the test takes seconds."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RENKOU_", "PYTEST_", "DJANGO_SETTINGS"))
    }
    env.update(
        RENKOU_DATA_DIR=str(data),
        RENKOU_STATISTICS_EVERY="0",
        RENKOU_BACKUP_EVERY_HOURS="0",
        RENKOU_OUTBOX_RETRY_SECONDS="0.5",
        RENKOU_OUTBOX_RETRY_MAX_SECONDS="2",
        RENKOU_OUTBOX_EVERY_SECONDS="1",
        RENKOU_OUTBOX_TIMEOUT_SECONDS="5",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra or {})
    return env


class Server:
    """One renkou server: its office (the driver process) and its ``renkou serve``."""

    def __init__(
        self,
        name: str,
        county: str,
        port: int,
        root: Path,
        persons: list[Any],
        extra: dict[str, str] | None = None,
        workers: int = 1,
    ):
        self.name, self.county, self.port = name, county, port
        self.extra, self.workers = extra or {}, workers
        self.data = root / name
        self.log = root / f"{name}.log"
        self.serve: subprocess.Popen[bytes] | None = None
        self.office = subprocess.Popen(
            [sys.executable, "-m", "tests.floating.peer_driver", county, json.dumps(persons)],
            env=environment(self.data, extra),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(root / f"{name}-office.log").open("ab"),
            text=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, seconds: float = WAIT_SECONDS) -> Any:
        """The office's next answer line."""
        assert self.office.stdout is not None
        ready, _, _ = select.select([self.office.stdout], [], [], seconds)
        if not ready:
            raise AssertionError(f"{self.name}: no answer in {seconds} s")
        line = self.office.stdout.readline()
        if not line:
            raise AssertionError(f"{self.name}: the office ended ({self.office.poll()})")
        answer = json.loads(line)
        assert "error" not in answer, answer
        return answer["ok"]

    def do(self, what: str, **params: Any) -> Any:
        """One action of the office."""
        assert self.office.stdin is not None
        self.office.stdin.write(json.dumps({"do": what, **params}, ensure_ascii=False) + "\n")
        self.office.stdin.flush()
        return self.answer()

    def start(self) -> None:
        """``renkou serve`` (one web process; the worker beside it)."""
        self.serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "renkou.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--threads",
                "2",
            ],
            env=environment(self.data, self.extra),
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def answers(self) -> bool:
        """Whether the web app answers (and its worker is running: serve starts both)."""
        try:
            with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop ``renkou serve`` (SIGTERM: it stops the web app and the worker)."""
        if self.serve is not None and self.serve.poll() is None:
            self.serve.terminate()
            try:
                self.serve.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.serve.kill()
                self.serve.wait(timeout=10)
        self.serve = None

    def close(self) -> None:
        self.stop()
        if self.office.poll() is None:
            assert self.office.stdin is not None
            self.office.stdin.close()
            try:
                self.office.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.office.kill()

    def messages(self) -> dict[str, dict[str, Any]]:
        return {m["message_id"]: m for m in self.do("messages")}

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:]
            for p in self.data.parent.glob(f"{self.name}*.log")
        )


def wait_for(
    check: Callable[[], Any], what: str, *servers: Server, seconds: float = WAIT_SECONDS
) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(s.logs() for s in servers))


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # as gunicorn binds: a port whose last connections wait out TIME_WAIT is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def post_inbox(server: Server, token: str, wires: list[dict[str, Any]]) -> tuple[int, Any]:
    """POST messages to a server's inbox as a peer would; (status, JSON answer)."""
    request = urllib.request.Request(
        f"{server.url}/api/floating/inbox/",
        data=json.dumps({"messages": wires}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_quiet(check: Callable[[], bool], seconds: float) -> bool:
    """Poll ``check`` until true (True) or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False
