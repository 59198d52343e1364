"""``renkou keys``: rotate, status, and the copy of the keys kept elsewhere (docs/keys.md).

``keys export FILE`` writes the encryption keyring and the blind-index key encrypted with a
passphrase (asked twice, or read from the environment variable ``--passphrase-env`` names);
``keys import FILE`` puts them back into the data directory, after checking that they fit
this database. A backup holds no keys: without this copy, a restored database is unreadable.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.keycheck import CHECK_TEXT, DOMAIN, KeysDoNotFit, keys_check
from renkou.core.keyfile import KeyFileError, Keys, keys_export, keys_install, keys_read
from renkou.core.models import KeyCheck
from renkou.core.tokens import tokens_by_key, tokens_rotate
from renkou.registry.keyrotation import identity_tokens_by_key, identity_tokens_rotate


class Command(BaseCommand):
    """Key maintenance."""

    help = "Encryption keys: rotate, status, export (encrypted with a passphrase), import"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate", help="re-encrypt tokens that are under an older key")
        sub.add_parser("status", help="how many tokens are under each key")
        for name, text in (
            ("export", "write the keys, encrypted with a passphrase, to FILE (kept elsewhere)"),
            ("import", "put the keys of FILE into the data directory, if they fit the database"),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument("file", type=Path)
            action.add_argument(
                "--passphrase-env",
                default="RENKOU_KEYS_PASSPHRASE",
                help="environment variable holding the passphrase (else it is asked for)",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in ("export", "import"):
            try:
                (self._export if action == "export" else self._import)(options)
            except (KeyFileError, KeysDoNotFit) as exc:
                raise CommandError(str(exc)) from exc
            return
        if action == "rotate":
            done = identity_tokens_rotate(actor="cli")
            self.stdout.write(
                f"re-encrypted: {done['persons']} persons, {done['events']} events, "
                f"{done['phones']} phone tokens"
            )
            for label, n in tokens_rotate(actor="cli").items():
                self.stdout.write(f"re-encrypted: {n} {label}")
            keys_check()  # the key check itself under the newest key
        for key_id, n in sorted(identity_tokens_by_key().items()):
            self.stdout.write(f"{key_id}: {n} person tokens")
        for key_id, n in sorted(tokens_by_key().items()):
            self.stdout.write(
                f"{key_id}: {n} other tokens (accounts, objections, petitioners, rosters)"
            )

    def _passphrase(self, options: dict[str, Any], *, twice: bool) -> str:
        given = os.environ.get(options["passphrase_env"])
        if given:
            return given
        first = getpass.getpass("passphrase / 口令: ")
        if twice and getpass.getpass("again / 再输一次: ") != first:
            raise KeyFileError("the two passphrases differ / 两次输入的口令不同")
        return first

    def _export(self, options: dict[str, Any]) -> None:
        keys_check()  # only keys that fit the database are worth keeping
        row = KeyCheck.objects.get()
        keys = Keys(settings.RENKOU_ENCRYPTION_KEYS, settings.RENKOU_BLIND_INDEX_KEY)
        path = options["file"]
        with transaction.atomic():
            keys_export(
                keys, self._passphrase(options, twice=True), path, key_check=row.blind_index_check
            )
            audit_record(actor="cli", action="keys.export", object_type="keys", after=str(path))
        self.stdout.write(
            f"keys written to {path}: keep it, and the passphrase, apart from the backups / "
            f"密钥已写入 {path}：请与备份分开保管，并牢记口令"
        )

    def _import(self, options: dict[str, Any]) -> None:
        keys, named_check = keys_read(options["file"], self._passphrase(options, twice=False))
        protector = crypto.Protector(keys.encryption_keys, keys.blind_index_key)
        if protector.blind_index(CHECK_TEXT, domain=DOMAIN) != named_check and named_check:
            raise KeyFileError("the key file is damaged / 密钥文件已损坏")
        keys_check(protector)  # refuses keys that do not fit the database
        written = keys_install(keys, Path(settings.DATA_DIR))
        audit_record(
            actor="cli", action="keys.import", object_type="keys", after=str(options["file"])
        )
        self.stdout.write("keys put back / 密钥已放回: " + ", ".join(str(p) for p in written))
        if os.environ.get("RENKOU_ENCRYPTION_KEYS") or os.environ.get("RENKOU_BLIND_INDEX_KEY"):
            self.stderr.write(
                "RENKOU_ENCRYPTION_KEYS / RENKOU_BLIND_INDEX_KEY are set and take precedence over "
                "the files / 已设置的环境变量优先于密钥文件"
            )
