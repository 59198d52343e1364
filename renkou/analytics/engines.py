"""Engines that run the Ibis counts over a snapshot: DuckDB in-process by default.

The counts know nothing of engines; an engine opens the snapshot's Parquet files as Ibis
tables and turns an expression into a pandas DataFrame. Another engine (Spark) needs only
this small adapter.

Steps of a run are named (``query(key, build)``, ``table(name, build)``): the expression
is built only when the engine needs it. DuckDB keeps the SQL it compiled for each key
(``CompiledSql``), in memory and, when attached, in a file beside the kept counts: Ibis
takes about a tenth of a second to compile each count, longer than DuckDB takes to run it
over the few thousand persons of an incremental refresh, and the SQL of a step does not
change while the code, the library versions and the window stay the same (the file is
keyed by all of them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import ibis
import ibis.backends.duckdb  # the default engine's: loaded with the process, not the first refresh
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa


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

    def query(self, key: str, build: Callable[[], ir.Table]) -> pd.DataFrame:
        """Run the expression ``build()`` makes; ``key`` names it (the same key, the same
        expression), so an engine may reuse what it compiled before."""
        ...

    def table(self, name: str, build: Callable[[], ir.Table], key: str) -> ir.Table:
        """Materialize ``build()`` as the table ``name`` (replacing an earlier one); ``key``
        names the expression, as for ``query``."""
        ...

    def load_ids(self, name: str, ids: Sequence[int]) -> ir.Table:
        """A table ``name`` with one int64 column ``pid`` holding ``ids``."""
        ...


def _fingerprint() -> str:
    """What the compiled SQL depends on besides the window: the counts' code and versions."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in ("counts.py", "indicators.py", "engines.py", "snapshot.py"):
        digest.update((here / name).read_bytes())
    digest.update(f"{ibis.__version__} {duckdb.__version__}".encode())
    return digest.hexdigest()[:16]


@dataclass
class CompiledSql:
    """SQL and result schema per step key, optionally kept in a JSON file."""

    path: Path | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: bool = False

    def attach(self, path: Path) -> None:
        """Read the file's entries when they were compiled by this code (else start empty)."""
        self.path = path
        try:
            kept = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if kept.get("fingerprint") == _fingerprint():
            self.entries = {**kept.get("entries", {}), **self.entries}

    def save(self) -> None:
        """Write the entries (atomically) if any was added since attaching."""
        if self.path is None or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"fingerprint": _fingerprint(), "entries": self.entries}), "utf-8"
        )
        os.replace(tmp, self.path)
        self.changed = False


def _check_name(name: str) -> None:
    """Table names are the code's own constants; refuse anything else in SQL text."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a table name: {name!r}")


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
        self.compiled = CompiledSql()

    def open(self, directory: Path) -> SnapshotTables:
        """Register the snapshot's files as views (nothing is read yet)."""
        con = self.backend
        return SnapshotTables(
            persons=con.read_parquet(directory / "persons.parquet", table_name="persons"),
            events=con.read_parquet(str(directory / "events" / "*.parquet"), table_name="events"),
            orgunits=con.read_parquet(directory / "orgunits.parquet", table_name="orgunits"),
        )

    def _entry(self, key: str, build: Callable[[], ir.Table]) -> dict[str, Any]:
        entry = self.compiled.entries.get(key)
        if entry is None:
            expr = build()
            entry = {
                "sql": str(self.backend.compile(expr)),
                "schema": {name: str(t) for name, t in expr.schema().items()},
            }
            self.compiled.entries[key] = entry
            self.compiled.changed = True
        return entry

    def query(self, key: str, build: Callable[[], ir.Table]) -> pd.DataFrame:
        """Run the step's SQL; the columns take the types of the expression's schema (as
        Ibis would give them: a DuckDB sum is a 128-bit integer, the schema says int64)."""
        entry = self._entry(key, build)
        result = self.backend.con.sql(entry["sql"]).arrow()
        table = result.read_all() if isinstance(result, pa.RecordBatchReader) else result
        return table.cast(ibis.schema(entry["schema"]).to_pyarrow()).to_pandas()

    def table(self, name: str, build: Callable[[], ir.Table], key: str) -> ir.Table:
        """A temporary table ``name`` holding the step's rows (an earlier one is dropped)."""
        entry = self._entry(key, build)
        _check_name(name)
        con = self.backend.con
        con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
        con.execute(f'CREATE TEMP TABLE "{name}" AS {entry["sql"]}')
        return self.backend.table(name, database="temp")

    def load_ids(self, name: str, ids: Sequence[int]) -> ir.Table:
        """A temporary table ``name`` of the ids (no SQL to compile)."""
        _check_name(name)
        con = self.backend.con
        con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
        rows = pa.table({"pid": pa.array(list(ids), pa.int64())})
        con.register("renkou_ids_input", rows)
        try:
            con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT pid FROM renkou_ids_input')  # noqa: S608
        finally:
            con.unregister("renkou_ids_input")
        return self.backend.table(name, database="temp")


