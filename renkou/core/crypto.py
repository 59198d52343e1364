"""Protection of identity numbers (and later bank accounts): blind index, encryption, masking.

ARCHITECTURE rule 4: an identity number is stored as an HMAC-SHA256 blind index (for equality
look-ups and linkage) plus an AES-256-GCM token (for authorised display), and shown masked.

Token format: ``"<key id>$<urlsafe base64 of nonce + ciphertext + tag>"``. The key id names the key
in the keyring ``"k2:<base64 32 bytes>,k1:<base64>"``: the first key encrypts, every listed key
decrypts, so keys rotate by putting a new key first and re-encrypting (see docs/keys.md).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from renkou.core.idnumber import mask

ASSOCIATED_DATA = b"renkou"
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


class KeyringError(ValueError):
    """A keyring or blind-index key setting that cannot be used."""


class DecryptionError(ValueError):
    """A token that cannot be decrypted: malformed, tampered with, or under an unknown key."""


def generate_key() -> str:
    """A new key: urlsafe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(text: str, what: str) -> bytes:
    # Accept the urlsafe alphabet we generate and the standard one an operator may paste,
    # padded or not; anything else is refused rather than silently skipped.
    text = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyringError(
            f"{what} must be base64 of {KEY_BYTES} random bytes"
            " (make one with renkou.core.crypto.generate_key())"
        )
    return raw


def parse_keyring(keyring: str) -> list[tuple[str, bytes]]:
    """Split ``"k2:<b64>,k1:<b64>"`` into (key id, key bytes) pairs, first = encryption key."""
    if not isinstance(keyring, str) or not keyring.strip():
        raise KeyringError("the encryption keyring is empty (RENKOU_ENCRYPTION_KEYS)")
    keys: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for position, entry in enumerate(keyring.split(","), start=1):
        key_id, sep, material = entry.strip().partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise KeyringError(
                f"keyring entry {position} must look like 'k1:<base64 key>'; key ids are 1-32"
                " characters from A-Z a-z 0-9 _ . -"
            )
        if key_id in seen:
            raise KeyringError(f"keyring lists key id {key_id!r} twice")
        seen.add(key_id)
        keys.append((key_id, _decode_key(material, f"key {key_id!r}")))
    return keys


def format_keyring(keys: list[tuple[str, bytes]]) -> str:
    """The keyring string for (key id, key bytes) pairs, in order."""
    return ",".join(f"{key_id}:{base64.urlsafe_b64encode(raw).decode()}" for key_id, raw in keys)


def add_new_key(keyring: str, key_id: str | None = None) -> str:
    """The keyring with a freshly generated key put first (default id: next free ``k<n>``)."""
    keys = parse_keyring(keyring)
    ids = {kid for kid, _ in keys}
    if key_id is None:
        numbers = [int(kid[1:]) for kid in ids if re.fullmatch(r"k\d+", kid)]
        key_id = f"k{max(numbers, default=0) + 1}"
    if not _KEY_ID.fullmatch(key_id) or key_id in ids:
        raise KeyringError(f"new key id {key_id!r} is malformed or already in the keyring")
    return format_keyring([(key_id, secrets.token_bytes(KEY_BYTES)), *keys])


