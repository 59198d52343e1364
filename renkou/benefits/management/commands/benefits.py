"""``renkou benefits parameters | cycle compute|notice|approve|pay|reconcile|rate``."""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from renkou.benefits.choices import programme_choices
from renkou.benefits.facts_import import KINDS as FACT_KINDS
from renkou.benefits.facts_import import fact_import
from renkou.benefits.models import Cycle, PaymentBatch
from renkou.benefits.notice import notice_write
from renkou.benefits.parameters import all_parameters
from renkou.benefits.payments import batch_create, batch_reconcile, disbursement_rate
from renkou.benefits.services import (
    CycleError,
    cycle_approve,
    cycle_compute,
    cycle_notice,
    entitlements_stop_after_death,
)
from renkou.core.problems import InputRefused
from renkou.core.reporting import print_problems, progress_printer
from renkou.core.scoping import may
from renkou.orgunits.models import OrgUnit


class Command(BaseCommand):
    """Benefit parameters and the yearly cycle from the command line."""

    help = "Family benefits: parameters | cycle compute|notice|approve|pay|reconcile|rate"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("parameters", help="every parameter with its dated history")
        sub.add_parser("stop-after-death", help="stop months after deaths, flag paid ones")
        facts = sub.add_parser(
            "import", help="a file of facts the rules read (accounts, certificates, ...)"
        )
        facts.add_argument("kind", choices=list(FACT_KINDS))
        facts.add_argument("file", type=Path)
        facts.add_argument("--area", required=True, help="org-unit code of the file's area")
        facts.add_argument("--as", dest="user", required=True, help="the acting user name")
        cycle = sub.add_parser("cycle", help="one step of a yearly cycle")
        steps = cycle.add_subparsers(dest="step", required=True)
        compute = steps.add_parser("compute", help="draft decisions for a programme and year")
        compute.add_argument(
            "--programme", required=True, choices=[c for c, _label in programme_choices()]
        )
        compute.add_argument("--year", type=int, required=True)
        compute.add_argument("--area", required=True, help="org-unit code (subtree)")
        notice = steps.add_parser("notice", help="publish the notice list (xlsx per village)")
        notice.add_argument("cycle", type=int)
        notice.add_argument("--start", type=datetime.date.fromisoformat, required=True)
        notice.add_argument("--days", type=int, default=7)
        notice.add_argument("--out", type=Path, required=True, help="the xlsx to write")
        approve = steps.add_parser("approve", help="approve (not by the user who computed)")
        approve.add_argument("cycle", type=int)
        pay = steps.add_parser("pay", help="write the bank's payment file (xlsx or csv)")
        pay.add_argument("cycle", type=int)
        pay.add_argument("--out", type=Path, required=True)
        rec = steps.add_parser("reconcile", help="import the bank's result for a payment file")
        rec.add_argument("batch", type=int)
        rec.add_argument("--result", type=Path, required=True)
        rate = steps.add_parser("rate", help="disbursement rate (到位率) per village")
        rate.add_argument("cycle", type=int)
        for p in (compute, notice, approve, pay, rec):
            p.add_argument("--as", dest="user", required=True, help="the acting user name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "parameters":
                self._parameters()
            elif options["action"] == "import":
                self._import(options)
            elif options["action"] == "stop-after-death":
                self.stdout.write(str(entitlements_stop_after_death(actor="cli")))
            else:
                getattr(self, f"_{options['step']}")(options)
        except (CycleError, Cycle.DoesNotExist, PaymentBatch.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc

    def _user(self, options: dict, area: str) -> Any:
        """The acting user, who must run benefit cycles in ``area`` (county administrator)."""
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {options['user']!r}") from exc
        if not may(user, "benefits", area):
            raise CommandError(f"{user.username} may not run benefit cycles in {area}")
        return user

    def _import(self, o: dict) -> None:
        """Import a fact file; its refused rows are listed with their reasons."""
        area = OrgUnit.objects.filter(code=o["area"]).first()
        if area is None:
            raise CommandError(f"no org unit {o['area']!r}")
        user = self._user(o, area.code)
        path: Path = o["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        started = time.perf_counter()
        try:
            result = fact_import(
                path=path,
                kind=o["kind"],
                orgunit=area,
                actor=user,
                progress=progress_printer(self.stderr),
            )
        except InputRefused as exc:
            print_problems(self.stderr, exc.problems)
            raise CommandError("nothing was imported") from exc
        imp = result.fact_import
        if not result.created:
            self.stdout.write(f"fact import {imp.pk}: this file was imported before; nothing done")
            return
        self.stdout.write(
            f"fact import {imp.pk}: {imp.rows_total} rows, {imp.rows_applied} recorded,"
            f" {imp.rows_unchanged} already recorded, {imp.rows_quarantined} refused"
            f" in {time.perf_counter() - started:.1f} s"
        )
        for p in imp.problems.all()[:50]:
            self.stdout.write(f"  row {p.row_number}, {p.column}: {p.reason_zh} / {p.reason_en}")
        if imp.rows_quarantined > 50:
            self.stdout.write(f"  … and {imp.rows_quarantined - 50} more on the import's page")

    def _parameters(self) -> None:
        for path, description, dated in all_parameters():
            self.stdout.write(f"{path}  {description}")
            for d in dated:
                self.stdout.write(f"    from {d.start}: {d.value}")

    def _compute(self, o: dict) -> None:
        started = time.perf_counter()
        cycle = cycle_compute(
            programme=o["programme"],
            year=o["year"],
            orgunit=OrgUnit.objects.get(code=o["area"]),
            actor=self._user(o, o["area"]),
        )
        counts = {
            k: cycle.decisions.filter(outcome=k).count()
            for k in ("eligible", "not_eligible", "undecided")
        }
        self.stdout.write(f"cycle {cycle.pk}: {counts} in {time.perf_counter() - started:.1f} s")

    def _notice(self, o: dict) -> None:
        cycle = Cycle.objects.get(pk=o["cycle"])
        cycle_notice(
            cycle=cycle, start=o["start"], days=o["days"], actor=self._user(o, cycle.orgunit_id)
        )
        rows = notice_write(cycle, o["out"])
        self.stdout.write(f"cycle {cycle.pk}: {rows} rows on notice until {cycle.notice_until}")

    def _approve(self, o: dict) -> None:
        cycle = Cycle.objects.get(pk=o["cycle"])
        created = cycle_approve(cycle=cycle, actor=self._user(o, cycle.orgunit_id))
        self.stdout.write(f"cycle {o['cycle']}: approved, {created} monthly entitlements")

    def _pay(self, o: dict) -> None:
        cycle = Cycle.objects.get(pk=o["cycle"])
        # the file in the office's language (RENKOU_LANGUAGE), whatever was active before
        with translation.override(settings.LANGUAGE_CODE):
            result = batch_create(cycle=cycle, path=o["out"], actor=self._user(o, cycle.orgunit_id))
        if result.kept:
            self.stdout.write(
                f"payment file {result.batch.pk} ({o['out']}, {result.lines} lines) is complete;"
                " nothing new to pay"
            )
            return
        self.stdout.write(
            f"payment file {result.batch.pk}: {result.lines} lines, {result.total} yuan;"
            f" {len(result.missing_account)} without a bank account,"
            f" {len(result.waiting_account)} waiting for a corrected account"
        )

    def _reconcile(self, o: dict) -> None:
        batch = PaymentBatch.objects.get(pk=o["batch"])
        counts = batch_reconcile(
            batch=batch, path=o["result"], actor=self._user(o, batch.cycle.orgunit_id)
        )
        self.stdout.write(f"payment file {o['batch']}: {counts}")

    def _rate(self, o: dict) -> None:
        for village, owed, paid, rate in disbursement_rate(Cycle.objects.get(pk=o["cycle"])):
            self.stdout.write(f"{village}\t{owed:.2f}\t{paid:.2f}\t{rate:.1%}")
