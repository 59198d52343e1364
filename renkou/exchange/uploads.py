"""Uploaded roster files waiting for their import job, kept under the data directory.

They hold identity numbers in clear, so they are readable by the server's user only and
deleted as soon as the import job has read them (or when the person cancels).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from renkou.exchange.reading import SUFFIXES


def incoming_dir() -> Path:
    """Where uploads wait: ``DATA_DIR/exchange/incoming`` (created, owner-only)."""
    path = Path(settings.DATA_DIR) / "exchange" / "incoming"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def upload_store(chunks: Iterable[bytes], file_name: str) -> Path:
    """Write an uploaded file under a random name keeping its suffix; returns its path."""
    suffix = Path(file_name).suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".bin"
    path = incoming_dir() / f"{secrets.token_hex(16)}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except BaseException:  # a broken upload or a full disk leaves no part of the file
        path.unlink(missing_ok=True)
        raise
    return path


def upload_path(token: str) -> Path | None:
    """The waiting upload called ``token`` (a name this module made), or None."""
    name = Path(token).name
    if name != token or not name[:32].isalnum():
        return None
    path = incoming_dir() / name
    return path if path.is_file() else None


def upload_discard(path: Path) -> None:
    """Delete a waiting upload (no error if it is already gone)."""
    if path.parent == incoming_dir():
        path.unlink(missing_ok=True)