def normalise(value: str) -> str:
    """The form a value is indexed in: NFKC (full-width to ASCII), no whitespace, upper case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


class Protector:
    """Blind index and encryption with one keyring and one blind-index key, built once."""

    __slots__ = ("_aead", "_hmac", "key_ids", "primary_key_id")

    def __init__(self, keyring: str, blind_index_key: str) -> None:
        keys = parse_keyring(keyring)
        self.key_ids: tuple[str, ...] = tuple(kid for kid, _ in keys)
        self.primary_key_id: str = self.key_ids[0]
        # Built once: constructing AESGCM and the HMAC key schedule per row would dominate a
        # million-row load.
        self._aead: dict[str, AESGCM] = {kid: AESGCM(raw) for kid, raw in keys}
        self._hmac = hmac.new(_decode_key(blind_index_key, "the blind-index key"), None, "sha256")

    def __repr__(self) -> str:
        return f"<Protector keys={list(self.key_ids)}>"  # never the key material

    def blind_index(self, value: str, *, domain: str | None = None) -> str:
        """HMAC-SHA256 hex of the normalised value; ``domain`` keeps different fields apart."""
        text = normalise(value)
        if domain is not None:
            text = f"{domain}\x1f{text}"
        mac = self._hmac.copy()  # copies the keyed state instead of re-deriving it
        mac.update(text.encode())
        return mac.hexdigest()

    def encrypt(self, value: str) -> str:
        """AES-256-GCM token of ``value`` under the first key of the keyring."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.primary_key_id].encrypt(nonce, value.encode(), ASSOCIATED_DATA)
        return f"{self.primary_key_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def _split(self, token: str) -> tuple[str, str]:
        if not isinstance(token, str):
            raise DecryptionError(f"a token must be text, not {type(token).__name__}")
        key_id, sep, payload = token.partition("$")
        if not sep or not key_id:
            raise DecryptionError("malformed token: expected '<key id>$<base64>'")
        return key_id, payload

    def decrypt(self, token: str) -> str:
        """The value sealed in ``token``; raises DecryptionError if it cannot be trusted."""
        key_id, payload = self._split(token)
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionError(
                f"token was encrypted with key {key_id!r}, which is not in the keyring"
                f" ({', '.join(self.key_ids)}): restore that key from the backup"
            )
        try:
            blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError("malformed token: payload is not urlsafe base64") from None
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("malformed token: too short")
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ASSOCIATED_DATA)
        except InvalidTag:
            raise DecryptionError(
                f"token does not authenticate under key {key_id!r}: it was altered, or the key"
                " with that id is not the one it was encrypted with"
            ) from None
        try:
            return plain.decode()
        except UnicodeDecodeError:  # cannot happen for tokens we made; be explicit anyway
            raise DecryptionError("decrypted value is not UTF-8 text") from None

    def decrypt_many(self, tokens: Iterable[str | None]) -> list[str | None]:
        """Decrypt a column of tokens; None for an empty one or one that cannot be trusted.

        For whole-register passes (the bulk quality check): one tight loop instead of a
        million calls of ``decrypt`` with their checks and exceptions, about twice as fast.
        """
        aeads = self._aead
        out: list[str | None] = []
        append = out.append
        b64 = binascii.a2b_base64
        table = _URLSAFE_TO_STANDARD
        for token in tokens:
            if not token:
                append(None)
                continue
            key_id, _, payload = token.partition("$")
            aead = aeads.get(key_id)
            if aead is None:  # no key with that id
                append(None)
                continue
            try:
                blob = b64(payload.translate(table) + "=" * (-len(payload) % 4))
                plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ASSOCIATED_DATA)
                append(plain.decode())
            except (binascii.Error, ValueError, InvalidTag):
                append(None)
        return out

    def needs_rotation(self, token: str) -> bool:
        """Whether ``token`` is under a key other than the current encryption key."""
        return self._split(token)[0] != self.primary_key_id

    def reencrypt(self, token: str) -> str:
        """Decrypt ``token`` and encrypt it again under the current key (fresh nonce)."""
        return self.encrypt(self.decrypt(token))


@functools.lru_cache(maxsize=1)
def default_protector() -> Protector:
    """The Protector built from Django settings (read on first use, then cached)."""
    from django.conf import settings  # lazy: this module also serves non-Django code

    _connect_settings_signal()
    return Protector(settings.RENKOU_ENCRYPTION_KEYS, settings.RENKOU_BLIND_INDEX_KEY)


@functools.cache
def _connect_settings_signal() -> None:
    # Tests that override the key settings must not keep a Protector built from the old ones.
    from django.core.signals import setting_changed

    def _reset(*, setting: str, **_: object) -> None:
        if setting in {"RENKOU_ENCRYPTION_KEYS", "RENKOU_BLIND_INDEX_KEY"}:
            default_protector.cache_clear()

    setting_changed.connect(_reset, weak=False, dispatch_uid="renkou.core.crypto.reset")


def blind_index(value: str, *, domain: str | None = None) -> str:
    """Blind index of ``value`` with the configured key (see Protector.blind_index)."""
    return default_protector().blind_index(value, domain=domain)


def encrypt(value: str) -> str:
    """Encrypt ``value`` with the configured keyring's current key."""
    return default_protector().encrypt(value)


def decrypt(token: str) -> str:
    """Decrypt a token with the configured keyring."""
    return default_protector().decrypt(token)


def needs_rotation(token: str) -> bool:
    """Whether ``token`` is under an older key of the configured keyring."""
    return default_protector().needs_rotation(token)


def reencrypt(token: str) -> str:
    """Re-encrypt ``token`` under the configured keyring's current key."""
    return default_protector().reencrypt(token)


def mask_id_number(number: str) -> str:
    """Mask an identity number for display (``110105********002X``); never raises."""
    return mask(number)


PHONE_DOMAIN = "phone"


def mask_phone(number: str) -> str:
    """Mask a phone number for display (``138****5678``: first 3, last 4); never raises."""
    text = "".join(str(number or "").split())
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return mask(text)
