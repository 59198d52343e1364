"""Benchmark: health services (issue 20) — importing a roster of service rows from the
maternal and child health system, and every service rate of every unit and period.

Limits from the issue: import 100,000 service rows in at most 20 s; all service rates for
every unit and period of the 1,000,000-person county in at most 10 s. The roster is made
from the register (two rows per woman aged 35–64: screened, then a negative result), the
import run through ``renkou.health.roster.roster_import`` as a service worker of the
county; the rates are then computed for the county, every township and village, and the
year, its quarters and months in one pass (``renkou.health.selectors.rates_many``),
timed in-process.
"""

from __future__ import annotations

import json
import re

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.load import loaded_sqlite

IMPORT_LIMIT, RATES_LIMIT = 20.0, 10.0
YEAR = 2025

SETUP = """
import json, time, datetime
from django.contrib.auth import get_user_model
from renkou.core import crypto
from renkou.core.accounts import role_assign
from renkou.health.models import Institution
from renkou.health.services import institution_create
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
ROWS = {rows}
county = OrgUnit.objects.get(level=3)
User = get_user_model()
actor = User.objects.filter(username="bench-services").first()
if actor is None:
    actor = User.objects.create_user("bench-services", password="unused-Bench-2026")
    role_assign(user=actor, role="service_staff", orgunit=county, actor="bench")
institution_create(code="MCH-BENCH", name="县妇幼保健院", orgunit=county, actor="bench")
women = (Person.objects.filter(sex="F", status="alive", birth_date__gte=datetime.date(1961, 1, 1),
    birth_date__lte=datetime.date(1990, 12, 31), residence_orgunit__isnull=False)
    .exclude(id_number_enc="").order_by("pk").values_list("name", "id_number_enc")[: ROWS // 2])
path = "{out}/services-roster.csv"
with open(path, "w", encoding="utf-8") as f:
    f.write("项目,女方姓名,女方身份证号,环节,日期,机构,服务人员,结果,知情同意日期\\n")
    n = 0
    for name, token in women.iterator(chunk_size=5000):
        number = crypto.decrypt(token)
        f.write(f"两癌,{{name}},{{number}},筛查,2025-03-01,MCH-BENCH,李医生,,2025-03-01\\n")
        f.write(f"两癌,{{name}},{{number}},结果,2025-03-15,MCH-BENCH,李医生,阴性,2025-03-01\\n")
        n += 2
print(json.dumps({{"rows": n, "path": path}}))
"""

IMPORT = """
import json, time
from pathlib import Path
from django.contrib.auth import get_user_model
from renkou.health.models import RosterImport, ServiceRecord
from renkou.health.roster import roster_import
from renkou.orgunits.models import OrgUnit
RosterImport.objects.all().delete()
ServiceRecord.objects.all().delete()
actor = get_user_model().objects.get(username="bench-services")
started = time.perf_counter()
made = roster_import(path=Path("{path}"), orgunit=OrgUnit.objects.get(level=3), actor=actor)
took = time.perf_counter() - started
print(json.dumps({{"seconds": took, "recorded": made.recorded, "set_aside": len(made.problems)}}))
"""

RATES = f"""
import json, time
from renkou.analytics.periods import parse
from renkou.health.selectors import rates_many
from renkou.orgunits.models import OrgUnit
periods = [parse("{YEAR}"), *[parse(f"{YEAR}Q{{q}}") for q in range(1, 5)],
    *[parse(f"{YEAR}{{m:02d}}") for m in range(1, 13)]]
units = list(OrgUnit.objects.filter(level__gte=3, valid_to__isnull=True)
    .values_list("code", flat=True))
started = time.perf_counter()
n = len(rates_many(units, periods))
took = time.perf_counter() - started
print(json.dumps({{"seconds": took, "cells": n, "units": len(units), "periods": len(periods)}}))
"""


def _json(output: str) -> dict:
    found = re.findall(r"\{.*\}", output)
    return json.loads(found[-1]) if found else {}


def run(repeat: int, scale: str) -> list[str]:
    """Make the roster, then import it and compute the rates ``repeat`` times; medians."""
    persons = 100_000 if scale == "small" else 1_000_000
    rows = 10_000 if scale == "small" else 100_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    setup = run_measured(
        renkou_cmd("shell", "-c", SETUP.format(rows=rows, out=OUT)), env, capture=True
    )
    info = _json(setup.output)
    imports, rates, last_i, last_r = [], [], {}, {}
    for _ in range(repeat):
        measured = run_measured(
            renkou_cmd("shell", "-c", IMPORT.format(path=info["path"])), env, capture=True
        )
        last_i = _json(measured.output)
        imports.append(float(last_i.get("seconds", measured.seconds)))
        measured = run_measured(renkou_cmd("shell", "-c", RATES), env, capture=True)
        last_r = _json(measured.output)
        rates.append(float(last_r.get("seconds", measured.seconds)))
    ti, tr = median(imports), median(rates)
    ok_i = "ok" if ti <= IMPORT_LIMIT or scale == "small" else "OVER LIMIT"
    ok_r = "ok" if tr <= RATES_LIMIT or scale == "small" else "OVER LIMIT"
    return [
        f"import of {info['rows']:,} service rows ({last_i.get('recorded', 0):,} recorded, "
        f"{last_i.get('set_aside', 0):,} set aside), {persons:,}-person county: {ti:.1f} s "
        f"(runs {', '.join(f'{x:.1f}' for x in imports)}; limit {IMPORT_LIMIT:.0f} s at "
        f"100,000 rows) {ok_i}",
        f"all service rates, {last_r.get('units', 0):,} units x {last_r.get('periods', 0)} "
        f"periods ({last_r.get('cells', 0):,} cells): {tr:.1f} s (runs "
        f"{', '.join(f'{x:.1f}' for x in rates)}; limit {RATES_LIMIT:.0f} s) {ok_r}",
    ]
