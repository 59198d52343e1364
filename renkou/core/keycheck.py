"""Refuse to run with keys that do not fit the database.

A database restored without its keys, or a data directory whose key files were lost and
generated afresh at start-up, would leave every identity number unreadable and every blind
index useless, silently. The first start stores what the keys give
(``core.models.KeyCheck``); every later start of the web app, the worker and ``renkou init``
compares. A database from before this check is checked on a stored identity number.
"""

from __future__ import annotations

from django.db import transaction

from renkou.core import crypto
from renkou.core.models import KeyCheck

CHECK_TEXT = "renkou key check"
DOMAIN = "keycheck"

WHAT_TO_DO = (
    "The keys in the data directory (encryption_keys, blind_index_key, or "
    "RENKOU_ENCRYPTION_KEYS / RENKOU_BLIND_INDEX_KEY) are not the keys this database was "
    "written with: {reason}. Put back the keys that belong to this database (from the copy "
    "made with `renkou keys export`: `renkou keys import`), or point RENKOU_DATA_DIR at the "
    "directory that holds them. Nothing was changed.\n"
    "数据目录中的密钥与本数据库不符：{reason_zh}。请放回本数据库所用的密钥（用 "
    "`renkou keys import` 导入以 `renkou keys export` 保存的副本），或将 RENKOU_DATA_DIR "
    "指向存放密钥的目录。未作任何更改。"
)


class KeysDoNotFit(Exception):
    """The keys cannot read this database."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(WHAT_TO_DO.format(reason=reason, reason_zh=reason_zh))
        self.reason, self.reason_zh = reason, reason_zh


def _stored_identity_fits(protector: crypto.Protector) -> None:
    """Raise if a stored identity number cannot be decrypted, or its blind index differs."""
    from renkou.registry.models import Person

    sample = (
        Person.objects.exclude(id_number_enc="")
        .values_list("id_number_enc", "id_number_hash")
        .first()
    )
    if sample is None:
        return
    token, stored_hash = sample
    try:
        number = protector.decrypt(token)
    except crypto.DecryptionError as exc:
        raise KeysDoNotFit(
            "a stored identity number cannot be decrypted", "已存身份证号无法解密"
        ) from exc
    if stored_hash and protector.blind_index(number) != stored_hash:
        raise KeysDoNotFit("the blind-index key differs", "盲索引密钥不同")


def keys_fit(protector: crypto.Protector, *, blind_index_check: str, encryption_check: str) -> None:
    """Raise ``KeysDoNotFit`` unless ``protector`` gives a stored key check (the database's
    ``KeyCheck`` row, or one read from a backup)."""
    if protector.blind_index(CHECK_TEXT, domain=DOMAIN) != blind_index_check:
        raise KeysDoNotFit("the blind-index key differs", "盲索引密钥不同")
    try:
        ok = protector.decrypt(encryption_check) == CHECK_TEXT
    except crypto.DecryptionError:
        ok = False
    if not ok:
        raise KeysDoNotFit(
            "the encryption keyring lacks the key the data were written with",
            "加密密钥环中缺少写入数据时所用的密钥",
        )


@transaction.atomic
def keys_check(protector: crypto.Protector | None = None) -> None:
    """Check the keys (the configured ones, or ``protector``'s) against the database, storing
    the check on first use; raise ``KeysDoNotFit`` with what to do if they do not fit."""
    protector = protector or crypto.default_protector()
    index = protector.blind_index(CHECK_TEXT, domain=DOMAIN)
    row = KeyCheck.objects.select_for_update().first()
    if row is None:
        _stored_identity_fits(protector)
        KeyCheck.objects.create(
            blind_index_check=index, encryption_check=protector.encrypt(CHECK_TEXT)
        )
        return
    keys_fit(
        protector, blind_index_check=row.blind_index_check, encryption_check=row.encryption_check
    )
    if protector.needs_rotation(row.encryption_check):
        row.encryption_check = protector.encrypt(CHECK_TEXT)  # under the newest key
        row.save(update_fields=["encryption_check", "updated_at"])
