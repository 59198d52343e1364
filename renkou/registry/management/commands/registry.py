"""``renkou registry load|rebuild``: initial load and state verification."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkou.core.drills import drill_stall
from renkou.core.problems import InputRefused, write_problems
from renkou.core.reporting import print_problems
from renkou.registry.loading import registry_load
from renkou.registry.rebuild import registry_rebuild


def persons_left_text(persons: int, left: dict[str, int]) -> str:
    """How many persons a load took, and how many of them had left (translated)."""
    return _(
        "loaded %(persons)s persons, of whom %(dead)s dead, %(emigrated)s emigrated, "
        "%(outside)s living outside the county"
    ) % {
        "persons": f"{persons:,}",
        **{key: f"{left.get(key, 0):,}" for key in ("dead", "emigrated", "outside")},
    }


class Command(BaseCommand):
    """Load the register from files, or rebuild/verify person state from events."""

    help = "Population register: load PATH | rebuild [--verify]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load persons (and households, events) from files")
        load.add_argument("path", type=Path, help="a directory of load files or a persons file")
        load.add_argument("--language", choices=["zh-hans", "en"], default=None)
        load.add_argument(
            "--problems",
            type=Path,
            default=None,
            help="where to write the problems CSV (default: data/loads/<time>-problems.csv)",
        )
        rebuild = sub.add_parser("rebuild", help="recompute person state from events")
        rebuild.add_argument(
            "--verify", action="store_true", help="only report differences, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            with translation.override(options["language"]):
                self._load(options["path"], options["problems"])
        else:
            self._rebuild(verify=options["verify"])

    def _load(self, path: Path, problems_path: Path | None) -> None:
        from django.conf import settings

        started = time.perf_counter()

        def say(msg: str) -> None:
            self.stderr.write(f"… {msg}")
            drill_stall(f"registry.load:{msg}")

        try:
            result = registry_load(path=path, actor="cli", progress=say)
        except InputRefused as exc:
            print_problems(self.stderr, exc.problems)
            raise CommandError("nothing was loaded / 未导入任何数据") from exc
        elapsed = time.perf_counter() - started
        for kind in ("orgunits", "households", "persons", "events"):
            if kind in result.created or kind in result.unchanged:
                self.stdout.write(
                    f"{kind}: {result.created.get(kind, 0)} loaded, "
                    f"{result.unchanged.get(kind, 0)} already there"
                )
        if result.created.get("persons"):
            self.stdout.write(persons_left_text(result.created["persons"], result.persons_left))
        if result.widowhoods:
            self.stdout.write(
                _("%(count)s widowhoods recorded from the deaths of married persons")
                % {"count": f"{result.widowhoods:,}"}
            )
        self.stdout.write(
            f"{result.errors} rows refused, {result.warnings} warnings, {elapsed:.1f} s "
            f"(bulk insert {result.insert_seconds:.1f} s)"
        )
        if result.problems:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            target = problems_path or Path(settings.DATA_DIR) / "loads" / f"{stamp}-problems.csv"
            write_problems(target, result.problems)
            print_problems(self.stderr, result.problems, limit=10)
            self.stdout.write(f"problems written to {target}")

    def _rebuild(self, *, verify: bool) -> None:
        started = time.perf_counter()
        result = registry_rebuild(fix=not verify, actor="cli")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{result.persons} persons, {result.events} events folded in {elapsed:.1f} s; "
            f"{len(result.differences)} differ" + ("" if verify else f", {result.fixed} fixed")
        )
        for diff in result.differences[:20]:
            detail = diff.error or ", ".join(
                f"{k}: stored {v[0]!r} ≠ events {v[1]!r}" for k, v in diff.fields.items()
            )
            self.stdout.write(f"  person {diff.person_id}: {detail}")
        if verify and result.differences:
            sys.exit(1)
