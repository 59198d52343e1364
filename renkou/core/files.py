"""Every file the product generates is written here: whole, private, and only once committed.

``file_write(path, write)`` calls ``write`` on a temporary name beside ``path`` (same
directory, so the rename is atomic; never the system temp folder), created mode 0600 with
O_EXCL, then flushes and fsyncs it and renames it into place only when the caller's
database transaction commits (``transaction.on_commit``), fsyncing the directory after.
A process killed while writing, or a transaction that rolls back, leaves no file at
``path``: only a ``.partial-<pid>-…`` temporary, readable by the owner alone, which the
next write in that directory removes once its process is gone.

Libraries that need scratch space of their own (xlsxwriter's row buffers, LibreOffice's
profile, the summary's charts) get it from ``scratch_dir`` under the data directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from renkou.core.drills import drill_point

PARTIAL = ".partial-"
# A temporary older than this is left over even if its process id was reused since.
STALE_SECONDS = 6 * 3600


@dataclass
class WrittenFile:
    """A generated file: where it goes, its SHA-256 and size, and what ``write`` returned."""

    path: Path
    sha256: str
    size: int
    result: Any = None


def scratch_dir() -> Path:
    """Private scratch space under the data directory (``DATA_DIR/tmp``, mode 0700)."""
    path = Path(settings.DATA_DIR) / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@contextlib.contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    """A private directory in ``scratch_dir`` for the ``with`` block, removed after it."""
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_dir()))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def partials_sweep(directory: Path) -> int:
    """Remove temporaries of processes that are gone (killed while writing); how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in directory.iterdir():
            if not entry.name.startswith(PARTIAL):
                continue
            try:
                pid = int(entry.name[len(PARTIAL) :].split("-", 1)[0])
                age = time.time() - entry.stat().st_mtime
            except (ValueError, FileNotFoundError):
                continue
            if pid == os.getpid() and age < STALE_SECONDS:
                continue
            if not _alive(pid) or age >= STALE_SECONDS:
                entry.unlink(missing_ok=True)
                removed += 1
    return removed


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_and_hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
        os.fsync(fh.fileno())
    return digest.hexdigest(), size


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``, or None when there is none."""
    try:
        return _sync_and_hash(path)[0]
    except FileNotFoundError:
        return None


def _in_callers_transaction() -> bool:
    # The test suite's own outer transactions (marked as Django's durable check reads them)
    # are not the caller's: outside any other block the file is published at once.
    blocks = getattr(connection, "atomic_blocks", [])
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def file_write(path: Path, write: Callable[[Path], Any]) -> WrittenFile:
    """Write a generated file through ``write(temporary_path)``; publish it at ``path`` when
    the current transaction commits (at once outside one). Returns its checksum and size."""
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    partials_sweep(directory)
    temporary = directory / f"{PARTIAL}{os.getpid()}-{secrets.token_hex(6)}{path.suffix}"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        result = write(temporary)
        os.chmod(temporary, 0o600)  # a writer may have made the file anew
        sha256, size = _sync_and_hash(temporary)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    drill_point("files.written")

    def publish() -> None:
        drill_point("files.committed")
        os.replace(temporary, path)
        fsync_directory(directory)
        drill_point("files.published")

    if _in_callers_transaction():
        transaction.on_commit(publish)
    else:
        publish()
    return WrittenFile(path=path, sha256=sha256, size=size, result=result)


def file_write_bytes(path: Path, data: bytes) -> WrittenFile:
    """``file_write`` for content already in memory."""
    return file_write(path, lambda p: p.write_bytes(data))
