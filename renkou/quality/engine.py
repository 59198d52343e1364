"""Running the rules on DuckDB: one query for both modes, over whatever the tables hold.

``evaluate`` takes the five input relations (``features.SCHEMAS``) as Arrow tables and
returns the hits: (person, rule, values, unit). The single-record mode passes a person's
neighbourhood, the bulk mode the whole register; nothing else differs.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from renkou.core import regions
from renkou.quality.features import FEATURES_SQL, REGION_SCHEMA
from renkou.quality.rules import RULES, Rule

_local = threading.local()


@dataclass(frozen=True)
class Hit:
    """A rule flagging a person, with the values its message shows."""

    person: int
    rule: str
    severity: str
    values: dict[str, Any]
    unit: str


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _value_columns(rules: Sequence[Rule]) -> list[str]:
    return sorted({v for rule in rules for v in rule.values})


def checks_sql(rules: Sequence[Rule], source: str) -> str:
    """SQL listing, per flagged person of ``source``, the indexes of the rules that flag it."""
    cases = ",\n".join(f"CASE WHEN {r.when.sql()} THEN {i} END" for i, r in enumerate(rules))
    values = "".join(f", {c}" for c in _value_columns(rules))
    # Rule conditions and relation names are ours: no user input reaches this SQL.
    return (
        f"SELECT id, unit{values}, hits FROM (SELECT *, list_filter([{cases}], "  # noqa: S608
        f"lambda x: x IS NOT NULL) AS hits FROM {source}) WHERE len(hits) > 0"
    )


def completeness_sql(rules: Sequence[Rule], source: str) -> str:
    """SQL counting persons, required and filled fields per unit of ``source``."""
    parts = [r.required for r in rules if r.required]
    need = " + ".join(f"(CASE WHEN {a.sql()} THEN 1 ELSE 0 END)" for a, _ in parts)
    have = " + ".join(f"(CASE WHEN {(a & f).sql()} THEN 1 ELSE 0 END)" for a, f in parts)
    # Rule conditions and relation names are ours: no user input reaches this SQL.
    return (
        f"SELECT unit, count(*) AS persons, sum({need}) AS required_fields, "  # noqa: S608
        f"sum({have}) AS filled_fields FROM {source} GROUP BY unit"
    )


def region_table() -> pa.Table:
    """Every known GB/T 2260 code, current or abolished."""
    codes = sorted(regions.known_codes())
    return pa.table({"code": pa.array(codes, type=pa.string())}, schema=REGION_SCHEMA)


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's DuckDB connection, with the region table registered once."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        con.register("q_region", region_table())
        _local.con = con
    return con


def register(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Make the input relations visible to the queries under their names."""
    for name, table in tables.items():
        con.register(name, table)


def hits_from(rows: Iterable[dict[str, Any]], rules: Sequence[Rule] = RULES) -> list[Hit]:
    """Hits from rows of the checks query."""
    out = []
    for row in rows:
        for index in row["hits"]:
            rule = rules[index]
            values = {name: _json_value(row[name]) for name in rule.values}
            out.append(Hit(row["id"], rule.code, rule.severity, values, row["unit"] or ""))
    return out


NEIGHBOURHOOD_SQL = checks_sql(RULES, f"({FEATURES_SQL}) AS features")


def evaluate(tables: dict[str, pa.Table], as_of: datetime.date) -> list[Hit]:
    """Run every rule on DuckDB over the given relations, for the persons in ``q_subject``."""
    con = connection()
    register(con, tables)
    result = con.sql(NEIGHBOURHOOD_SQL, params={"as_of": as_of}).to_arrow_table()
    return hits_from(result.to_pylist())


def evaluate_row(row: dict[str, Any], rules: Sequence[Rule] = RULES) -> list[Hit]:
    """Run every rule in Python over one feature row (the single-record mode)."""
    hits = [i for i, rule in enumerate(rules) if rule.when.ev(row) is True]
    if not hits:
        return []
    return hits_from([{**row, "hits": hits}], rules)
