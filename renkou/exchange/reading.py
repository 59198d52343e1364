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

A roster streams (``open_roster``): the first rows are read to find the header, then the
data rows are handed over in batches of ``BATCH_ROWS`` as the file is read, so memory does
not grow with the number of rows. A workbook's reading child sends its rows in batches; a
text file is decoded as it is read, its encoding and delimiter told from its first
megabyte. An unreadable part further on (a damaged workbook, a stray byte) is raised where
it is met, as an ``InputRefused`` of the whole file: the import that consumes the batches
runs in one transaction, so nothing of such a file is kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from renkou.core.problems import InputRefused, problem
from renkou.core.spreadsheets import SheetReadError, WorkbookReader, workbook_reader
from renkou.core.tabular import csv_fields_up_to
from renkou.exchange import problems as _problems  # noqa: F401  (registers the messages)
from renkou.exchange.kinds import GROUP_SEPARATOR, RosterKind, header_score, is_group_header

SUFFIXES = (".xlsx", ".xls", ".csv", ".txt", ".tsv")
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_ENCRYPTED = "Encrypted".encode("utf-16-le")
_TOTALS = ("合计", "总计", "小计", "总数")
HEADER_SEARCH = 30
SAMPLE_ROWS = 20  # data rows kept aside for the header mapping (an ignored id column …)
BATCH_ROWS = 10_000  # data rows handed over at a time (and rows in a reading child's message)
HEAD_BYTES = 1 << 20  # the part of a text file its encoding and delimiter are told from
_CHUNK = 1 << 20

Row = tuple[int, list[object]]


@dataclass
class Sheet:
    """A roster's header cells and its data rows, each with its spreadsheet row number."""

    headers: list[str]
    rows: list[Row]


class _Source(Protocol):
    def batches(self) -> Iterator[list[list[object]]]: ...
    def fraction(self) -> float: ...
    def close(self) -> None: ...


class _Workbook:
    """The rows of a workbook, streamed from its reading child."""

    def __init__(self, path: Path, name: str, limit: int | None):
        self.name = name
        self.reader: WorkbookReader = workbook_reader(path, name, limit, BATCH_ROWS)

    def batches(self) -> Iterator[list[list[object]]]:
        try:
            yield from self.reader.batches()
        except SheetReadError as exc:
            text = str(exc)
            if "password" in text.lower() or "encrypt" in text.lower():
                raise InputRefused([problem("workbook_protected", file=self.name)]) from exc
            raise InputRefused(
                [problem("file_unreadable", file=self.name, value=text[:200])]
            ) from exc

    def fraction(self) -> float:
        return self.reader.received / self.reader.size if self.reader.size else 0.0

    def close(self) -> None:
        self.reader.close()


