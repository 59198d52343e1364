"""Reading a roster file (xlsx, xls, csv in UTF-8 or GBK) into a header and data rows.

Spreadsheets are read with python-calamine, cells kept as typed values (dates as dates,
numbers as floats) so that the validation can tell an identity number stored as a number.
The header row is the row among the first ten with most known header names (title rows
and merged cells above it are skipped); reading stops at a totals row (合计, 总计, 小计).
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from renkou.core.problems import InputRefused, problem
from renkou.core.tabular import decode_bytes
from renkou.exchange import problems as _problems  # noqa: F401  (registers the messages)
from renkou.exchange.kinds import RosterKind, header_score

SUFFIXES = (".xlsx", ".xls", ".csv")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TOTALS = ("合计", "总计", "小计", "总数")
HEADER_SEARCH = 10


@dataclass
class Sheet:
    """A roster's header cells and its data rows, each with its spreadsheet row number."""

    headers: list[str]
    rows: list[tuple[int, list[object]]]


def _spreadsheet_rows(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    if raw.startswith(_OLE) and b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00" in raw:
        raise InputRefused([problem("workbook_protected", file=name)])
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheet = book.get_sheet_by_index(0)
        if limit is not None:
            return list(itertools.islice(sheet.iter_rows(), limit))
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for every bad workbook
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise InputRefused([problem("workbook_protected", file=name)]) from exc
        raise InputRefused([problem("file_unreadable", file=name, value=text[:200])]) from exc


def _csv_rows(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    text = decode_bytes(raw, name)
    return [list(r) for r in itertools.islice(csv.reader(io.StringIO(text)), limit)]


def read_roster(
    path: Path,
    kind: RosterKind,
    *,
    raw: bytes | None = None,
    limit: int | None = None,
    name: str = "",
) -> Sheet:
    """Read ``path`` as a roster of ``kind``; refuse the whole file when it cannot be read.

    ``limit`` reads only the first rows of the file (enough to show the header mapping);
    ``name`` is the file's name in messages (default: the path's).
    """
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputRefused([problem("file_type", file=name, value=Path(name).suffix or name)])
    raw = path.read_bytes() if raw is None else raw
    if not raw.strip():
        raise InputRefused([problem("file_empty", file=name)])
    if suffix == ".csv":
        if raw.startswith((_ZIP, _OLE)):
            raise InputRefused([problem("file_type", file=name, value="xlsx/xls → .csv")])
        grid = _csv_rows(raw, name, limit)
    else:
        if not raw.startswith((_ZIP, _OLE)):
            raise InputRefused(
                [problem("file_type", file=name, value=f"{suffix} (not a workbook)")]
            )
        grid = _spreadsheet_rows(raw, name, limit)
    scores = [header_score(kind, [str(c) for c in row]) for row in grid[:HEADER_SEARCH]]
    if not scores or max(scores) == 0:
        missing = "、".join(c.synonyms[0] for c in kind.columns if c.required)
        raise InputRefused([problem("header_not_found", file=name, value=missing)])
    header_at = scores.index(max(scores))
    headers = [str(c or "").strip() for c in grid[header_at]]
    rows: list[tuple[int, list[object]]] = []
    for offset, row in enumerate(grid[header_at + 1 :], start=header_at + 2):
        cells = [c for c in row if c is not None and str(c).strip() != ""]
        if not cells:
            continue
        if any(str(c).strip().startswith(_TOTALS) for c in cells[:2]):
            break
        rows.append((offset, list(row) + [None] * (len(headers) - len(row))))
    if not rows:
        raise InputRefused([problem("file_no_rows", file=name)])
    return Sheet(headers=headers, rows=rows)
