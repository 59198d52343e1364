"""Reading CSV (UTF-8 or GBK) and Parquet files into Arrow tables of strings."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from renkou.core.problems import InputRefused, problem

SUFFIXES = (".csv", ".parquet")


def csv_fields_up_to(size: int) -> None:
    """Let Python's csv module read fields up to ``size`` characters (a file's own length).

    Its default limit (131,072) refuses a long field with a ``csv.Error``; the limit is
    process-wide, so it is only ever raised, never lowered.
    """
    if size >= csv.field_size_limit():
        csv.field_size_limit(min(size + 1, 2**31 - 1))


def decode_bytes(raw: bytes, name: str) -> str:
    """Text of a file in UTF-8 (BOM or not) or GBK/GB18030, else refuse it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputRefused([problem("file_encoding", file=name)])


def _strings(table: pa.Table) -> pa.Table:
    """Every column as non-null, stripped strings ('' for missing)."""
    columns = []
    for col in table.columns:
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        col = pc.fill_null(pc.utf8_trim_whitespace(col), "")
        columns.append(col)
    return pa.table(columns, names=[n.strip() for n in table.column_names])


def read_table(path: Path) -> pa.Table:
    """Read ``path`` (CSV or Parquet) as a table of strings; refuse unreadable files whole."""
    name = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise InputRefused([problem("file_type", file=name, value=path.suffix or name)])
    raw = path.read_bytes()
    if not raw.strip():
        raise InputRefused([problem("file_empty", file=name)])
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(io.BytesIO(raw))
        else:
            text = decode_bytes(raw, name)
            header = next(iter(text.splitlines()), "")
            csv_fields_up_to(len(header))
            names = [h.strip() for h in next(csv.reader([header]), [])]
            table = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except InputRefused:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputRefused([problem("file_unreadable", file=name, value=str(exc)[:200])]) from exc
    if table.num_rows == 0:
        raise InputRefused([problem("file_no_rows", file=name)])
    return _strings(table)


def check_columns(table: pa.Table, *, file: str, required: set[str], optional: set[str]) -> None:
    """Refuse a table with unknown, duplicate or missing columns."""
    problems = []
    seen: set[str] = set()
    for col in table.column_names:
        if col in seen:
            problems.append(problem("column_duplicate", file=file, row=1, column=col, value=col))
        seen.add(col)
        if col not in required and col not in optional:
            problems.append(problem("column_unknown", file=file, row=1, column=col, value=col))
    for col in sorted(required - seen):
        problems.append(problem("column_missing", file=file, row=1, column=col, value=col))
    if problems:
        raise InputRefused(problems)


def find_file(directory: Path, base: str) -> Path | None:
    """The file ``base.csv`` or ``base.parquet`` in ``directory``, if any."""
    for suffix in SUFFIXES:
        candidate = directory / f"{base}{suffix}"
        if candidate.exists():
            return candidate
    return None
