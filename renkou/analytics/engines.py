"""Engines that run the Ibis counts over a snapshot: DuckDB in-process by default.

The counts know nothing of engines; an engine opens the snapshot's Parquet files as Ibis
tables and turns an expression into a pandas DataFrame. Another engine (Spark) needs only
this small adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pandas as pd


@dataclass
class SnapshotTables:
    """The three tables of a snapshot, as Ibis tables of one backend."""

    persons: ir.Table
    events: ir.Table
    orgunits: ir.Table


class Engine(Protocol):
    """What the indicator computation needs from an engine."""

    name: str

    def open(self, directory: Path) -> SnapshotTables:
        """The snapshot's tables."""
        ...

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """Run an expression; the result as a DataFrame."""
        ...

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Compute an intermediate table once, for several expressions to reuse."""
        ...


class DuckDBEngine:
    """DuckDB in this process, reading the Parquet files directly."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.backend = ibis.duckdb.connect(**config)
        self._made = 0

    def open(self, directory: Path) -> SnapshotTables:
        """Register the snapshot's files as views (nothing is read yet)."""
        con = self.backend
        return SnapshotTables(
            persons=con.read_parquet(directory / "persons.parquet", table_name="persons"),
            events=con.read_parquet(str(directory / "events" / "*.parquet"), table_name="events"),
            orgunits=con.read_parquet(directory / "orgunits.parquet", table_name="orgunits"),
        )

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """Run ``expr`` on DuckDB."""
        result: pd.DataFrame = self.backend.execute(expr)
        return result

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """A temporary table holding ``expr``'s rows."""
        # A fresh name each time: ibis's overwrite=True emits SQL DuckDB 2 refuses.
        self._made += 1
        return self.backend.create_table(f"{name}_{self._made}", expr, temp=True)


class SparkEngine:
    """PySpark (local mode here; a cluster's session at scale), through Ibis's backend."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        if session is None:
            from pyspark.sql import SparkSession

            session = (
                SparkSession.builder.master("local[2]")
                .appName("renkou-indicators")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .config("spark.sql.autoBroadcastJoinThreshold", str(64 * 1024 * 1024))
                .getOrCreate()
            )
            session.sparkContext.setLogLevel("ERROR")
        self.session = session
        self.backend = ibis.pyspark.connect(session)

    def open(self, directory: Path) -> SnapshotTables:
        """Register the snapshot's files as Spark tables."""
        con = self.backend
        return SnapshotTables(
            persons=con.read_parquet(str(directory / "persons.parquet"), table_name="persons"),
            events=con.read_parquet(str(directory / "events"), table_name="events"),
            orgunits=con.read_parquet(str(directory / "orgunits.parquet"), table_name="orgunits"),
        )

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """Run ``expr`` on Spark."""
        result: pd.DataFrame = self.backend.execute(expr)
        return result

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """The expression, cached by Spark once first computed."""
        cached: ir.Table = expr.cache()
        return cached


def default_engine() -> Engine:
    """The engine used unless another is asked for."""
    return DuckDBEngine()
