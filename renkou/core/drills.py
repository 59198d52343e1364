"""Named points where the test suite's crash drills stop a real process (a test hook).

``drill_point(name)`` does nothing unless the environment variable
``RENKOU_DRILL_PAUSE_AT`` names this point, which only the drill tests set on a process
they start: then it creates the file named by ``RENKOU_DRILL_MARKER`` and waits, so that
the test can kill the process with SIGKILL exactly there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "RENKOU_DRILL_PAUSE_AT"
MARKER = "RENKOU_DRILL_MARKER"


def drill_point(name: str) -> None:
    """Pause here for a drill's SIGKILL when the drill asked for this point (tests only)."""
    if os.environ.get(PAUSE_AT) != name:
        return
    marker = os.environ.get(MARKER)
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(120)