def _encoding(head: bytes, whole: bool, name: str) -> str:
    """The encoding of a text file told from its first bytes: UTF-16 by its BOM, else UTF-8
    (BOM or not) if they decode as such, else GBK/GB18030; else the file is refused."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=whole)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputRefused([problem("file_encoding", file=name)])


class _Text:
    """The rows of a csv or txt file, decoded and parsed as the file is read."""

    def __init__(self, path: Path, name: str, head: bytes, limit: int | None):
        self.name, self.limit = name, limit
        self.size = path.stat().st_size
        encoding = _encoding(head, len(head) >= self.size, name)
        sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head[:80_000])
        sample = sample[:20_000]
        self.delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        self.file = path.open("rb")
        # newline="": a line ends at CR, LF or CRLF (a quoted field keeps its own line breaks)
        self.text = io.TextIOWrapper(self.file, encoding=encoding, newline="")
        csv_fields_up_to(self.size)  # no field can be longer than the file

    def batches(self) -> Iterator[list[list[object]]]:
        reader = csv.reader(self.text, delimiter=self.delimiter)
        rows = itertools.islice(reader, self.limit)
        while True:
            try:
                piece: list[list[object]] = [list(r) for r in itertools.islice(rows, BATCH_ROWS)]
            except csv.Error as exc:
                value = f"line {reader.line_num}: {exc}"
                raise InputRefused(
                    [problem("file_unreadable", file=self.name, value=value)]
                ) from exc
            except UnicodeDecodeError:
                # told from its first megabyte, the encoding does not fit a later part
                raise InputRefused([problem("file_encoding", file=self.name)]) from None
            if not piece:
                return
            yield piece

    def fraction(self) -> float:
        return min(self.file.tell() / self.size, 1.0) if self.size else 0.0

    def close(self) -> None:
        self.text.close()


def _blank(path: Path) -> bool:
    """Whether the file holds nothing but white space."""
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if chunk.strip():
                return False
    return True


def _encrypted_ole(path: Path) -> bool:
    """Whether an OLE file (xls) is an encrypted workbook (its EncryptedPackage stream)."""
    carry = b""
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if _OLE_ENCRYPTED in carry + chunk:
                return True
            carry = chunk[-len(_OLE_ENCRYPTED) :]
    return False


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


class RosterStream:
    """A roster being read: its header, its first data rows, and all its data rows in
    batches (``batches()``, once). Use it as a context manager: leaving it ends the reading
    (a workbook's child process, a text file)."""

    def __init__(self, headers: list[str], head: list[Row], rest: Iterator[Row], source: _Source):
        self.headers, self.head = headers, head
        self._rest, self._source = rest, source

    def batches(self) -> Iterator[list[Row]]:
        """The data rows, ``BATCH_ROWS`` at a time (the first rows included)."""
        rows = itertools.chain(self.head, self._rest)
        while piece := list(itertools.islice(rows, BATCH_ROWS)):
            yield piece

    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""
        return self._source.fraction()

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> RosterStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _data_rows(grid: Iterable[list[object]], first: int, width: int) -> Iterator[Row]:
    """The data rows below the header (numbered from ``first``): empty rows skipped, each
    padded to the header's width, up to a totals row."""
    for offset, row in enumerate(grid, start=first):
        cells = [c for c in row if c is not None and str(c).strip() != ""]
        if not cells:
            continue
        if any(str(c).strip().startswith(_TOTALS) for c in cells[:2]):
            return
        yield (offset, list(row) + [None] * (width - len(row)))


def _source(path: Path, name: str, limit: int | None) -> _Source:
    """The reader of the file's rows by its type, refused when it is not what it says."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputRefused([problem("file_type", file=name, value=Path(name).suffix or name)])
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    if not head.strip() and _blank(path):
        raise InputRefused([problem("file_empty", file=name)])
    if suffix in _TEXT_SUFFIXES:
        if head.startswith((_ZIP, _OLE)):
            raise InputRefused([problem("file_type", file=name, value=f"xlsx/xls → {suffix}")])
        return _Text(path, name, head, limit)
    if not head.startswith((_ZIP, _OLE)):
        raise InputRefused([problem("file_type", file=name, value=f"{suffix} (not a workbook)")])
    if head.startswith(_OLE) and _encrypted_ole(path):
        raise InputRefused([problem("workbook_protected", file=name)])
    return _Workbook(path, name, limit)


def open_roster(
    path: Path, kind: RosterKind, *, limit: int | None = None, name: str = ""
) -> RosterStream:
    """Start reading ``path`` as a roster of ``kind``: its header found in the first rows,
    the rest streamed; refuse the whole file when it cannot be read.

    ``limit`` reads only the first rows of the file (enough to show the header mapping);
    ``name`` is the file's name in messages (default: the path's).
    """
    name = name or path.name
    source = _source(path, name, limit)
    try:
        grid = (row for batch in source.batches() for row in batch)
        window = list(itertools.islice(grid, HEADER_SEARCH))
        scores = [header_score(kind, [str(c) for c in row]) for row in window]
        if not scores or max(scores) == 0:
            looked_for = "；".join("、".join(c.synonyms) for c in kind.columns if c.required)
            raise InputRefused([problem("header_not_found", file=name, value=looked_for)])
        header_at = scores.index(max(scores))
        headers = [_text(c) for c in window[header_at]]
        if header_at > 0:
            headers = _two_level(list(window[header_at - 1]), list(window[header_at])) or headers
        below = itertools.chain(window[header_at + 1 :], grid)
        rows = _data_rows(below, header_at + 2, len(headers))
        head = list(itertools.islice(rows, SAMPLE_ROWS))
        if not head:
            raise InputRefused([problem("file_no_rows", file=name)])
    except BaseException:
        source.close()
        raise
    return RosterStream(headers, head, rows, source)


def read_roster(path: Path, kind: RosterKind, *, limit: int | None = None, name: str = "") -> Sheet:
    """Read ``path`` as a roster of ``kind`` whole (``open_roster``, gathered: for small
    files and tests; the import streams)."""
    with open_roster(path, kind, limit=limit, name=name) as stream:
        return Sheet(stream.headers, [row for batch in stream.batches() for row in batch])
