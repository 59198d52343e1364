"""``renkou indicators``: vital statistics of one org unit and period, from the cache."""

from __future__ import annotations

import csv
import datetime
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from renkou import demography as dm
from renkou.analytics.cache import cached, indicators_refresh
from renkou.analytics.indicators import INDICATORS
from renkou.analytics.labels import RATES, label, not_a_period
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import Period, PeriodError, parse
from renkou.orgunits.models import OrgUnit

FIELDS = ["indicator", "label", "value", "numerator", "denominator", "count", "low", "high"]


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def as_record(v: IndicatorValue) -> dict[str, Any]:
    """One indicator as the JSON/CSV record the command prints."""
    has_interval = v.low is not None and v.high is not None
    return {
        "indicator": v.indicator,
        "label": label(v.indicator),
        "orgunit": v.orgunit,
        "period": v.period,
        "basis": v.basis,
        "value": v.value,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "count": v.count,
        "interval": [v.low, v.high] if has_interval else None,
        "small_numbers": v.indicator in RATES
        and v.count is not None
        and v.count < dm.SMALL_NUMBERS,
    }


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


class Command(BaseCommand):
    """Print the indicators of one org unit and period (computing them first if needed)."""

    help = (
        "Vital statistics: --orgunit CODE --period ID [--basis registered|resident] "
        "[--format json|csv|table]; or --refresh [--full] to refresh the cache"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgunit", help="org unit code (any level)")
        parser.add_argument("--period", help="2024, 202403, 2024Q1, 2023Oct, 2023OctS1 …")
        parser.add_argument("--basis", choices=["registered", "resident"], default="registered")
        parser.add_argument("--format", choices=["json", "csv", "table"], default="table")
        parser.add_argument("--language", choices=["zh-hans", "en"], default=None)
        parser.add_argument(
            "--refresh", action="store_true", help="bring the snapshot and the cache up to date"
        )
        parser.add_argument(
            "--full", action="store_true", help="with --refresh: recompute every period"
        )
        parser.add_argument("--from", dest="first", type=_date, help="with --full: first day")
        parser.add_argument("--to", dest="last", type=_date, help="with --full: last day")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            if options["refresh"]:
                self._refresh(options)
                return
            if not options["orgunit"] or not options["period"]:
                raise CommandError(_("give --orgunit and --period, or --refresh"))
            try:
                period = parse(options["period"])
            except PeriodError as exc:
                raise CommandError(not_a_period(options["period"])) from exc
            code = options["orgunit"]
            if not OrgUnit.objects.filter(code=code).exists():
                raise CommandError(_("no such org unit: %(code)s") % {"code": code})
            values = self._values(code, period, options["basis"])
            self._print(values, options["format"])

    def _values(self, code: str, period: Period, basis: str) -> list[IndicatorValue]:
        values = cached(orgunit=code, period=period, basis=basis)
        if len(values) < len(INDICATORS) or any(v.stale for v in values):
            # Not cached yet (or stale): refresh the snapshot and compute this period.
            indicators_refresh(periods=[period])
            values = cached(orgunit=code, period=period, basis=basis)
        return values

    def _print(self, values: list[IndicatorValue], fmt: str) -> None:
        records = [as_record(v) for v in values]
        if fmt == "json":
            self.stdout.write(json.dumps(records, ensure_ascii=False, indent=1))
            return
        if fmt == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow([*FIELDS, "small_numbers"])
            for r in records:
                low, high = r["interval"] or (None, None)
                writer.writerow(
                    [
                        r["indicator"],
                        r["label"],
                        r["value"],
                        r["numerator"],
                        r["denominator"],
                        r["count"],
                        low,
                        high,
                        r["small_numbers"],
                    ]
                )
            return
        head = [_("Indicator"), _("Value"), _("Count"), _("Interval (95 per cent)")]
        lines = [head]
        for r in records:
            interval = (
                f"{_number(r['interval'][0])} – {_number(r['interval'][1])}"
                if r["interval"]
                else ""
            )
            flag = " *" if r["small_numbers"] else ""
            lines.append([r["label"] + flag, _number(r["value"]), _number(r["count"]), interval])
        width = max(len(line[0]) for line in lines)
        for line in lines:
            self.stdout.write(f"{line[0]:<{width}}  {line[1]:>14}  {line[2]:>10}  {line[3]}")
        if any(r["small_numbers"] for r in records):
            self.stdout.write(_("* fewer than 100 events: read with its count and interval"))

    def _refresh(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        result = indicators_refresh(
            full=options["full"], first=options["first"], last=options["last"]
        )
        self.stdout.write(
            _(
                "snapshot: %(events)s new events; %(invalidated)s figures made stale; "
                "%(stored)s figures stored for %(periods)s periods in %(seconds).1f s"
            )
            % {
                "events": result.snapshot.events,
                "invalidated": result.invalidated,
                "stored": result.stored,
                "periods": len(set(result.periods)),
                "seconds": time.perf_counter() - started,
            }
        )
