"""``renkou quality run|report``: check the register in bulk; print quality rates."""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from renkou.core.cells import CsvDictWriter
from renkou.orgunits.models import OrgUnit
from renkou.quality.aggregates import OUTLIER_THRESHOLD, aggregate_checks
from renkou.quality.bulk import STEPS, quality_run
from renkou.quality.rates import Rates, quality_rates
from renkou.quality.rules import BY_CODE, RULES


class Command(BaseCommand):
    """Run every logic-check rule over the register, or report the quality rates."""

    help = "Data quality: run [--orgunit CODE] | report --orgunit CODE --format json|csv"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="check every person (of one org unit) with every rule")
        run.add_argument("--orgunit", default="", help="only persons of this unit's subtree")
        run.add_argument(
            "--as-of", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD"
        )
        sub.add_parser("rules", help="list every rule: code, severity, message, rationale")
        agg = sub.add_parser(
            "aggregates", help="outlying monthly counts, missing and late reports (JSON)"
        )
        agg.add_argument("--orgunit", required=True, help="org-unit code")
        agg.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
        agg.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
        agg.add_argument(
            "--threshold", type=float, default=OUTLIER_THRESHOLD, help="modified z-score limit"
        )
        report = sub.add_parser("report", help="logic accuracy and completeness rates")
        report.add_argument("--orgunit", required=True, help="org-unit code")
        report.add_argument("--format", choices=("json", "csv"), default="json")
        report.add_argument(
            "--date", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rules":
            for rule in RULES:
                self.stdout.write(f"{rule.code:28} {rule.severity:8} {rule.message({}, 'en')}")
                self.stdout.write(f"{'':37} {rule.message({}, 'zh')}")
                self.stdout.write(f"{'':37} why: {rule.rationale}")
            return
        code = options["orgunit"]
        if code and not OrgUnit.objects.filter(code=code).exists():
            raise CommandError(f"unknown org unit {code} / 区划代码 {code} 不存在")
        if options["action"] == "run":
            self._run(code, options["as_of"])
        elif options["action"] == "aggregates":
            try:
                first = datetime.date.fromisoformat(options["first"] + "-01")
                last = datetime.date.fromisoformat(options["last"] + "-01")
            except ValueError as exc:
                raise CommandError("months are YYYY-MM / 月份格式应为 YYYY-MM") from exc
            checks = aggregate_checks(
                orgunit=OrgUnit.objects.get(code=code),
                first=first,
                last=last,
                threshold=options["threshold"],
            )
            self.stdout.write(json.dumps(asdict(checks), ensure_ascii=False, indent=2))
        else:
            self._report(OrgUnit.objects.get(code=code), options["format"], options["date"])

    def _run(self, code: str, as_of: datetime.date | None) -> None:
        bar = tqdm(total=len(STEPS), desc="quality", unit="step", file=self.stderr._out)

        def step(name: str) -> None:
            if name in STEPS[1:] or name == "":
                bar.update(1)
            bar.set_postfix_str(name)

        result = quality_run(actor="cli", orgunit=code, as_of=as_of, step=step)
        bar.close()
        self.stdout.write(
            f"{result.persons} persons checked, {result.findings} findings, "
            f"{result.persons_with_error} persons with an error "
            f"({result.seconds.get('total', 0):.1f} s)"
        )
        steps = ", ".join(f"{name} {result.seconds.get(name, 0):.1f} s" for name in STEPS)
        self.stdout.write(f"  ({steps})")
        for rule, count in sorted(result.by_rule.items()):
            self.stdout.write(f"  {rule:28} {BY_CODE[rule].severity:8} {count}")

    def _report(self, unit: OrgUnit, fmt: str, day: datetime.date | None) -> None:
        rows = [r.as_dict() for r in quality_rates(orgunit=unit, day=day)]
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        writer = CsvDictWriter(self.stdout, fieldnames=list(Rates.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(rows)
