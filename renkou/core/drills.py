"""Points where the test suite's crash drills stop a real process to kill it (a test hook).

Nothing happens unless a drill test sets the environment of a process it starts: never on
an office's server. Two forms, one per family of drills:

- ``drill_stall("kind:step")`` (jobs, the registry load: tests/core/test_job_drills.py)
  waits when the point begins with ``RENKOU_DRILL_STALL``, after writing the point to the
  file ``RENKOU_DRILL_SIGNAL``;
- ``drill_point(name)`` (files and payments: tests/benefits/test_payment_drills.py) waits
  when ``RENKOU_DRILL_PAUSE_AT`` names the point, after writing its pid to the file
  ``RENKOU_DRILL_MARKER``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "RENKOU_DRILL_PAUSE_AT"
MARKER = "RENKOU_DRILL_MARKER"


def drill_stall(point: str) -> None:
    """For the crash drills: when ``point`` ("kind:step") begins with ``RENKOU_DRILL_STALL``,
    say so in the file ``RENKOU_DRILL_SIGNAL`` and wait to be killed. Does nothing otherwise."""
    wanted = os.environ.get("RENKOU_DRILL_STALL")
    if not wanted or not point.startswith(wanted):
        return
    signal = os.environ.get("RENKOU_DRILL_SIGNAL")
    if signal:
        Path(signal).write_text(point, encoding="utf-8")
    while True:
        time.sleep(60)


def drill_point(name: str) -> None:
    """Pause here for a drill's SIGKILL when the drill asked for this point (tests only)."""
    if os.environ.get(PAUSE_AT) != name:
        return
    marker = os.environ.get(MARKER)
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(120)
