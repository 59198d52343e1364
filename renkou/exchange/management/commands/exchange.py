"""``renkou exchange import|link|worklist|quarantine|sender``: rosters from the command line."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.core.audit import audit_record
from renkou.core.cells import CsvDictWriter
from renkou.core.problems import InputRefused, problem
from renkou.core.reporting import print_problems
from renkou.exchange.kinds import (
    KINDS,
    HeaderMapping,
    RosterKind,
    clean_header,
    confirmed_mapping,
    headers_looked_for,
)
from renkou.exchange.linking import roster_link
from renkou.exchange.models import RosterImport
from renkou.exchange.push import sender_create
from renkou.exchange.selectors import WORKLIST_COLUMNS, quarantine_write, worklist
from renkou.exchange.services import roster_import, roster_preview
from renkou.orgunits.models import OrgUnit


class _DryRun(Exception):
    """A dry run has shown the mapping: nothing is imported."""


_FATES = {"mapped": "已对应", "guessed": "按包含猜测，请确认", "ignored": "未导入"}
_LOOKS = {
    "id": "looks like an identity number / 像身份证号",
    "name": "looks like a name / 像姓名",
    "date": "looks like a date / 像日期",
}


def _overrides(
    kind: RosterKind, headers: list[str], columns: dict[str, int], given: str, file: str
) -> dict[str, int]:
    """``columns`` with the ``--columns 'name=header,…'`` pairs laid over it."""
    known = {c.name for c in kind.columns}
    allowed = ", ".join(c.name for c in kind.columns)
    cleaned = [clean_header(h) for h in headers]
    problems = []
    result = dict(columns)
    for pair in filter(None, (p.strip() for p in given.replace("，", ",").split(","))):
        name, sep, header = (x.strip() for x in pair.partition("="))
        if not sep or name not in known:
            problems.append(problem("columns_option", file=file, value=pair, allowed=allowed))
            continue
        if not header:
            result.pop(name, None)
            continue
        wanted = [i for i, h in enumerate(headers) if h == header]
        wanted = wanted or [i for i, h in enumerate(cleaned) if h == clean_header(header)]
        if len(wanted) != 1:
            problems.append(problem("columns_option", file=file, value=pair, allowed=allowed))
            continue
        result = {k: i for k, i in result.items() if i != wanted[0]}
        result[name] = wanted[0]
    if problems:
        raise InputRefused(problems)
    return result


class Command(BaseCommand):
    """Import a roster, link it to the register, print its worklist or quarantine."""

    help = "Department rosters: import | link | worklist | quarantine"
    # The system checks take most of a second; scripts import many rosters one by one.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a roster file (xlsx, xls, csv)")
        imp.add_argument("--kind", required=True, choices=sorted(KINDS))
        imp.add_argument("--orgunit", required=True, help="code of the receiving org unit")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--columns",
            default=None,
            help="the mapping, over the guessed one: 'mother_id=母亲证件号,name=姓名' "
            "(column= for a column not in the file)",
        )
        imp.add_argument(
            "--dry-run",
            action="store_true",
            help="show the guessed mapping and each column's fate; import nothing",
        )
        link = sub.add_parser("link", help="link an import's rows to the register")
        link.add_argument("import_id", type=int)
        link.add_argument(
            "--retrain",
            action="store_true",
            help="train the linkage models afresh instead of reusing the roster kind's kept ones",
        )
        work = sub.add_parser("worklist", help="one line per roster row with its outcome")
        work.add_argument("import_id", type=int)
        work.add_argument("--format", choices=["csv", "json"], default="csv")
        quarantine = sub.add_parser("quarantine", help="write the quarantined rows with reasons")
        quarantine.add_argument("import_id", type=int)
        quarantine.add_argument("out", type=Path)
        sender = sub.add_parser("sender", help="register a hospital that pushes notifications")
        sender.add_argument("--code", required=True, help="the hospital's code")
        sender.add_argument("--name", required=True)
        sender.add_argument("--orgunit", required=True, help="code of the receiving org unit")

    def _import(self, options: dict[str, Any]) -> RosterImport:
        try:
            return RosterImport.objects.get(pk=options["import_id"])
        except RosterImport.DoesNotExist:
            raise CommandError(f"no roster import {options['import_id']}") from None

    def _decider(
        self, options: dict[str, Any]
    ) -> Callable[[list[str], HeaderMapping], tuple[HeaderMapping, bool]]:
        """What the import asks once it has read the file's header: prints every column's
        fate, lays ``--columns`` over the guessed mapping, stops a dry run and refuses an
        unsure guessed mapping without --columns (nothing is written before)."""
        kind = KINDS[options["kind"]]
        path: Path = options["file"]
        given = options["columns"]

        def decide(headers: list[str], found: HeaderMapping) -> tuple[HeaderMapping, bool]:
            mapping = found
            if given is not None:
                columns = _overrides(kind, headers, dict(found.columns), given, path.name)
                mapping = confirmed_mapping(kind, headers, columns)
            self.stdout.write(f"columns of {path.name} / 各列去向:")
            for fate in mapping.fates:
                line = f"  {fate.header}: {fate.fate} / {_FATES[fate.fate]}"
                if fate.column:
                    line += f" → {fate.column}"
                if fate.looks_like:
                    line += f" ({_LOOKS[fate.looks_like]})"
                self.stdout.write(line)
            for name in mapping.missing:
                looked_for = headers_looked_for(kind, name)
                self.stdout.write(f"  {name}: not found / 未找到 ({looked_for})")
            if options["dry_run"]:
                state = "unsure / 不确定" if mapping.unsure else "sure / 确定"
                self.stdout.write(f"mapping {state}; dry run, nothing imported / 试运行，未导入")
                raise _DryRun
            if given is None and mapping.unsure:
                reasons = [f"guessed: {', '.join(mapping.guessed)}"] if mapping.guessed else []
                reasons += [f"missing: {', '.join(mapping.missing)}"] if mapping.missing else []
                if mapping.doubtful:
                    reasons.append(f"ignored: {', '.join(mapping.doubtful)}")
                raise InputRefused(
                    [problem("mapping_unsure", file=path.name, value="; ".join(reasons))]
                )
            return mapping, given is not None

        return decide

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            orgunit = OrgUnit.objects.filter(code=options["orgunit"]).first()
            if orgunit is None:
                raise CommandError(f"unknown org unit {options['orgunit']}")
            try:
                if options["dry_run"]:  # the preview's first rows are enough to show it
                    preview = roster_preview(path=options["file"], kind=options["kind"])
                    self._decider(options)(preview.headers, preview.mapping)
                result = roster_import(
                    path=options["file"],
                    kind=options["kind"],
                    orgunit=orgunit,
                    actor="cli",
                    decide=self._decider(options),
                )
            except _DryRun:
                return
            except InputRefused as exc:
                print_problems(self.stderr, exc.problems)
                raise CommandError("nothing was imported / 未导入任何数据") from exc
            imp = result.roster_import
            if not result.created and result.same_rows:
                self.stdout.write(
                    f"import {imp.pk}: these rows were already imported from {imp.file_name},"
                    " nothing done"
                )
            elif not result.created:
                self.stdout.write(f"import {imp.pk}: this file was already imported, nothing done")
                return
            self.stdout.write(
                f"import {imp.pk}: {imp.rows_total} rows, {imp.rows_staged} staged, "
                f"{imp.rows_quarantined} quarantined"
            )
            if imp.mapping.get("guessed"):
                self.stdout.write(f"columns mapped by guess: {imp.mapping['guessed']}")
        elif action == "sender":
            orgunit = OrgUnit.objects.filter(code=options["orgunit"]).first()
            if orgunit is None:
                raise CommandError(f"unknown org unit {options['orgunit']}")
            try:
                sender, token = sender_create(
                    code=options["code"], name=options["name"], orgunit=orgunit, actor="cli"
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"sender {sender.code}: its token (shown once): {token}")
        elif action == "link":
            counts = roster_link(
                roster_import=self._import(options), actor="cli", retrain=options["retrain"]
            )
            self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        elif action == "worklist":
            entries = worklist(self._import(options))
            if options["format"] == "json":
                self.stdout.write(json.dumps(entries, ensure_ascii=False))
            else:
                buffer = io.StringIO()
                writer = CsvDictWriter(buffer, fieldnames=WORKLIST_COLUMNS)
                writer.writeheader()
                writer.writerows(entries)
                self.stdout.write(buffer.getvalue(), ending="")
        else:
            imp = self._import(options)
            n = quarantine_write(imp, options["out"])
            audit_record(
                actor="cli",
                action="exchange.quarantine_export",
                object_type="roster_import",
                object_id=imp.pk,
                after={"rows": n, "file": str(options["out"])},
            )
            self.stdout.write(f"{n} quarantined entries written to {options['out']}")
