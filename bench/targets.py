"""Benchmark: scoring and ranking every township and village of the 1,000,000-person county
on 20 targets, for a year and each of its 36 ten-day periods.

Limit from the issue: at most 10 s. The county sets an agreement of 20 targets for its
townships and each township one for its villages (through the service); the scores,
ranks and watch lists of every agreement are then computed for the year and its 36
ten-day periods (37 periods) from the indicator cache, timed inside one process (the
Python and Django start is reported beside it). The cache's figures of the year, its
quarters, months and ten-day periods are computed first (the worker's job, ``targets.
compute``), timed on a line of their own.
"""

from __future__ import annotations

import json
import re

from bench.common import median, renkou_cmd, run_measured
from bench.load import loaded_sqlite

LIMIT_SECONDS = 10.0
YEAR = 2025

SETUP = f"""
import json, time
from django.contrib.auth import get_user_model
from renkou.analytics.models import IndicatorValue
from renkou.orgunits.models import OrgUnit
from renkou.targets.jobs import year_periods
from renkou.targets.services import TargetSpec, agreement_save
YEAR = {YEAR}
periods = year_periods(YEAR)
have = set(IndicatorValue.objects.filter(indicator="births", period__in=[p.id for p in periods])
    .values_list("period", flat=True).distinct())
took = None
if len(have) < len(periods):
    from renkou.analytics.cache import indicators_refresh
    started = time.perf_counter()
    r = indicators_refresh(periods=periods)
    took = time.perf_counter() - started
    print("computed", r.stored, "figures")
User = get_user_model()
actor = User.objects.filter(username="bench-targets").first() or User.objects.create_superuser(
    "bench-targets", password="unused-Bench-2026")
names = ["crude_birth_rate", "crude_death_rate", "natural_growth_rate", "sex_ratio_at_birth",
    "parity_share_1", "parity_share_2", "general_fertility_rate", "total_fertility_rate",
    "infant_mortality_rate", "parity_share_3plus"]
lower = {{"crude_death_rate", "sex_ratio_at_birth", "infant_mortality_rate", "parity_share_3plus"}}
county = OrgUnit.objects.get(level=3)
# each target at the county's own figure of the year, so that some units meet it and some not
own = {{(v.indicator, v.basis): v.value for v in IndicatorValue.objects.filter(
    orgunit=county.code, period=str(YEAR), indicator__in=names)}}
specs = []
for basis in ("registered", "resident"):
    for n, name in enumerate(names):
        target = round(abs(own.get((name, basis)) or 0) or 1.0, 2)
        if name == "natural_growth_rate":
            target = round(own.get((name, basis)) or 0.0, 2)
            specs.append(TargetSpec(name, target, "higher", 5, "linear", target - 5, basis, True))
            continue
        if name in lower:
            specs.append(TargetSpec(name, target, "lower", 5, "linear" if n % 2 else "pass_fail",
                target * 1.5 if n % 2 else None, basis, True))
        else:
            specs.append(TargetSpec(name, target, "higher", 5, "linear" if n % 2 else "pass_fail",
                target * 0.5 if n % 2 else None, basis, True))
units = [county, *OrgUnit.objects.filter(parent=county).order_by("code")]
for unit in units:
    agreement_save(unit=unit, year=YEAR, total_weight=100, watch_line=60, targets=specs,
        actor=actor)
print(json.dumps({{"fill": took, "agreements": len(units), "targets": len(specs)}}))
"""

SCORE = f"""
import json, time
from renkou.analytics.periods import parse, dekads_of
from renkou.targets.models import Agreement
from renkou.targets.selectors import scorecards
started = time.perf_counter()
year = parse("{YEAR}")
periods = [year, *dekads_of(year)]
units = watched = missing = 0
for agreement in Agreement.objects.filter(year={YEAR}).select_related("orgunit"):
    cards = scorecards(agreement, periods)
    for card in cards.values():
        units += len(card.rows)
        watched += len(card.watch_list)
        missing += card.missing
took = time.perf_counter() - started
print(json.dumps({{"seconds": took, "periods": len(periods), "unit_scores": units,
    "watched": watched, "missing": missing}}))
"""


def run(repeat: int, scale: str) -> list[str]:
    """Set the agreements up, then score everything ``repeat`` times; report medians."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    setup = run_measured(renkou_cmd("shell", "-c", SETUP), env, capture=True)
    info = json.loads(setup.output.strip().splitlines()[-1])
    lines = []
    if info["fill"] is not None:
        lines.append(
            f"cache fill for {YEAR}: the year, 4 quarters, 12 months and 36 ten-day periods, "
            f"every unit, both bases: {info['fill']:.1f} s (once; the worker's job)"
        )
    else:
        lines.append(f"cache fill for {YEAR}: already in the cache (not timed this run)")
    inner, walls, peaks, last = [], [], [], {}
    for _ in range(repeat):
        measured = run_measured(renkou_cmd("shell", "-c", SCORE), env, capture=True)
        found = re.search(r"\{.*\}", measured.output)
        last = json.loads(found.group(0)) if found else {}
        inner.append(float(last.get("seconds", measured.seconds)))
        walls.append(measured.seconds)
        peaks.append(measured.peak_mib)
    t = median(inner)
    verdict = "ok" if t <= LIMIT_SECONDS or scale == "small" else "OVER LIMIT"
    lines.append(
        f"scoring and ranking {info['agreements']} agreements x {info['targets']} targets "
        f"({last.get('unit_scores', 0):,} unit scores over {last.get('periods', 0)} periods: "
        f"the year and its 36 ten-day periods; {last.get('watched', 0):,} on watch lists) "
        f"{t:.2f} s (runs {', '.join(f'{x:.2f}' for x in inner)}; whole command with its "
        f"start {median(walls):.1f} s), peak {median(peaks):,.0f} MiB  "
        f"[limit {LIMIT_SECONDS:.0f} s: {verdict}]"
    )
    if last.get("missing"):
        lines.append(f"  WARNING: {last['missing']} scorecards found no figures in the cache")
    return lines
