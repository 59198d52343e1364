"""Reading a roster file (xlsx, xls, csv or txt) into a header and data rows.

Spreadsheets are read with python-calamine, checked first and read in a child process so
that no workbook can take the server with it (``renkou.core.spreadsheets``), cells kept as
typed values (dates as dates, numbers as floats) so that the validation can tell an
identity number stored as a number. Text files may be UTF-8, GBK or UTF-16 with its BOM
(Excel's "Unicode text"), separated by commas or tabs, with any line endings (CR, LF,
CRLF) and fields as long as the file. The header row is the row among the first 30 with
most known header names (title rows above it are skipped). A row of group headers just
above it (产妇信息 / 新生儿信息, merged over several columns) makes a two-level header: the
lower row is the header, each column under a group named ``group/header``
(产妇信息/姓名), and a cell merged down over both rows (序号) taken from the upper row.
Reading stops at a totals row (合计, 总计, 小计).
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from renkou.core.problems import InputRefused, problem
from renkou.core.spreadsheets import SheetReadError, workbook_rows
from renkou.core.tabular import csv_fields_up_to, decode_bytes
from renkou.exchange import problems as _problems  # noqa: F401  (registers the messages)
from renkou.exchange.kinds import GROUP_SEPARATOR, RosterKind, header_score, is_group_header

SUFFIXES = (".xlsx", ".xls", ".csv", ".txt", ".tsv")
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TOTALS = ("合计", "总计", "小计", "总数")
HEADER_SEARCH = 30


@dataclass
class Sheet:
    """A roster's header cells and its data rows, each with its spreadsheet row number."""

    headers: list[str]
    rows: list[tuple[int, list[object]]]


def _spreadsheet_rows(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    if raw.startswith(_OLE) and b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00" in raw:
        raise InputRefused([problem("workbook_protected", file=name)])
    try:
        return workbook_rows(raw, name, limit)
    except SheetReadError as exc:
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise InputRefused([problem("workbook_protected", file=name)]) from exc
        raise InputRefused([problem("file_unreadable", file=name, value=text[:200])]) from exc


def _csv_rows(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    if raw.startswith(_UTF16_BOMS):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputRefused([problem("file_encoding", file=name)]) from None
    else:
        text = decode_bytes(raw, name)
    head = text[:20_000]
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    # newline="": a line ends at CR, LF or CRLF (a quoted field keeps its own line breaks)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    csv_fields_up_to(len(text))
    try:
        return [list(r) for r in itertools.islice(reader, limit)]
    except csv.Error as exc:
        value = f"line {reader.line_num}: {exc}"
        raise InputRefused([problem("file_unreadable", file=name, value=value)]) from exc


def _text(cell: object) -> str:
    return str(cell if cell is not None else "").strip()


def _two_level(upper: list[object], lower: list[object]) -> list[str] | None:
    """The header of a two-level header row pair, or None when ``upper`` is no group row.

    A group row has at least one group: a cell reading as a group (``is_group_header``)
    above a header cell, followed by empty cells (the merged range) over header cells. A
    title row (one cell) or a row of notes (填报单位：…) is no group row.
    """
    width = max(len(upper), len(lower))
    up = [_text(upper[i]) if i < len(upper) else "" for i in range(width)]
    low = [_text(lower[i]) if i < len(lower) else "" for i in range(width)]
    if sum(1 for u in up if u) < 2:
        return None
    spans = [
        i
        for i in range(width - 1)
        if up[i] and low[i] and not up[i + 1] and low[i + 1] and is_group_header(up[i])
    ]
    if not spans:
        return None
    headers, group = [], ""
    for i in range(width):
        if up[i] and low[i]:
            group = up[i]
        elif up[i]:  # merged down over both rows: the header is the upper cell
            group = ""
            headers.append(up[i])
            continue
        elif not low[i]:
            group = ""
        headers.append(f"{group}{GROUP_SEPARATOR}{low[i]}" if group and low[i] else low[i])
    return headers


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
    if suffix in _TEXT_SUFFIXES:
        if raw.startswith((_ZIP, _OLE)):
            raise InputRefused([problem("file_type", file=name, value=f"xlsx/xls → {suffix}")])
        grid = _csv_rows(raw, name, limit)
    else:
        if not raw.startswith((_ZIP, _OLE)):
            raise InputRefused(
                [problem("file_type", file=name, value=f"{suffix} (not a workbook)")]
            )
        grid = _spreadsheet_rows(raw, name, limit)
    scores = [header_score(kind, [str(c) for c in row]) for row in grid[:HEADER_SEARCH]]
    if not scores or max(scores) == 0:
        looked_for = "；".join("、".join(c.synonyms) for c in kind.columns if c.required)
        raise InputRefused([problem("header_not_found", file=name, value=looked_for)])
    header_at = scores.index(max(scores))
    headers = [_text(c) for c in grid[header_at]]
    if header_at > 0:
        headers = _two_level(list(grid[header_at - 1]), list(grid[header_at])) or headers
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
