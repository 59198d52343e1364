"""``renkou orgunits load FILE``: load or update the administrative tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.core.problems import InputRefused
from renkou.core.reporting import print_problems
from renkou.orgunits.services import orgunits_load_or_refuse


class Command(BaseCommand):
    """Load org units from a CSV or Parquet file (code, name, parent_code, valid_from, valid_to)."""

    help = "Org units: load FILE"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load units from a CSV file")
        load.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = orgunits_load_or_refuse(path=options["path"], actor="cli")
        except InputRefused as exc:
            print_problems(self.stderr, exc.problems)
            raise CommandError("nothing was loaded / 未导入任何数据") from exc
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        )
