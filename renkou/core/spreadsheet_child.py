"""The child process that reads a workbook with python-calamine (see renkou.core.spreadsheets).

Run as a script (``python -I spreadsheet_child.py LIMIT MEMORY BATCH [PATH]``) with the
workbook on stdin, or at PATH (read from the file, not copied into memory: the path's
suffix tells calamine the format); it writes to stdout a stream of pickles:
``("size", rows)`` (the sheet's row count), then ``("rows", batch)`` for every BATCH rows
as it goes through the sheet, then ``("end", None)``; or ``("error", text)`` at any point.
The parent reads them one at a time, so neither process ever holds the sheet's rows as
Python objects at once (calamine's own block of cells is held here). It imports nothing
of renkou or Django: a native reader that aborts here takes only this process with it,
and its address space is capped so that a huge allocation fails at once.
"""

from __future__ import annotations

import itertools
import pickle
import resource
import sys
import typing


def _send(out: typing.BinaryIO, message: tuple[str, object]) -> None:
    out.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    out.flush()


def main() -> None:
    """Read the first sheet of the workbook on stdin (its first LIMIT rows if LIMIT > 0)."""
    limit, memory, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out = sys.stdout.buffer
    try:
        from python_calamine import CalamineWorkbook

        if len(sys.argv) > 4:
            book = CalamineWorkbook.from_path(sys.argv[4])
        else:
            book = CalamineWorkbook.from_filelike(sys.stdin.buffer)
        sheet = book.get_sheet_by_index(0)
        _send(out, ("size", sheet.total_height + 1 if sheet.start else 0))
        # iter_rows starts at the first used column: the empty columns before it are put
        # back so that a cell keeps its column (as to_python(skip_empty_area=False) does).
        pad = [""] * (sheet.start[1] if sheet.start else 0)
        rows = sheet.iter_rows()
        if limit > 0:
            rows = itertools.islice(rows, limit)
        while piece := list(itertools.islice(rows, batch)):
            _send(out, ("rows", [pad + row for row in piece] if pad else piece))
    except Exception as exc:  # calamine raises its own error types for every bad workbook
        _send(out, ("error", (str(exc) or type(exc).__name__)[:300]))
        return
    _send(out, ("end", None))


if __name__ == "__main__":
    main()
