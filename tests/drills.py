"""Crash drills: run a real ``renkou`` command in a process of its own and SIGKILL it.

The command runs in a child forked from the test process (so it starts in milliseconds
instead of importing renkou again), with a database connection of its own to the test
database (the test's rows must be committed: ``transactional_db``). With a drill point,
``RENKOU_DRILL_PAUSE_AT`` makes it stop at that point of ``renkou.core.drills``; the test
waits for the marker file the child writes there and kills it with SIGKILL, as an
operator's ``kill -9`` or a power cut would. The child's system temp folder (``TMPDIR``)
is an empty directory of its own, so a test can see whether anything was put there.
"""

from __future__ import annotations

import io
import os
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connections

from renkou.core.drills import MARKER, PAUSE_AT


@dataclass
class Ran:
    """How a command in a child process ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def _start(args: list[str], system_temp: Path, out: Path, environ: dict[str, str]) -> int:
    system_temp.mkdir(parents=True, exist_ok=True)
    pid = os.fork()
    if pid:
        return pid
    code = 1
    stdout, stderr = io.StringIO(), io.StringIO()
    try:  # the child: never returns into pytest
        # The parent's connections stay the parent's: kept referenced, never closed here.
        inherited = [c.connection for c in connections.all()]
        for c in connections.all():
            c.connection = None
        os.environ.update(environ, TMPDIR=str(system_temp))
        tempfile.tempdir = str(system_temp)
        try:
            call_command(*args, stdout=stdout, stderr=stderr)
            code = 0
        except BaseException:
            stderr.write(traceback.format_exc())
        del inherited
    finally:
        out.with_suffix(".out").write_text(stdout.getvalue())
        out.with_suffix(".err").write_text(stderr.getvalue())
        os._exit(code)


def renkou(args: list[str], system_temp: Path) -> Ran:
    """Run ``renkou ARGS`` in a child process to its end."""
    out = system_temp.parent / f"ran-{time.monotonic_ns()}"
    pid = _start(args, system_temp, out, {})
    _, status = os.waitpid(pid, 0)
    return Ran(
        os.waitstatus_to_exitcode(status),
        out.with_suffix(".out").read_text(),
        out.with_suffix(".err").read_text(),
    )


def killed_at(point: str, args: list[str], system_temp: Path, marker: Path) -> None:
    """Run ``renkou ARGS`` in a child process, SIGKILL it when it reaches drill ``point``."""
    out = system_temp.parent / f"killed-{time.monotonic_ns()}"
    pid = _start(args, system_temp, out, {PAUSE_AT: point, MARKER: str(marker)})
    deadline = time.monotonic() + 60
    try:
        while not marker.exists():
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                raise AssertionError(
                    f"ended ({status}) before drill point {point}: "
                    + out.with_suffix(".err").read_text()[-2000:]
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"never reached drill point {point}")
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
