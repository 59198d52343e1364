"""The keys kept elsewhere: ``renkou keys export`` / ``renkou keys import``.

A backup of the database holds no keys (a stolen backup must stay unreadable), so the keys
are kept separately, encrypted with a passphrase that a person keeps: scrypt derives a key
from the passphrase and a random salt, AES-256-GCM encrypts the encryption keyring and the
blind-index key. The file also names the database's key check (``core.models.KeyCheck``,
an HMAC that reveals nothing), so that an import says whether the keys fit the database.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "renkou-keys-1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 12


class KeyFileError(ValueError):
    """A key file that cannot be written or read (message in English and Chinese)."""


@dataclass(frozen=True)
class Keys:
    """The two secrets that protect identity numbers."""

    encryption_keys: str
    blind_index_key: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode()
    )


def keys_export(keys: Keys, passphrase: str, path: Path, *, key_check: str = "") -> None:
    """Write ``keys`` to ``path`` (mode 0600, not replacing a file) under ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFileError(
            f"the passphrase is too short: at least {MIN_PASSPHRASE} characters / "
            f"口令太短：至少 {MIN_PASSPHRASE} 个字符"
        )
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    plain = json.dumps(
        {"encryption_keys": keys.encryption_keys, "blind_index_key": keys.blind_index_key}
    ).encode()
    body = {
        "format": FORMAT,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "nonce": _b64(nonce),
        "key_check": key_check,
        "ciphertext": _b64(
            AESGCM(_derive(passphrase, salt)).encrypt(nonce, plain, FORMAT.encode())
        ),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} exists: not replaced / {path} 已存在：未覆盖") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh, indent=1)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def keys_read(path: Path, passphrase: str) -> tuple[Keys, str]:
    """The keys in ``path`` and the key check it names; ``KeyFileError`` if the file is not
    a key file or the passphrase is wrong."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != FORMAT:
            raise ValueError(body.get("format"))
        kdf = body["kdf"]
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(body["nonce"])
        ciphertext = base64.b64decode(body["ciphertext"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(
            f"{path} is not a renkou key file / {path} 不是 renkou 密钥文件"
        ) from exc
    try:
        key = Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
            passphrase.encode()
        )
        plain = json.loads(AESGCM(key).decrypt(nonce, ciphertext, FORMAT.encode()))
    except (InvalidTag, ValueError, KeyError) as exc:
        raise KeyFileError(
            "the passphrase is wrong, or the file was changed / 口令错误，或文件已被改动"
        ) from exc
    return Keys(plain["encryption_keys"], plain["blind_index_key"]), str(body.get("key_check", ""))


def keys_install(keys: Keys, data_dir: Path) -> list[Path]:
    """Write the keys as the data directory's key files (mode 0600), atomically; returns the
    files written."""
    written = []
    for name, value in (
        ("encryption_keys", keys.encryption_keys),
        ("blind_index_key", keys.blind_index_key),
    ):
        target = data_dir / name
        temporary = data_dir / f".{name}.new"
        temporary.unlink(missing_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        written.append(target)
    return written
