"""Reading workbooks (xlsx, xls) sent from outside without letting one take a server down.

python-calamine builds a sheet as one dense block of 32-byte cells from its first cell to
its last: a 2 KB xlsx with one cell at ``XFD1048576`` asks for 512 GB, and the failed
allocation aborts the process (Rust's out-of-memory handler; no ``except`` catches it).
Two defences:

1. ``workbook_check`` looks into an xlsx in pure Python before calamine sees it: every
   zip member is decompressed (streamed and counted, so a zip bomb is refused once it
   passes ``MAX_UNCOMPRESSED``, whatever its header declares); each sheet's declared
   dimension and the position of every cell give the block calamine will build, refused
   beyond ``MAX_ROWS`` rows, ``MAX_COLUMNS`` columns or ``MAX_CELLS`` cells; the shared
   strings are refused beyond ``MAX_SHARED_STRINGS``.
2. ``workbook_rows`` then runs calamine in a child process whose address space is capped
   at ``READER_MEMORY``: whatever the checks cannot see (an .xls has no zip to look into;
   a reader bug) fails that child, and the file is refused with a reason, while the web
   server or worker that asked goes on. Starting the child costs some 40 ms.

``WorkbookReader`` streams: the child sends the rows in batches as calamine goes through
the sheet, and the parent takes them one at a time, so a million-row roster is never held
as Python objects (the check reads a file in pieces, the child reads it from the file
itself, by its path). ``workbook_rows`` is the same gathered into one list (small
files).

The limits are far above any roster (a county's yearly police register is some 30 MB of
xlsx and 20 columns) and far below what takes a server's memory.
"""

from __future__ import annotations

import io
import pickle
import re
import signal
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from renkou.core.problems import MESSAGES, InputRefused, problem

MAX_ROWS = 1_048_576  # Excel's own limit
MAX_COLUMNS = 1_024  # a roster has tens of columns
MAX_CELLS = 16_777_216  # rows × columns of the block: 512 MB of calamine's cells
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all members of the zip, decompressed
MAX_MEMBERS = 10_000
MAX_SHARED_STRINGS = MAX_CELLS
READER_MEMORY = 4 * 1024**3  # address space of the reading child
READER_TIMEOUT = 600  # seconds
BATCH_ROWS = 10_000  # rows in one message of the reading child

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHILD = Path(__file__).with_name("spreadsheet_child.py")
_CHUNK = 1 << 20
_LONGEST_TAG = 1 << 16

MESSAGES.update(
    {
        "workbook_too_large": (
            "工作簿解压后超过 {limit}（{value}），不像一份名册（可能是压缩炸弹）",
            "the workbook unpacks to more than {limit} ({value}): not a roster (a zip bomb?)",
        ),
        "sheet_too_large": (
            "工作表“{sheet}”的范围 {value} 超出名册的限度（最多 {rows} 行、{columns} 列、"
            "{cells} 个单元格）；请删除数据以外远处的单元格后另存再导入",
            "sheet “{sheet}” spans {value}, beyond what a roster can have (at most {rows} "
            "rows, {columns} columns, {cells} cells); delete the cells far from the data, "
            "save and import again",
        ),
        "workbook_too_many_strings": (
            "工作簿有 {value} 个共享字符串，超过 {limit} 个",
            "the workbook holds {value} shared strings, more than {limit}",
        ),
        "reader_failed": (
            "读表程序未能读完此文件（{value}），未导入任何内容；请另存为 xlsx 或 csv 后再导入",
            "the spreadsheet reader could not finish this file ({value}); nothing was "
            "imported; save it as xlsx or csv and import again",
        ),
    }
)


class SheetReadError(Exception):
    """The reader refused the workbook with its own message (damaged, password, …)."""


@dataclass
class _Extent:
    """The block a sheet's cells span: its last row and column (1-based), cells counted."""

    rows: int = 0
    columns: int = 0
    cells: int = 0

    def fits(self) -> bool:
        return (
            self.rows <= MAX_ROWS
            and self.columns <= MAX_COLUMNS
            and self.rows * self.columns <= MAX_CELLS
        )


def _column_number(letters: bytes) -> int:
    """1 for A, 26 for Z, 16384 for XFD; letters beyond any sheet give a huge number."""
    if len(letters) > 6:
        return MAX_COLUMNS * MAX_CELLS
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _row_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 12 else MAX_ROWS * MAX_CELLS


def _column_letters(n: int) -> str:
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters or "A"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_PLAIN_CELL_REF = re.compile(rb'<c r="([A-Za-z]+)(\d+)"')
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=[\"']([A-Za-z]+)(\d+)[\"']")
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"\br=[\"']([A-Za-z]*)(\d+)[\"']")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?\bref=[\"'](?:[^\"':]*:)?([A-Za-z]+)(\d+)")
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s>]")
_ATTR = re.compile(rb"([\w:]+)=[\"']([^\"']*)[\"']")


