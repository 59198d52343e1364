"""Work spread over forked processes, in order and with bounded memory (``ordered_map``).

A forked worker starts with the parent's state (settings, keys, the values in hand) and
never opens the database: what needs the register is handed back to the parent. Workers
die with their parent (``PR_SET_PDEATHSIG``): an import killed with ``kill -9`` leaves no
orphan behind; a worker that dies raises ``BrokenProcessPool`` in the parent, which then
fails as a whole (in its transaction: nothing is half-written).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1
_state: Any = None


def worker_count() -> int:
    """Processes to spread work over: the cores this process may use, at most two (the
    parent goes on writing what they hand back)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return min(2, cores)


def _die_with_parent(parent: int, state: Any) -> None:
    global _state
    _state = state
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such call
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def shared_state() -> Any:
    """The ``state`` given to ``ordered_map``, in a worker."""
    return _state


def ordered_map(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    state: Any,
    workers: int,
    window: int = 0,
) -> Iterator[R]:
    """``func(item)`` for each item, computed in ``workers`` forked processes and yielded in
    the items' order. ``state`` reaches the workers by the fork, not pickled (``func`` reads
    it with ``shared_state()``); items and results are pickled. At most ``window`` items
    (default: twice the workers) are taken from ``items`` ahead of the results yielded, so
    memory does not grow with their number."""
    window = window or 2 * workers
    context = multiprocessing.get_context("fork")
    pending: deque[Future[R]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_die_with_parent,
        initargs=(os.getpid(), state),
    ) as pool:
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
