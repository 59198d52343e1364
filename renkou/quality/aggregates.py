"""Aggregate checks, as DHIS2 does them: outlying monthly counts, missing and late reports.

Over the applied events (history included) of the villages under an org unit:
- **outliers**: monthly counts of births, deaths and moves per village whose modified
  z-score (0.6745 · (x − median) / MAD, Iglewicz–Hoaglin) against the village's own months
  exceeds the threshold (3.5 by default); a series with MAD 0 flags nothing;
- **missing reports**: villages that existed in a month and whose report for it has not been
  received: no change of the village dated in it, no change report opened in it, no empty
  report (本月无变动) for it (``quality.monthly`` defines it, as the reporting-rate page);
- **timeliness**: share of events reported within 30 days of happening, per village;
- **late births** (往年出生未报): births reported in a later year than they happened.
The other three run as DuckDB queries over the event table read once from the register.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from renkou.orgunits.models import Level, OrgUnit
from renkou.quality.monthly import missing_reports
from renkou.quality.sources import _as_text, _iso_dates, _read_columns, _table
from renkou.registry.choices import EventStatus
from renkou.registry.models import Event

COUNTED_KINDS = ("birth", "death", "move_in", "move_out")
OUTLIER_THRESHOLD = 3.5
TIMELY_DAYS = 30
EVENT_SCHEMA = pa.schema(
    [
        ("event", pa.int64()),
        ("person", pa.int64()),
        ("kind", pa.string()),
        ("effective_date", pa.date32()),
        ("report_date", pa.date32()),
        ("source", pa.string()),
        ("orgunit", pa.string()),
    ]
)
UNIT_SCHEMA = pa.schema(
    [("code", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32())]
)


@dataclass
class AggregateChecks:
    """The four aggregate checks for the villages under one org unit and a span of months."""

    orgunit: str
    first_month: str
    last_month: str
    threshold: float
    outliers: list[dict[str, Any]] = field(default_factory=list)
    missing_reports: list[dict[str, Any]] = field(default_factory=list)
    timeliness: list[dict[str, Any]] = field(default_factory=list)
    late_births: list[dict[str, Any]] = field(default_factory=list)


_OUTLIERS = f"""
WITH months AS (
  SELECT CAST(unnest(generate_series(CAST($first AS DATE), CAST($last AS DATE),
         INTERVAL 1 MONTH)) AS DATE) AS month),
kinds AS (SELECT unnest({list(COUNTED_KINDS)!r}) AS kind),
grid AS (
  SELECT u.code AS orgunit, k.kind, m.month FROM q_unit u, kinds k, months m
  WHERE u.valid_from <= m.month + INTERVAL 1 MONTH - INTERVAL 1 DAY
    AND (u.valid_to IS NULL OR u.valid_to >= m.month)),
counts AS (
  SELECT orgunit, kind, CAST(date_trunc('month', effective_date) AS DATE) AS month,
         count(*) AS n
  FROM q_agg_event
  WHERE kind IN (SELECT kind FROM kinds) AND effective_date >= CAST($first AS DATE)
    AND effective_date < CAST($last AS DATE) + INTERVAL 1 MONTH
  GROUP BY ALL),
series AS (
  SELECT g.orgunit, g.kind, g.month, coalesce(c.n, 0) AS n
  FROM grid g LEFT JOIN counts c USING (orgunit, kind, month)),
centre AS (SELECT orgunit, kind, median(n) AS med FROM series GROUP BY ALL),
spread AS (
  SELECT s.orgunit, s.kind, median(abs(s.n - c.med)) AS mad
  FROM series s JOIN centre c USING (orgunit, kind) GROUP BY ALL)
SELECT s.orgunit, s.kind, strftime(s.month, '%Y-%m') AS month, s.n AS count,
       c.med AS median, p.mad, round(0.6745 * (s.n - c.med) / p.mad, 2) AS z
FROM series s JOIN centre c USING (orgunit, kind) JOIN spread p USING (orgunit, kind)
WHERE p.mad > 0 AND abs(0.6745 * (s.n - c.med) / p.mad) > $threshold
ORDER BY s.orgunit, s.kind, s.month
"""  # noqa: S608 (constants of ours)

_TIMELINESS = f"""
SELECT orgunit, count(*) AS events,
  count(*) FILTER (WHERE date_diff('day', effective_date, report_date) <= {TIMELY_DAYS})
    AS timely,
  round(100.0 * count(*) FILTER (
    WHERE date_diff('day', effective_date, report_date) <= {TIMELY_DAYS}) / count(*), 2)
    AS timely_percent
FROM q_agg_event
WHERE effective_date BETWEEN CAST($first AS DATE)
  AND CAST($last AS DATE) + INTERVAL 1 MONTH - INTERVAL 1 DAY
GROUP BY orgunit ORDER BY orgunit
"""  # noqa: S608 (constants of ours)

_LATE_BIRTHS = """
SELECT event, person, orgunit, effective_date, report_date FROM q_agg_event
WHERE kind = 'birth' AND year(report_date) > year(effective_date)
  AND report_date BETWEEN CAST($first AS DATE)
  AND CAST($last AS DATE) + INTERVAL 1 MONTH - INTERVAL 1 DAY
ORDER BY orgunit, report_date, event
"""


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict]:
    out = []
    for row in con.sql(sql, params=params).to_arrow_table().to_pylist():
        out.append(
            {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in row.items()}
        )
    return out


def aggregate_checks(
    *,
    orgunit: OrgUnit,
    first: datetime.date,
    last: datetime.date,
    threshold: float = OUTLIER_THRESHOLD,
) -> AggregateChecks:
    """Run the four aggregate checks for the villages under ``orgunit``, months first–last."""
    first, last = _month(first), _month(last)
    code = orgunit.code
    kinds = ", ".join(f"'{k}'" for k in (*COUNTED_KINDS, "marriage", "divorce", "correction"))
    events = _read_columns(
        "SELECT id, person_id, kind, "  # noqa: S608 (names and constants of ours)
        f"{_as_text('effective_date')}, {_as_text('report_date')}, source, orgunit_id "
        f"FROM {Event._meta.db_table} WHERE status = '{EventStatus.APPLIED}' "
        f"AND kind IN ({kinds}) AND orgunit_id LIKE %s",
        EVENT_SCHEMA,
        {"effective_date": _iso_dates, "report_date": _iso_dates},
        params=[code + "%"],
    )
    units = _table(
        list(
            OrgUnit.objects.filter(code__startswith=code, level=Level.VILLAGE).values(
                "code", "valid_from", "valid_to"
            )
        ),
        UNIT_SCHEMA,
    )
    con = duckdb.connect()
    try:
        con.register("q_agg_event", events)
        con.register("q_unit", units)
        span = {"first": first, "last": last}
        result = AggregateChecks(code, first.isoformat()[:7], last.isoformat()[:7], threshold)
        result.outliers = _rows(con, _OUTLIERS, {**span, "threshold": threshold})
        result.missing_reports = missing_reports(code, first, last)
        result.timeliness = _rows(con, _TIMELINESS, span)
        result.late_births = _rows(con, _LATE_BIRTHS, span)
    finally:
        con.close()
    return result