def _whole_tags(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    """The chunks again, each cut after its last complete tag (the rest goes with the next)."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut == -1 or data.find(b">", cut) != -1:
            cut = len(data)
        data, carry = data[:cut], data[cut:]
        if len(carry) > _LONGEST_TAG:
            raise InputRefused([problem("file_unreadable", file=name, value="XML tag too long")])
        yield data
    yield carry


class _Zip:
    """A zip (its bytes or an open file) whose members are decompressed here, counted and
    checked; read in pieces, never whole."""

    def __init__(self, raw: bytes | BinaryIO, name: str):
        self.file = io.BytesIO(raw) if isinstance(raw, bytes) else raw
        self.name, self.unpacked = name, 0
        try:
            self.members = zipfile.ZipFile(self.file).infolist()
        except Exception as exc:  # zipfile raises many types for a damaged directory
            raise self._damaged(str(exc)) from exc

    def _read(self, offset: int, size: int) -> bytes:
        if offset < 0:  # a damaged directory can place a member before the file's start
            return b""
        self.file.seek(offset)  # each read seeks: the pieces of two members may interleave
        return self.file.read(size)

    def _damaged(self, why: str) -> InputRefused:
        return InputRefused([problem("file_unreadable", file=self.name, value=why[:200])])

    def _too_large(self, value: str) -> InputRefused:
        limit = _mb(MAX_UNCOMPRESSED)
        return InputRefused(
            [problem("workbook_too_large", file=self.name, value=value, limit=limit)]
        )

    def check_declared(self) -> None:
        if len(self.members) > MAX_MEMBERS:
            raise self._too_large(f"{len(self.members):,} members")
        declared = sum(m.file_size for m in self.members)
        if declared > MAX_UNCOMPRESSED:
            raise self._too_large(_mb(declared))

    def _stored(self, begin: int, size: int) -> Iterator[bytes]:
        """The bytes from ``begin`` on (``size`` of them, fewer where the file ends)."""
        for offset in range(begin, begin + size, _CHUNK):
            piece = self._read(offset, min(_CHUNK, begin + size - offset))
            if not piece:
                return
            yield piece

    def chunks(self, member: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes in chunks; refused past the budget or where they do not end
        as the zip's directory says (a header lying about the size)."""
        start = member.header_offset
        head = self._read(start, 30)
        if len(head) < 30 or head[:4] != ZIP_MAGIC:
            raise self._damaged(f"{member.filename}: no local header")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        data = self._stored(start + 30 + name_len + extra_len, member.compress_size)
        if member.flag_bits & 0x1:
            raise self._damaged(f"{member.filename}: encrypted zip member")
        produced = 0
        if member.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = data
            finished = True
        elif member.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            pieces = self._inflate(inflater, data)
            finished = False
        else:
            raise self._damaged(f"{member.filename}: compression {member.compress_type}")
        for piece in pieces:
            produced += len(piece)
            self.unpacked += len(piece)
            if produced > member.file_size:  # stopped here, not at the end of a bomb
                raise self._damaged(f"{member.filename}: {self._lie}")
            if self.unpacked > MAX_UNCOMPRESSED:
                raise self._too_large(f"> {_mb(MAX_UNCOMPRESSED)}")
            yield piece
        if not finished:
            finished = inflater.eof
        if not finished or produced != member.file_size:
            raise self._damaged(f"{member.filename}: {self._lie}")

    _lie = "it unpacks to another size than the zip's directory says"

    def _inflate(self, inflater: zlib._Decompress, data: Iterator[bytes]) -> Iterator[bytes]:
        try:
            for compressed in data:
                tail = compressed
                while tail and not inflater.eof:
                    piece = inflater.decompress(tail, _CHUNK)
                    tail = inflater.unconsumed_tail
                    if piece:
                        yield piece
                if inflater.eof:
                    return
            while not inflater.eof and (piece := inflater.decompress(b"", _CHUNK)):
                yield piece  # output still held back when the input ended
        except zlib.error as exc:
            raise self._damaged(str(exc)) from exc


def _sheet_names(zf: _Zip) -> dict[str, str]:
    """Member path of each sheet → its tab name (best effort: for messages only)."""
    by_name = {m.filename: m for m in zf.members}
    book, rels = by_name.get("xl/workbook.xml"), by_name.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None or book.file_size + rels.file_size > _CHUNK * 8:
        return {}
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\s[^>]*>", b"".join(zf.chunks(rels))):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get(b"Target", b"").decode("utf-8", "replace").lstrip("/")
        targets[attrs.get(b"Id", b"")] = target if target.startswith("xl/") else f"xl/{target}"
    names = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\s[^>]*>", b"".join(zf.chunks(book))):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}
        target = targets.get(attrs.get(b"id", b""))
        if target:
            names[target] = attrs.get(b"name", b"").decode("utf-8", "replace")
    return names


def _sheet_extent(zf: _Zip, member: zipfile.ZipInfo) -> tuple[_Extent, _Extent]:
    """The block the sheet declares (its dimension) and the block its cells span."""
    declared, found = _Extent(), _Extent()
    columns: set[bytes] = set()
    for text in _whole_tags(zf.chunks(member), zf.name):
        if not declared.rows and (dim := _DIMENSION.search(text)):
            declared = _Extent(_row_number(dim.group(2)), _column_number(dim.group(1)))
        # The plain spelling every writer uses (<c r="A1" …>) is counted at C speed; any
        # other (a namespace prefix, attributes in another order) by the general pattern.
        cells = text.count(b"<c ") + text.count(b"<c>") + text.count(b"<c/>")
        refs = _PLAIN_CELL_REF.findall(text)
        if cells != len(refs) or b":c " in text:
            cells, refs = len(_CELL.findall(text)), _CELL_REF.findall(text)
        if cells != len(refs):  # cells placed by their order: follow them one by one
            return declared, _sheet_extent_in_order(zf, member)
        found.cells += cells
        columns.update(map(itemgetter(0), refs))
        # the rows of this part only (a set of a million rows' numbers would grow)
        rows = set(map(itemgetter(1), refs))
        found.rows = max(found.rows, max((_row_number(r) for r in rows), default=0))
    found.columns = max((_column_number(c) for c in columns), default=0)
    return declared, found


def _sheet_extent_in_order(zf: _Zip, member: zipfile.ZipInfo) -> _Extent:
    """The block of a sheet some of whose rows or cells carry no reference (``r``): each
    then follows the one before, as the readers place it."""
    found, row, column = _Extent(), 0, 0
    for text in _whole_tags(zf.chunks(member), zf.name):
        for match in _ROW_OR_CELL.finditer(text):
            ref = _REF.search(match.group(2) or b"")
            if match.group(1) == b"row":
                row = _row_number(ref.group(2)) if ref else row + 1
                column = 0
                continue
            found.cells += 1
            if ref and ref.group(1):
                row, column = _row_number(ref.group(2)), _column_number(ref.group(1))
            else:
                column += 1
            found.rows, found.columns = max(found.rows, row), max(found.columns, column)
    return found


def workbook_check(raw: bytes | BinaryIO, name: str) -> None:
    """Refuse an xlsx whose reading would take more than a roster's memory (see above);
    ``raw`` is its bytes or the open file (read in pieces)."""
    zf = _Zip(raw, name)
    zf.check_declared()
    sheets = _sheet_names(zf)
    for member in zf.members:
        path = member.filename
        lower = path.lower()
        if lower.endswith(".xml") and not lower.endswith("sharedstrings.xml"):
            # every XML part, not only xl/worksheets/: the first sheet is wherever the
            # workbook's relationships point
            for extent in _sheet_extent(zf, member):
                if not extent.fits():
                    value = f"A1:{_column_letters(extent.columns)}{extent.rows}"
                    if extent.rows > MAX_ROWS * 1000 or extent.columns > MAX_COLUMNS * 1000:
                        value = f"{extent.rows:,} × {extent.columns:,}"
                    raise InputRefused(
                        [
                            problem(
                                "sheet_too_large",
                                file=name,
                                value=value,
                                sheet=sheets.get(path, path),
                                rows=f"{MAX_ROWS:,}",
                                columns=f"{MAX_COLUMNS:,}",
                                cells=f"{MAX_CELLS:,}",
                            )
                        ]
                    )
        elif lower.endswith("sharedstrings.xml"):
            count = sum(
                len(_SHARED_STRING.findall(t)) for t in _whole_tags(zf.chunks(member), name)
            )
            if count > MAX_SHARED_STRINGS:
                raise InputRefused(
                    [
                        problem(
                            "workbook_too_many_strings",
                            file=name,
                            value=f"{count:,}",
                            limit=f"{MAX_SHARED_STRINGS:,}",
                        )
                    ]
                )
        else:
            for _piece in zf.chunks(member):  # counted against the budget, checked whole
                pass


def _format_by_suffix(path: Path) -> bool:
    """Whether the file's suffix names the format its first bytes show (calamine chooses
    its reader by the suffix of a path)."""
    with path.open("rb") as file:
        magic = file.read(8)
    suffix = path.suffix.lower()
    return (magic.startswith(ZIP_MAGIC) and suffix == ".xlsx") or (
        magic == OLE_MAGIC and suffix == ".xls"
    )


class WorkbookReader:
    """The first sheet's rows (its first ``limit`` rows), read by calamine in a child process
    and taken from it in batches of ``batch`` rows as it reads (``batches()``).

    ``source`` is the workbook's file (the child reads it itself, or as its stdin when its
    suffix is not its format's) or its bytes. An
    abort, a timeout or garbled output of the child refuses the file (``reader_failed``);
    the reader's own refusal is raised as ``SheetReadError`` with its message. ``size`` is
    the sheet's row count once the first batch is asked for; ``close()`` ends the child
    (a reader that stopped early, at a totals row or an error, need not read on).
    """

    def __init__(self, source: Path | bytes, name: str, limit: int | None = None, batch: int = 0):
        self.name, self.size, self.received, self.expired = name, 0, 0, False
        args = [sys.executable, "-I", str(CHILD), str(limit or 0), str(READER_MEMORY)]
        args.append(str(batch or BATCH_ROWS))
        given = isinstance(source, bytes)
        if not given and _format_by_suffix(source):  # type: ignore[arg-type]
            args.append(str(source))  # calamine reads the file itself: no copy of it
            stdin: Any = subprocess.DEVNULL
        else:
            stdin = subprocess.PIPE if given else source.open("rb")  # type: ignore[union-attr]
        try:
            self.proc = subprocess.Popen(
                args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        finally:
            if hasattr(stdin, "close"):
                stdin.close()
        self.timer = threading.Timer(READER_TIMEOUT, self._expire)
        self.timer.daemon = True
        self.timer.start()
        if given:
            # The child reads all of its stdin before it writes anything: no deadlock.
            try:
                self.proc.stdin.write(source)  # type: ignore[union-attr, arg-type]
                self.proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass  # the child died: its exit status says why

    def _expire(self) -> None:
        self.expired = True
        self.proc.kill()

    def _failed(self) -> InputRefused:
        self.proc.kill()
        code = self.proc.wait()
        self.timer.cancel()
        if self.expired:
            why = f"> {READER_TIMEOUT} s"
        elif code < 0:
            why = signal.Signals(-code).name
        else:
            why = f"exit {code}"
        stderr = self.proc.stderr.read() if self.proc.stderr else b""
        if b"memory allocation" in stderr or b"MemoryError" in stderr:
            why += ", out of memory"
        return InputRefused([problem("reader_failed", file=self.name, value=why)])

    def batches(self) -> Iterator[list[list[object]]]:
        """The rows in batches, as the child sends them."""
        stream = self.proc.stdout
        assert stream is not None
        try:
            while True:
                try:
                    outcome, payload = pickle.load(stream)  # noqa: S301 (our own child)
                except Exception:  # EOF or a torn pickle: the child died while writing
                    raise self._failed() from None
                if outcome == "size":
                    self.size = payload
                elif outcome == "rows":
                    self.received += len(payload)
                    yield payload
                elif outcome == "error":
                    raise SheetReadError(payload)
                else:
                    return
        finally:
            self.close()

    def close(self) -> None:
        """End the child (if it still runs) and its timer."""
        self.timer.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


def read_in_child(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    """The first sheet's rows (its first ``limit`` rows), read by calamine in a child process.

    An abort or a timeout of the child refuses the file (``reader_failed``); the reader's
    own refusal is raised as ``SheetReadError`` with its message.
    """
    rows: list[list[object]] = []
    for batch in WorkbookReader(raw, name, limit).batches():
        rows += batch
    return rows


def workbook_rows(raw: bytes, name: str, limit: int | None = None) -> list[list[object]]:
    """The first sheet's rows of an xlsx or xls: checked first, then read in a child process."""
    if raw.startswith(ZIP_MAGIC):
        workbook_check(raw, name)
    return read_in_child(raw, name, limit)


def workbook_reader(
    path: Path, name: str, limit: int | None = None, batch: int = 0
) -> WorkbookReader:
    """A reader of the first sheet of the xlsx or xls at ``path``, checked (read in pieces:
    the file is not read into memory) before any of its rows is taken, rows streamed from
    the child.

    The child starts first: calamine builds the sheet there (capped in memory, an abort
    takes only the child) while the check goes through the file here, on the other core;
    a file the check refuses ends the child before a row of it is used. At 1,000,000 rows
    each takes some ten seconds, which no longer add up."""
    reader = WorkbookReader(path, name, limit, batch)
    try:
        with path.open("rb") as file:
            if file.read(4) == ZIP_MAGIC:
                workbook_check(file, name)
    except BaseException:
        reader.close()
        raise
    return reader
