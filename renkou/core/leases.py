"""Which worker process holds a running job, and whether that process is still alive.

A holder is named by its host, its process id and a token made of the process id and the
process's start time (``/proc/<pid>/stat``), so that a new process that happens to get a
dead worker's id is not taken for it. On the holder's own machine its life is checked
directly; from another machine only the lease's heartbeat can tell.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

HOST = socket.gethostname()[:100]


@dataclass(frozen=True)
class Holder:
    """A worker process: its machine, process id and token."""

    host: str
    pid: int
    token: str

    @property
    def name(self) -> str:
        """One string naming the holder (the task worker's id; at most 64 characters)."""
        return f"{self.token}@{self.host}"[:64]


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name ([] if unreadable); the
    first is the state, the twentieth the start time."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[-1].split()


def _token(pid: int) -> str:
    fields = _stat(pid)
    return f"{pid}-{fields[19]}" if len(fields) > 19 else str(pid)


def this_process() -> Holder:
    """The holder that this process is."""
    pid = os.getpid()
    return Holder(HOST, pid, _token(pid))


def holder_parse(name: str) -> Holder | None:
    """The holder named by ``Holder.name`` (None for another form)."""
    token, _, host = name.partition("@")
    pid = token.partition("-")[0]
    if not host or not pid.isdigit():
        return None
    return Holder(host, int(pid), token)


def holder_alive(*, host: str, pid: int | None, token: str) -> bool | None:
    """Whether the holder still runs: True or False on its own machine, None elsewhere."""
    if not host or host != HOST or not pid:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a process of another user: it exists
    fields = _stat(pid)
    if fields and fields[0] in {"Z", "X"}:
        return False  # killed, not yet collected by its parent
    return not (fields and token and "-" in token and token != _token(pid))
