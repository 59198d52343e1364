"""``renkou report forms|summary --orgunit CODE --period ID --lang zh|en --out PATH``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.reports.data import ReportError
from renkou.reports.services import report_write


class Command(BaseCommand):
    """Write the statistical forms (xlsx or csv) or the work summary (docx or pdf)."""

    help = (
        "Reports from the indicator cache: forms → .xlsx/.csv, summary → .docx/.pdf "
        "(the suffix of --out chooses; give --out more than once for several formats)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["forms", "summary"])
        parser.add_argument("--orgunit", required=True, help="org unit code (any level)")
        parser.add_argument("--period", required=True, help="2024, 202403, 2024Q1, 2023Oct …")
        parser.add_argument("--lang", default="zh", help="zh (default) or en")
        parser.add_argument("--basis", choices=["registered", "resident"], default="registered")
        parser.add_argument("--out", action="append", required=True, type=Path, help="file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            record = report_write(
                kind=options["kind"],
                code=options["orgunit"],
                period=options["period"],
                lang=options["lang"],
                basis=options["basis"],
                outputs=options["out"],
                actor="cli",
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        for name in options["out"]:
            self.stdout.write(str(name))
        self.stderr.write(f"{record['seconds']} s")
