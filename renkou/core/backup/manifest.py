"""The backup's manifest: what it holds, and the checksums that prove it unchanged."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMAT = "renkou-backup-1"
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_DIR = "files"

# What of the data directory is copied besides the database (under ``files/``), and why.
# Everything else there is either a secret kept apart (encryption_keys, blind_index_key,
# secret_key), the database itself, or rebuilt by renkou: the statistics snapshot
# (analytics/, rebuilt from the events), collected static files (static/), uploads that
# wait for their import job (exchange/incoming/, deleted once read).
KEPT_DIRS = {
    "report_templates": "an office's own work-summary templates (made by hand)",
    "reports": "statistical forms and summaries made on the reports page (what was published)",
    "loads": "problems files of initial loads (identity numbers masked)",
    "payments": "benefit payment files as issued to the bank",
}


class BackupRefused(Exception):
    """A backup that cannot be made or restored; the message says why and what to do, in
    English and Chinese. Nothing was replaced."""

    def __init__(self, english: str, chinese: str) -> None:
        super().__init__(f"{english}\n{chinese}")
        self.english, self.chinese = english, chinese


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def backup_files(directory: Path) -> Iterator[Path]:
    """Every file of a backup but its manifest, in a fixed order."""
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.relative_to(directory).as_posix() != MANIFEST:
            yield path


def checksums(directory: Path) -> dict[str, dict[str, Any]]:
    """Relative path -> its sha256 and size, for every file of the backup."""
    return {
        p.relative_to(directory).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in backup_files(directory)
    }


def fsync_write(path: Path, text: str) -> None:
    """Write ``text`` to a new file (0600) and make it durable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def manifest_write(directory: Path, body: dict[str, Any]) -> dict[str, Any]:
    """Add the checksums of the backup's files to ``body`` and write it as the manifest."""
    body = {"format": FORMAT, **body, "files": checksums(directory)}
    fsync_write(directory / MANIFEST, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    return body


def manifest_read(directory: Path) -> dict[str, Any]:
    """The manifest of the backup in ``directory``, its files checked against it."""
    path = directory / MANIFEST
    try:
        body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != FORMAT or not isinstance(body.get("files"), dict):
            raise ValueError(body.get("format"))
    except (OSError, ValueError, AttributeError) as exc:
        raise BackupRefused(
            f"{directory} is not a renkou backup: {path} is missing or unreadable.",
            f"{directory} 不是 renkou 备份：{path} 缺失或无法读取。",
        ) from exc
    found = {p.relative_to(directory).as_posix() for p in backup_files(directory)}
    listed = set(body["files"])
    for name in sorted(listed - found):
        raise BackupRefused(
            f"The backup is incomplete: {name} is missing. Nothing was replaced.",
            f"备份不完整：缺少 {name}。未作任何替换。",
        )
    for name in sorted(found - listed):
        raise BackupRefused(
            f"The backup holds a file its manifest does not list: {name}. Nothing was replaced.",
            f"备份中有清单未列出的文件：{name}。未作任何替换。",
        )
    for name, entry in sorted(body["files"].items()):
        if sha256_file(directory / name) != entry.get("sha256"):
            raise BackupRefused(
                f"The backup was changed or damaged: the checksum of {name} differs from its "
                "manifest. Use another backup. Nothing was replaced.",
                f"备份已被改动或损坏：{name} 的校验和与清单不符。请换用其他备份。未作任何替换。",
            )
    return body
