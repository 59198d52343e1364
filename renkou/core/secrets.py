"""Secrets generated on first run into the data directory, readable only by the owner."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path


def _new_value(nbytes: int, encoding: str) -> str:
    raw = secrets.token_bytes(nbytes)
    if encoding == "keyring":
        return "k1:" + base64.urlsafe_b64encode(raw).decode()
    if encoding == "base64":
        return base64.urlsafe_b64encode(raw).decode()
    return secrets.token_urlsafe(nbytes)


def read_or_create_secret(path: Path, *, nbytes: int, encoding: str = "token") -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) if it does not exist.

    Creation uses O_EXCL so that two processes starting together agree on one value.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _new_value(nbytes, encoding)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def owner_only(*paths: Path) -> None:
    """Make each existing path readable by its owner only (a directory 0700, a file 0600);
    missing paths, paths of another owner, or that cannot be changed, are left alone."""
    for path in paths:
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if info.st_uid != os.getuid():
            continue
        wanted = 0o700 if path.is_dir() else 0o600
        if info.st_mode & 0o777 != wanted:
            with contextlib.suppress(OSError):
                path.chmod(wanted)
