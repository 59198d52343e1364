"""``renkou restore BACKUP``: replace the database by a backup's, after checking its
manifest, its schema and the keys (docs/operations.md). Stop the server first."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from renkou.core.backup import BackupRefused, backup_check, backup_restore
from renkou.core.keyfile import KeyFileError, Keys, keys_read


class Command(BaseCommand):
    """Restore the register from a backup."""

    help = "Replace the database by the backup's (checked first); stop renkou serve before"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="a directory written by renkou backup")
        parser.add_argument(
            "--keys",
            type=Path,
            help="the key file of `renkou keys export` to put in place with the database",
        )
        parser.add_argument(
            "--passphrase-env",
            default="RENKOU_KEYS_PASSPHRASE",
            help="environment variable holding the key file's passphrase (else it is asked for)",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        backup = options["backup"]
        started = time.perf_counter()  # the confirmation's wait aside, see below
        try:
            keys = self._keys(options)
            from renkou.core import crypto

            protector = (
                crypto.Protector(keys.encryption_keys, keys.blind_index_key) if keys else None
            )
            manifest = backup_check(backup=backup, protector=protector)
            waited = time.perf_counter()
            self._confirm(manifest, options["yes"])
            started += time.perf_counter() - waited
            manifest = backup_restore(backup=backup, actor="cli", keys=keys)
        except (BackupRefused, KeyFileError) as exc:
            raise CommandError(str(exc)) from exc
        migrated, seconds = len(manifest["pending"]), time.perf_counter() - started
        self.stdout.write(
            f"restored the backup of {manifest['created_at']} in {seconds:.1f} s"
            f" ({migrated} migrations applied since) / 已恢复 {manifest['created_at']} 的备份"
            f"（其后应用了 {migrated} 个迁移）"
        )

    def _keys(self, options: dict[str, Any]) -> Keys | None:
        if options["keys"] is None:
            return None
        import getpass

        passphrase = os.environ.get(options["passphrase_env"]) or getpass.getpass(
            "passphrase of the key file / 密钥文件口令: "
        )
        keys, _ = keys_read(options["keys"], passphrase)
        return keys

    def _confirm(self, manifest: dict[str, Any], yes: bool) -> None:
        counts = manifest.get("row_counts", {})
        target = connection.settings_dict["NAME"]
        self.stdout.write(
            f"The database {target} will be replaced by the backup of {manifest['created_at']} "
            f"({counts.get('persons')} persons, {counts.get('events')} events) / 数据库 {target} "
            f"将被 {manifest['created_at']} 的备份替换（{counts.get('persons')} 人，"
            f"{counts.get('events')} 条事件）"
        )
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError("confirm with --yes / 请加 --yes 确认")
        if input("type yes to go on / 输入 yes 继续: ").strip().lower() != "yes":
            raise CommandError("not restored / 未恢复")
