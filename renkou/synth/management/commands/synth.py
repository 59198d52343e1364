"""``manage.py synth county ...``: write a synthetic county as load files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.synth.county import generate


class Command(BaseCommand):
    """Generate synthetic data (subcommand ``county``)."""

    help = "Generate synthetic data: `synth county --persons N --years Y --seed S --out DIR`."
    requires_system_checks: list[str] = []  # needs no database and no other app

    def add_arguments(self, parser: CommandParser) -> None:
        """The ``county`` subcommand and its options."""
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{county,rosters}")
        county = sub.add_parser(
            "county", help="a county of N persons with Y years of events, as load files"
        )
        county.add_argument("--persons", type=int, required=True, help="person rows (±1 %%)")
        county.add_argument("--years", type=int, required=True, help="years of events")
        county.add_argument("--seed", type=int, required=True, help="random seed")
        county.add_argument("--out", type=Path, required=True, help="output directory")
        county.add_argument(
            "--end",
            type=date.fromisoformat,
            default=date(2025, 12, 31),
            help="last day of the window, YYYY-MM-DD (default 2025-12-31)",
        )
        county.add_argument(
            "--error-rate", type=float, default=0.0,
            help="inject known errors of every kind into this share of records (errors.csv)",
        )  # fmt: skip
        county.add_argument(
            "--format", dest="fmt", choices=("parquet", "csv"), default="parquet",
            help="format of households, persons and events (orgunits is always CSV)",
        )  # fmt: skip

        rosters = sub.add_parser("rosters", help="department rosters with noise and ground truth")
        rosters.add_argument("--county", type=Path, required=True, help="a synthetic county")
        rosters.add_argument("--seed", type=int, required=True, help="random seed")
        rosters.add_argument("--out", type=Path, required=True, help="output directory")
        rosters.add_argument(
            "--noise", choices=("old", "office"), default="old",
            help="old = the original noise (csv); office = real data-entry habits, "
            "namesakes, xlsx with title rows and totals (issue 17)",
        )  # fmt: skip
        rosters.add_argument(
            "--format", dest="fmt", choices=("both", "xlsx", "csv"), default="both",
            help="files of the office noise: xlsx, csv or both (the old noise writes csv)",
        )  # fmt: skip

    def handle(self, *args: object, **options: object) -> None:
        """Run the subcommand and print the summary as JSON."""
        if options["subcommand"] == "rosters":
            from renkou.synth.office import write_office_rosters
            from renkou.synth.rosters import write_rosters

            try:
                if options["noise"] == "office":
                    fmt = str(options["fmt"])
                    counts = write_office_rosters(
                        options["county"],
                        options["out"],
                        seed=options["seed"],
                        formats=("xlsx", "csv") if fmt == "both" else (fmt,),
                    )
                else:
                    counts = write_rosters(options["county"], options["out"], seed=options["seed"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(counts, sort_keys=True))
            return
        if options["subcommand"] != "county":
            raise CommandError("unknown subcommand")
        try:
            summary = generate(
                persons=options["persons"],
                years=options["years"],
                seed=options["seed"],
                out=options["out"],
                end=options["end"],
                fmt=options["fmt"],
                progress=True,
                error_rate=options["error_rate"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
