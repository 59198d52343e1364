"""``renkou indicators``: vital statistics of one org unit and period, from the cache."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from renkou import demography as dm
from renkou.analytics import selectors, srb_settings
from renkou.analytics.cache import cached, indicators_refresh
from renkou.analytics.indicators import INDICATORS
from renkou.analytics.labels import RATES, label, not_a_period, period_text
from renkou.analytics.models import IndicatorValue, stored_srb_settings
from renkou.analytics.periods import Period, PeriodError, parse
from renkou.analytics.services import srb_setting_set
from renkou.core.cells import CsvDictWriter, CsvWriter
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


def floating_records(code: str, period: Period) -> list[dict[str, Any]]:
    """通报率, 协查反馈率 and 反馈及时率 of the unit and period, as the command's records (in
    per cent, Wilson 95 % interval; no value where nothing was counted). They count the
    messages, not the snapshot: no basis, nothing cached."""
    from renkou.floating.selectors import RATE_INDICATORS, unit_rates

    rates = unit_rates(code, period.start, period.end)
    records = []
    for name, (key, text) in RATE_INDICATORS.items():
        ratio = rates[key]
        interval = (
            list(dm.bounded_rate_interval(ratio.numerator, ratio.denominator, per=100.0))
            if ratio.denominator
            else None
        )
        records.append(
            {
                "indicator": name,
                "label": str(text),
                "orgunit": code,
                "period": period.id,
                "basis": None,
                "value": ratio.percent,
                "numerator": ratio.numerator,
                "denominator": ratio.denominator,
                "count": ratio.denominator,
                "interval": interval,
                "small_numbers": False,
            }
        )
    return records


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
        "[--table indicators|pyramid|married_women] [--format json|csv|table]; "
        "or --refresh [--full] to refresh the cache; or --srb-settings to list, and "
        "--srb-set --valid-from DATE [--band 103-107] [--weights Y-3..Y-1=40,Y=60] "
        "--reason TEXT to change, the sex ratio setting"
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
        parser.add_argument(
            "--table",
            choices=["indicators", *selectors.BREAKDOWNS],
            default="indicators",
            help="the indicators, the population pyramid, or married women by living children",
        )
        parser.add_argument(
            "--srb-settings", action="store_true", help="list the sex ratio setting's history"
        )
        parser.add_argument(
            "--srb-set",
            action="store_true",
            help="set the normal band and weighted SRB years from --valid-from on",
        )
        parser.add_argument("--valid-from", type=_date, help="with --srb-set: first day")
        parser.add_argument("--band", help="with --srb-set: normal range, e.g. 103-107")
        parser.add_argument(
            "--weights", help="with --srb-set: parts and per cent, e.g. Y-3..Y-1=40,Y=60"
        )
        parser.add_argument("--reason", default="", help="with --srb-set: why (audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            if options["refresh"]:
                self._refresh(options)
                return
            if options["srb_set"]:
                self._srb_set(options)
                return
            if options["srb_settings"]:
                self._srb_list(options["format"])
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
            if options["table"] != "indicators":
                self._breakdown(code, period, options)
                return
            records = [as_record(v) for v in values] + floating_records(code, period)
            self._print(records, options["format"])

    def _breakdown(self, code: str, period: Period, options: dict[str, Any]) -> None:
        """The pyramid or the married women by living children, as json, csv or a table."""
        read = getattr(selectors, options["table"])
        rows = read(code, period, options["basis"]) or []
        fmt = options["format"]
        if fmt == "json":
            record = {
                "table": options["table"],
                "orgunit": code,
                "period": period.id,
                "period_name": period_text(period),
                "basis": options["basis"],
                "rows": rows,
            }
            self.stdout.write(json.dumps(record, ensure_ascii=False, indent=1))
            return
        columns = list(rows[0]) if rows else []
        if fmt == "csv":
            writer = CsvWriter(self.stdout)
            writer.writerow(columns)
            writer.writerows([r[c] for c in columns] for r in rows)
            return
        self.stdout.write(f"{code} · {period_text(period)}")
        for r in rows:
            self.stdout.write("  ".join(f"{r[c]!s:>12}" for c in columns))

    def _srb_list(self, fmt: str) -> None:
        """The setting's history, the default first."""
        history = [srb_settings.DEFAULT, *stored_srb_settings().history]
        records = [
            {
                "valid_from": s.valid_from.isoformat(),
                "normal_low": s.normal_low,
                "normal_high": s.normal_high,
                "weights": s.parts_text(),
            }
            for s in history
        ]
        if fmt == "json":
            self.stdout.write(json.dumps(records, ensure_ascii=False, indent=1))
            return
        if fmt == "csv":
            writer = CsvDictWriter(self.stdout, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
            return
        for r in records:
            self.stdout.write(
                f"{r['valid_from']}  {r['normal_low']:g}–{r['normal_high']:g}  {r['weights']}"
            )

    def _srb_set(self, options: dict[str, Any]) -> None:
        """Change the sex ratio setting from a date on (the rest as in force before it)."""
        if options["valid_from"] is None:
            raise CommandError(_("give --valid-from with --srb-set"))
        if not options["reason"].strip():
            raise CommandError(_("give --reason with --srb-set: the change is audited"))
        before = stored_srb_settings().at(options["valid_from"])
        low, high = before.normal_low, before.normal_high
        parts = before.parts
        try:
            if options["band"]:
                first, _dash, last = options["band"].partition("-")
                low, high = float(first), float(last)
            if options["weights"]:
                parts = srb_settings.parse_parts(options["weights"])
            srb_setting_set(
                valid_from=options["valid_from"],
                normal_low=low,
                normal_high=high,
                parts=parts,
                actor="cli",
                reason=options["reason"].strip(),
            )
        except (ValueError, srb_settings.SettingError) as exc:
            raise CommandError(_("not a sex ratio setting: %(error)s") % {"error": exc}) from exc
        self._srb_list(options["format"])
        self.stderr.write(
            _(
                "The cached weighted sex ratios this change can alter are marked stale; "
                "`renkou indicators --refresh` recomputes them."
            )
        )

    def _values(self, code: str, period: Period, basis: str) -> list[IndicatorValue]:
        values = cached(orgunit=code, period=period, basis=basis)
        # every indicator, but the weighted SRB only for years and statistical years
        expected = len(INDICATORS) - (period.kind not in srb_settings.WEIGHTED_KINDS)
        if len(values) < expected or any(v.stale for v in values):
            # Not cached yet (or stale): refresh the snapshot and compute this period.
            indicators_refresh(periods=[period])
            values = cached(orgunit=code, period=period, basis=basis)
        return values

    def _print(self, records: list[dict[str, Any]], fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(records, ensure_ascii=False, indent=1))
            return
        if fmt == "csv":
            writer = CsvWriter(self.stdout)
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
