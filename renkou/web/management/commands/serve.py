"""``renkou serve``: the web app (gunicorn) and the task worker, stopped together by Ctrl-C.

``serve`` supervises the worker: a worker that exits (killed, out of memory, a crash) is
started again after a pause that grows while it keeps failing (1 s, 2 s, … at most 60 s),
and the web app goes on serving meanwhile. Only the web app's own exit, or Ctrl-C, stops
``serve``. Before anything starts, the keys in the data directory are checked against the
database (``renkou.core.keycheck``): with keys that do not fit, ``serve`` refuses to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# The app is CPU-bound Python (SQLite runs in-process): one process per core, plus one to
# cover the moments a process waits, and two threads each for requests that wait on I/O.
# More threads per process only queue behind the GIL. (bench/web.py measures this.)
DEFAULT_WORKERS = (os.cpu_count() or 1) + 1
DEFAULT_THREADS = 2
# The pause before a failed worker is started again: doubled per quick failure, capped.
RESTART_FIRST, RESTART_MAX = 1.0, 60.0
# A worker that ran this long before it exited failed "late": the pause starts afresh.
RESTART_RESET_AFTER = 300.0


class Command(BaseCommand):
    """Run the web server and the background worker as two child processes."""

    help = "Start the web app and the task worker"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=DEFAULT_WORKERS, help="web server processes"
        )
        parser.add_argument(
            "--threads", type=int, default=DEFAULT_THREADS, help="threads per process"
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        from renkou.core.keycheck import KeysDoNotFit, keys_check

        try:
            keys_check()
        except KeysDoNotFit as exc:
            raise CommandError(str(exc)) from exc
        bind = f"{options['host']}:{options['port']}"
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "renkou.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--worker-class",
                "gthread",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ]
        )
        worker = None if options["no_worker"] else self._start_worker()
        started = time.monotonic()
        pause = RESTART_FIRST
        restart_at: float | None = None
        self.stdout.write(
            self.style.SUCCESS(
                f"renkou is running on http://{bind}/  (Ctrl-C stops the web app and the worker)"
            )
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and web.poll() is None:
            time.sleep(0.5)
            if worker is not None and worker.poll() is not None and restart_at is None:
                ran = time.monotonic() - started
                pause = RESTART_FIRST if ran >= RESTART_RESET_AFTER else pause
                restart_at = time.monotonic() + pause
                self.stderr.write(
                    f"the worker exited (code {worker.returncode}); starting it again in "
                    f"{pause:.0f} s / 后台任务进程已退出（代码 {worker.returncode}），"
                    f"{pause:.0f} 秒后重新启动"
                )
            if restart_at is not None and time.monotonic() >= restart_at:
                worker, restart_at, started = self._start_worker(), None, time.monotonic()
                pause = min(pause * 2, RESTART_MAX)
        children = [web] + ([worker] if worker is not None else [])
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("stopped / 已停止")

    @staticmethod
    def _start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "renkou.cli", "worker"])
