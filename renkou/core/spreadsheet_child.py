"""The child process that reads a workbook with python-calamine (see renkou.core.spreadsheets).

Run as a script (``python -I spreadsheet_child.py LIMIT MEMORY``) with the workbook's bytes
on stdin; it writes a pickle of ``("rows", rows)`` or ``("error", text)`` to stdout. It
imports nothing of renkou or Django: a native reader that aborts here takes only this
process with it, and its address space is capped so that a huge allocation fails at once.
"""

from __future__ import annotations

import itertools
import pickle
import resource
import sys


def main() -> None:
    """Read the first sheet of the workbook on stdin (its first LIMIT rows if LIMIT > 0)."""
    limit, memory = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    raw = sys.stdin.buffer.read()
    try:
        import io

        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0)
        if limit > 0:
            rows = list(itertools.islice(sheet.iter_rows(), limit))
        else:
            rows = sheet.to_python(skip_empty_area=False)
        out = pickle.dumps(("rows", rows), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # calamine raises its own error types for every bad workbook
        out = pickle.dumps(("error", (str(exc) or type(exc).__name__)[:300]))
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
