"""The cells of every xlsx and CSV file the product writes: text stays inert text.

A name such as ``=1+1``, ``=HYPERLINK("http://x","y")``, ``+cmd|' /C calc'!A0`` or
``@SUM(1)`` comes from a roster, a form or a push and is exported in notices, payment
files, lists and forms. A spreadsheet program must never run it (CSV injection, OWASP).
So every exported cell goes through one of the two functions here:

- ``write_cell`` (xlsx, with xlsxwriter): text is written as a string cell, never as a
  formula, a link or a number guessed from it; numbers as numbers; ``None`` as a blank.
  A string cell holding ``=1+1`` shows ``=1+1`` and is not calculated, so the text is kept
  exactly as it is (no quote added).
- ``csv_cell`` (CSV): a CSV has no cell types, and spreadsheet programs read a field
  starting with ``= + - @``, a tab or a carriage return as a formula. Such a text is
  written with a single quote in front (``'=1+1``), as OWASP advises; spreadsheet programs
  show the rest as text. Numbers passed as numbers (int, float, Decimal) are not text and
  are written as they are, so a genuine -3 stays ``-3``; a text ``"-3"`` is text and
  becomes ``'-3`` (callers that write numbers pass numbers, not their text).

``workbook`` opens an xlsxwriter workbook with the options that keep text as text, and
``CsvWriter`` / ``CsvDictWriter`` are ``csv.writer`` / ``csv.DictWriter`` whose every cell
goes through ``csv_cell``. A product formula (the forms' SUM totals) is written with
``write_formula`` on purpose and is the only formula in any file.
"""

from __future__ import annotations

import csv
import numbers
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

__all__ = [
    "FORMULA_START",
    "CsvDictWriter",
    "CsvWriter",
    "csv_cell",
    "csv_row",
    "workbook",
    "write_cell",
    "write_row",
]

# What makes a spreadsheet program read a CSV field as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# xlsxwriter guesses formulas, links and numbers from strings given to ``write``: never.
TEXT_IS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

# Numbers of every kind (int, float, Decimal, numpy's): written as numbers.
_NUMBER = (numbers.Real, Decimal)


def csv_cell(value: object) -> object:
    """A CSV field: numbers as they are, ``None`` empty, text quoted where it could be a
    formula (``=1+1`` → ``'=1+1``)."""
    if value is None:
        return ""
    if isinstance(value, (bool, *_NUMBER)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(values: Iterable[object]) -> list[object]:
    """A CSV row with each field through ``csv_cell``."""
    return [csv_cell(v) for v in values]


class CsvWriter:
    """``csv.writer`` whose every field goes through ``csv_cell``."""

    def __init__(self, fh: Any, **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[object]) -> Any:
        """Write one row, each text that could be a formula neutralised."""
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write rows, each through ``writerow``."""
        for row in rows:
            self.writerow(row)


class CsvDictWriter(csv.DictWriter):  # type: ignore[type-arg, unused-ignore]
    """``csv.DictWriter`` whose every field (the header too) goes through ``csv_cell``."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        """Write one row, each text that could be a formula neutralised."""
        return super().writerow({k: csv_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        """Write rows, each through ``writerow``."""
        for row in rowdicts:
            self.writerow(row)


def workbook(target: str | IO[bytes], options: dict[str, Any] | None = None) -> Any:
    """An xlsxwriter workbook that never turns a string into a formula, a link or a number,
    with its scratch files in the data directory (never the system temp folder)."""
    from renkou.core.files import scratch_dir

    defaults: dict[str, Any] = {"tmpdir": str(scratch_dir())}
    return xlsxwriter.Workbook(target, {**defaults, **(options or {}), **TEXT_IS_TEXT})


def write_cell(sheet: Any, row: int, col: int, value: object, fmt: Any = None) -> None:
    """Write one xlsx cell: text as a string cell (never a formula), numbers as numbers,
    booleans as booleans, ``None`` as a blank."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, _NUMBER):
        sheet.write_number(row, col, float(value), fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def write_row(sheet: Any, row: int, col: int, values: Iterable[object], fmt: Any = None) -> None:
    """Write cells to the right of (``row``, ``col``), each through ``write_cell``."""
    for offset, value in enumerate(values):
        write_cell(sheet, row, col + offset, value, fmt)
