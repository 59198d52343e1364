"""Reading CSV (UTF-8 or GBK) and Parquet files into Arrow tables of strings."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
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
    check_names(table.column_names, file=file, required=required, optional=optional)


def check_names(names: list[str], *, file: str, required: set[str], optional: set[str]) -> None:
    """Refuse column names that are unknown, given twice, or missing."""
    problems = []
    seen: set[str] = set()
    for col in names:
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


def _csv_encoding(path: Path) -> str:
    """``utf-8-sig`` or ``gb18030``: the first that decodes the whole file (read in blocks),
    else refuse it."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputRefused([problem("file_encoding", file=path.name)])


def _first_line(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as fh:
        return fh.readline()


def read_header(path: Path) -> list[str]:
    """The column names of ``path`` (CSV or Parquet), without reading its rows."""
    return [h.strip() for h in _raw_header(path)]


def _raw_header(path: Path) -> list[str]:
    name = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise InputRefused([problem("file_type", file=name, value=path.suffix or name)])
    if path.stat().st_size == 0:
        raise InputRefused([problem("file_empty", file=name)])
    try:
        if path.suffix.lower() == ".parquet":
            return [n for n in pq.ParquetFile(path).schema_arrow.names]
        header = _first_line(path, _csv_encoding(path))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputRefused([problem("file_unreadable", file=name, value=str(exc)[:200])]) from exc
    if not header.strip():
        raise InputRefused([problem("file_empty", file=name)])
    csv_fields_up_to(len(header))
    return next(csv.reader([header.rstrip("\r\n")]), [])


def iter_tables(path: Path, *, rows: int, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """``path`` (CSV or Parquet) as successive tables of at most ``rows`` rows of strings.

    Memory is that of one chunk, whatever the file's size. ``columns`` reads only those
    (all must exist). A file without rows is refused, as by ``read_table``.
    """
    name = path.name
    raw = _raw_header(path)
    names = [h.strip() for h in raw]
    wanted = columns or names
    count = 0
    try:
        if path.suffix.lower() == ".parquet":
            file = pq.ParquetFile(path)
            pick = [raw[names.index(c)] for c in wanted]
            batches = file.iter_batches(batch_size=rows, columns=pick)
        else:
            encoding = _csv_encoding(path)
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    encoding="utf8" if encoding == "utf-8-sig" else encoding,
                    block_size=1 << 22,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(raw, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    include_columns=[raw[names.index(c)] for c in wanted] if columns else None,
                ),
            )
            batches = _rebatched(reader, rows)
        for batch in batches:
            table = _strings(pa.Table.from_batches([batch]))
            if columns:
                table = table.rename_columns(list(wanted))
            count += table.num_rows
            if table.num_rows:
                yield table
    except InputRefused:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputRefused([problem("file_unreadable", file=name, value=str(exc)[:200])]) from exc
    if count == 0:
        raise InputRefused([problem("file_no_rows", file=name)])


def _rebatched(reader: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """The reader's record batches cut or joined into batches of at most ``rows`` rows."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        pending.append(batch)
        size += batch.num_rows
        while size >= rows:
            table = pa.Table.from_batches(pending)
            yield from table.slice(0, rows).combine_chunks().to_batches()
            rest = table.slice(rows)
            pending, size = rest.combine_chunks().to_batches(), rest.num_rows
    if size:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()
