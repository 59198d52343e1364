"""``renkou backup OUT``: a consistent copy of the database and the files worth keeping,
made while the server runs, with a manifest and no keys (docs/operations.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.core.backup import BackupRefused, backup_create
from renkou.core.backup.services import backup_size


class Command(BaseCommand):
    """Back up the register."""

    help = "Write a backup (database copy, kept files, manifest; no keys) to the new directory OUT"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="a new directory for the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"]
        started = time.perf_counter()
        try:
            manifest = backup_create(out=out, actor="cli")
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        counts = manifest["row_counts"]
        self.stdout.write(
            f"backup written to {out.absolute()} ({backup_size(out) / 2**20:.1f} MiB, "
            f"{time.perf_counter() - started:.1f} s): "
            f"{counts['persons']} persons, {counts['events']} events / 备份已写入 "
            f"{out.absolute()}：{counts['persons']} 人，{counts['events']} 条事件"
        )
        self.stdout.write(
            "It holds no keys: keep a copy made with `renkou keys export FILE` apart from it / "
            "备份不含密钥：请另用 `renkou keys export 文件` 保存密钥，并与备份分开保管"
        )
