"""Bulk mode: every rule over the whole register (or one org unit's persons) on DuckDB.

The register is read column by column into Arrow (identity numbers decrypted in memory),
the feature relation is built once by ``features.FEATURES_SQL``, the rules are evaluated
as one vectorised query, and the findings of the persons covered replace their previous
ones. The same run counts the completeness and logic-accuracy tallies per village.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.quality.checks import known_regions
from renkou.quality.engine import Hit, checks_sql, completeness_sql, hits_from
from renkou.quality.features import FEATURES_SQL, REGION_SCHEMA
from renkou.quality.models import Confirmation, Finding, Tally
from renkou.quality.rules import ERROR, RULES
from renkou.quality.services import BATCH, finding_rows
from renkou.quality.sources import register_tables

STEPS = ("read", "features", "rules", "store")


@dataclass
class RunResult:
    """What a bulk run found: counts per rule, persons checked, time per step."""

    as_of: datetime.date
    orgunit: str
    persons: int = 0
    findings: int = 0
    persons_with_error: int = 0
    by_rule: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)


def _region_arrow() -> Any:
    import pyarrow as pa

    return pa.table({"code": sorted(known_regions())}, schema=REGION_SCHEMA)


def evaluate_register(
    *, orgunit: str = "", as_of: datetime.date, step: Callable[[str], None] | None = None
) -> tuple[list[Hit], list[tuple[str, int, int, int]], int]:
    """Hits and per-unit (unit, persons, required, filled) tallies for the persons covered."""
    step = step or (lambda name: None)
    step("read")
    tables = register_tables()
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        con.register("q_region", _region_arrow())
        con.execute(
            "CREATE TEMP TABLE q_subject AS SELECT id FROM q_person "
            "WHERE starts_with(coalesce(residence_orgunit, hukou_orgunit, ''), $code)",
            {"code": orgunit},
        )
        del tables
        step("features")
        con.execute(f"CREATE TEMP TABLE features AS {FEATURES_SQL}", {"as_of": as_of})
        step("rules")
        rows = con.sql(checks_sql(RULES, "features")).to_arrow_table().to_pylist()
        hits = hits_from(rows)
        tallies = con.execute(completeness_sql(RULES, "features")).fetchall()
        covered = con.execute("SELECT count(*) FROM features").fetchone()[0]
    finally:
        con.close()
    return hits, tallies, covered


def _covered(orgunit: str) -> Q:
    """Persons counted in ``orgunit``'s subtree: by residence, else by registration."""
    if not orgunit:
        return Q()
    return Q(person__residence_orgunit__code__startswith=orgunit) | Q(
        person__residence_orgunit__isnull=True, person__hukou_orgunit__code__startswith=orgunit
    )


def quality_run(
    *,
    actor: Any,
    orgunit: str = "",
    as_of: datetime.date | None = None,
    step: Callable[[str], None] | None = None,
    store: bool = True,
) -> RunResult:
    """Check every person of ``orgunit`` (default: the whole register) with every rule.

    With ``store`` the findings of the persons covered replace their previous findings and
    the day's tallies are written; rules confirmed correct for a person are left out.
    """
    as_of = as_of or timezone.localdate()
    result = RunResult(as_of=as_of, orgunit=orgunit)
    started = last = time.perf_counter()
    current = ""

    def timed(name: str) -> None:
        nonlocal last, current
        now = time.perf_counter()
        if current:
            result.seconds[current] = now - last
        current, last = name, now
        if step:
            step(name)

    hits, tallies, covered = evaluate_register(orgunit=orgunit, as_of=as_of, step=timed)
    confirmed = set(
        Confirmation.objects.filter(person__isnull=False).values_list("person_id", "rule")
    )
    if confirmed:
        hits = [h for h in hits if (h.person, h.rule) not in confirmed]
    result.hits = hits
    result.persons = covered
    result.findings = len(hits)
    result.by_rule = Counter(h.rule for h in hits)
    error_persons: dict[str, set[int]] = {}
    for h in hits:
        if h.severity == ERROR:
            error_persons.setdefault(h.unit, set()).add(h.person)
    result.persons_with_error = sum(len(v) for v in error_persons.values())
    timed("store")
    if store:
        _store(result, tallies, error_persons, actor)
    timed("")
    result.seconds["total"] = time.perf_counter() - started
    return result


@transaction.atomic
def _store(
    result: RunResult,
    tallies: list[tuple[str, int, int, int]],
    error_persons: dict[str, set[int]],
    actor: Any,
) -> None:
    Finding.objects.filter(_covered(result.orgunit)).delete()
    now = timezone.now()
    rows = finding_rows(result.hits, now)
    for start in range(0, len(rows), BATCH):
        Finding.objects.bulk_create(rows[start : start + BATCH])
    units = [unit or "" for unit, *_ in tallies]
    Tally.objects.filter(day=result.as_of, unit__in=units).delete()
    Tally.objects.bulk_create(
        [
            Tally(
                unit=unit or "",
                day=result.as_of,
                persons=persons,
                persons_with_error=len(error_persons.get(unit or "", ())),
                required_fields=required or 0,
                filled_fields=filled or 0,
                run_at=now,
            )
            for unit, persons, required, filled in tallies
        ],
        batch_size=BATCH,
    )
    audit_record(
        actor=actor,
        action="quality.run",
        object_type="orgunit",
        object_id=result.orgunit or "*",
        after={
            "as_of": result.as_of.isoformat(),
            "persons": result.persons,
            "findings": result.findings,
            "persons_with_error": result.persons_with_error,
        },
    )