class SparkEngine:
    """PySpark (local mode here; a cluster's session at scale), through Ibis's backend."""

    name = "spark"

    def __init__(
        self, session: Any = None, master: str = "local[2]", conf: str | None = None
    ) -> None:
        if session is None:
            from pyspark.sql import SparkSession

            # the executors of a cluster on this machine run this Python (ibis sends them
            # no Python code, but pandas conversions may start a Python worker)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            builder = SparkSession.builder.master(master)
            if master.startswith("spark://127.0.0.1:"):
                # a cluster on loopback reaches the driver on loopback too
                builder = builder.config("spark.driver.host", "127.0.0.1")
            if master.startswith("spark://"):
                builder = builder.config(
                    "spark.executor.memory", os.environ.get("RENKOU_SPARK_EXECUTOR_MEMORY", "1g")
                )
            builder = (
                builder.appName("renkou-indicators")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .config("spark.sql.autoBroadcastJoinThreshold", str(64 * 1024 * 1024))
            )
            for key, value in spark_conf(conf or "").items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
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

    def query(self, key: str, build: Callable[[], ir.Table]) -> pd.DataFrame:
        """Build and run the expression (Spark plans it anew each time)."""
        result: pd.DataFrame = self.backend.execute(build())
        return result

    def table(self, name: str, build: Callable[[], ir.Table], key: str) -> ir.Table:
        """The expression, cached by Spark once first computed."""
        cached: ir.Table = build().cache()
        return cached

    def load_ids(self, name: str, ids: Sequence[int]) -> ir.Table:
        """The ids as a cached in-memory table."""
        return self.table(
            name, lambda: ibis.memtable({"pid": list(ids)}, schema={"pid": "int64"}), name
        )


class EngineError(ValueError):
    """The configured analytics engine cannot be used."""


def spark_conf(text: str) -> dict[str, str]:
    """``RENKOU_SPARK_CONF``'s "key=value" pairs (separated by spaces or commas)."""
    pairs: dict[str, str] = {}
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("spark.") or not value:
            raise EngineError(f"RENKOU_SPARK_CONF: {item!r} is not spark.key=value")
        pairs[key] = value
    return pairs


def default_engine() -> Engine:
    """The engine of ``RENKOU_ANALYTICS_ENGINE`` (duckdb, or spark on
    ``RENKOU_SPARK_MASTER``)."""
    from django.conf import settings

    name = str(getattr(settings, "RENKOU_ANALYTICS_ENGINE", "duckdb"))
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        conf = str(getattr(settings, "RENKOU_SPARK_CONF", ""))
        spark_conf(conf)  # a wrong setting is refused before a session starts
        return SparkEngine(master=str(settings.RENKOU_SPARK_MASTER), conf=conf)
    raise EngineError(f"RENKOU_ANALYTICS_ENGINE={name!r}: choose duckdb or spark")
