"""Writing the load files: orgunits.csv always as CSV, the rest as Parquet or CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

LOAD_FILES = ("orgunits", "households", "persons", "events")
FORMATS = ("parquet", "csv")


def clear(out: Path) -> None:
    """Remove load files and the summary a previous run left, so no stale file is mixed in."""
    for name in LOAD_FILES:
        for fmt in FORMATS:
            (out / f"{name}.{fmt}").unlink(missing_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    (out / "errors.csv").unlink(missing_ok=True)


def write_table(table: pa.Table, path: Path) -> None:
    """Write one table; the format follows the file's suffix."""
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".csv":
        pacsv.write_csv(table, tmp)
    else:
        # one row group per ~256k rows keeps readers' memory flat; zstd is fast and small
        pq.write_table(table, tmp, compression="zstd", row_group_size=256 * 1024)
    tmp.replace(path)


def write_summary(summary: dict, path: Path) -> None:
    """Write the summary as stable, human-readable JSON (written last: it marks completion)."""
    text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
