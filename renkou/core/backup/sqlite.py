"""SQLite: a consistent copy while others write (the online backup API), and putting a
copy in place of the database atomically."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from renkou.core.backup.manifest import BackupRefused
from renkou.core.files import fsync_directory


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy the database at ``source`` to a new file ``target`` (0600, rollback-journal
    mode so that it is one self-contained file).

    The copy is taken in one step: SQLite holds a read transaction on the source for its
    length, so the copy is the database as of one moment, while writers go on (WAL).
    """
    src = sqlite3.connect(source, timeout=20)  # read only, but WAL needs the -shm file
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(target)


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query on a backup's copy, opened read-only (nothing written)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def sqlite_replace(copy: Path, database: Path) -> None:
    """Put ``copy`` in place of ``database``: written to a temporary file beside it,
    fsynced, and renamed over it while no other connection has it open.

    A database that another connection holds (the web app or the worker) is refused: in
    WAL mode SQLite leaves it only when no other connection is open.
    """
    temporary = database.with_name(f".{database.name}.restore-{secrets.token_hex(6)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        shutil.copyfile(copy, temporary)
        _fsync(temporary)
        held = None
        if database.exists():
            held = sqlite3.connect(database, timeout=0, isolation_level=None)
            try:
                mode = held.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                held.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:
                mode = "busy"
            if mode != "delete":
                held.close()
                raise BackupRefused(
                    f"The database {database} is in use by another process (renkou serve or "
                    "renkou worker?). Stop them, then restore again. Nothing was replaced.",
                    f"数据库 {database} 正被其他进程使用（renkou serve 或 renkou worker？）。"
                    "请先停止它们，再重新恢复。未作任何替换。",
                )
        try:
            for suffix in ("-wal", "-shm", "-journal"):
                database.with_name(database.name + suffix).unlink(missing_ok=True)
            os.replace(temporary, database)
            fsync_directory(database.parent)
        finally:
            if held is not None:
                with contextlib.suppress(sqlite3.Error):
                    held.close()
    finally:
        temporary.unlink(missing_ok=True)
