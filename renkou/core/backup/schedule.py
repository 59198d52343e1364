"""Scheduled backups, made by the worker: one every ``RENKOU_BACKUP_EVERY_HOURS`` into
``RENKOU_BACKUP_DIR``, the newest ``RENKOU_BACKUP_KEEP`` kept.

A backup is due when the newest complete one in the directory is older than the interval,
so a restarted worker neither repeats one nor skips one; a lock file lets only one worker
at a time back up or prune. Pruning follows a successful backup and never removes the
newest complete one; hidden ``.renkou-….partial-…`` directories are backups a crash cut
short, and go too.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from renkou.core.audit import audit_record
from renkou.core.backup.manifest import MANIFEST
from renkou.core.backup.services import backup_create
from renkou.core.context import ActorContext, reset_context, set_context

log = logging.getLogger(__name__)
NAME = re.compile(r"^renkou-(\d{8}T\d{6}Z)$")
PARTIAL = re.compile(r"^\.renkou-\d{8}T\d{6}Z\.partial-[0-9a-f]+$")
STAMP = "%Y%m%dT%H%M%SZ"
CHECK_SECONDS = 300.0  # how often the worker looks whether a backup is due


def backups_complete(directory: Path) -> list[tuple[datetime.datetime, Path]]:
    """The complete scheduled backups in ``directory``, oldest first, with their times."""
    found = []
    for path in directory.iterdir() if directory.is_dir() else ():
        match = NAME.match(path.name)
        if match and (path / MANIFEST).is_file():
            at = datetime.datetime.strptime(match.group(1), STAMP).replace(tzinfo=datetime.UTC)
            found.append((at, path))
    return sorted(found)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[bool]:
    """Hold the directory's lock if no one else does; yields whether it is held."""
    fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def backups_prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` (at least 1) complete backups, and backups cut
    short; returns what was removed. Call with the directory's lock held."""
    complete = [path for _, path in backups_complete(directory)]
    removed = complete[: -max(1, keep)]
    removed += [p for p in directory.iterdir() if PARTIAL.match(p.name)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def backup_if_due(
    *,
    directory: Path | None = None,
    every_hours: float | None = None,
    keep: int | None = None,
    now: datetime.datetime | None = None,
) -> Path | None:
    """Make a scheduled backup if one is due (and no other worker is making one), then
    prune; returns the new backup, or None."""
    directory = Path(directory or settings.RENKOU_BACKUP_DIR)
    every = settings.RENKOU_BACKUP_EVERY_HOURS if every_hours is None else every_hours
    keep = settings.RENKOU_BACKUP_KEEP if keep is None else keep
    now = now or datetime.datetime.now(datetime.UTC)
    if every <= 0:
        return None
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(directory) as held:
        if not held:
            return None
        complete = backups_complete(directory)
        if complete and now - complete[-1][0] < datetime.timedelta(hours=every):
            return None
        out = directory / f"renkou-{now.strftime(STAMP)}"
        if out.exists():
            return None
        backup_create(out=out, actor="worker")
        removed = backups_prune(directory, keep)
        if removed:
            audit_record(
                actor="worker",
                action="backup.prune",
                object_type="backup",
                object_id=out.name,
                after={"removed": [p.name for p in removed], "keep": keep},
            )
    return out


def backup_schedule(stop: threading.Event) -> None:
    """The worker's thread: look every few minutes whether a backup is due, until ``stop``."""
    token = set_context(ActorContext(channel="task"))
    try:
        while not stop.is_set():
            try:
                made = backup_if_due()
                if made:
                    log.info("scheduled backup written to %s", made)
            except Exception:  # a failed backup is tried again at the next look
                log.exception("the scheduled backup failed")
            finally:
                close_old_connections()
            every = settings.RENKOU_BACKUP_EVERY_HOURS * 3600
            stop.wait(min(CHECK_SECONDS, every) if every > 0 else CHECK_SECONDS)
    finally:
        reset_context(token)
