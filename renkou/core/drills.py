"""A point where the crash drills stop a process to kill it (tests/core/test_job_drills.py).

Nothing happens unless ``RENKOU_DRILL_STALL`` is set: it is for the tests that kill a real
worker or command at a known moment, never for an office's server.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


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
