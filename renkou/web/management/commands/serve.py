"""``renkou serve``: the web app (gunicorn) and the task worker, stopped together by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# The app is CPU-bound Python (SQLite runs in-process): one process per core, plus one to
# cover the moments a process waits, and two threads each for requests that wait on I/O.
# More threads per process only queue behind the GIL. (bench/web.py measures this.)
DEFAULT_WORKERS = (os.cpu_count() or 1) + 1
DEFAULT_THREADS = 2


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
        bind = f"{options['host']}:{options['port']}"
        children = [
            subprocess.Popen(
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
        ]
        if not options["no_worker"]:
            children.append(subprocess.Popen([sys.executable, "-m", "renkou.cli", "worker"]))
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
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("stopped / 已停止")
