"""``renkou serve``: the web app (gunicorn) and the task worker, stopped together by Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    """Run the web server and the background worker as two child processes."""

    help = "Start the web app and the task worker"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web server processes")
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
                    "4",
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
