"""Formula payloads (CSV injection) and the checks that an exported file holds them inert.

The rules are restated here by hand, not imported from ``renkou.core.cells``: in an xlsx
no cell is a formula (beyond those a test allows by pattern) and each payload is a text cell
holding exactly the payload; in a CSV each payload is a field ``'`` + payload, and no field
starts with ``= + - @``, a tab or a carriage return unless it is a plain number.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from openpyxl.utils.escape import unescape

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
PAYLOAD_IDS = ["eq", "hyperlink", "dde", "minus", "at", "tab", "cr"]
_LIVE = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def xlsx_texts(data: bytes, *, formulas: str | None = None) -> list[str]:
    """Every text cell of every sheet; fails on any formula cell (except those matching the
    regular expression ``formulas``: a product's own totals)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert formulas and re.fullmatch(formulas, str(cell.value)), (
                        f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                    )
                elif cell.data_type == "s" and cell.value is not None:
                    # ECMA-376 writes a carriage return as _x000D_ (Excel shows the character)
                    texts.append(unescape(cell.value))
    return texts


def assert_xlsx_inert(data: bytes, payloads: list[str], *, formulas: str | None = None) -> None:
    """No formula cell (but ``formulas``); each payload a text cell exactly as it is."""
    texts = xlsx_texts(data, formulas=formulas)
    for payload in payloads:
        assert payload in texts, f"{payload!r} is not a text cell of the workbook"


def csv_fields(text: str) -> list[str]:
    """Every field of a CSV text (a BOM in front dropped)."""
    return [f for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for f in row]


def assert_csv_inert(text: str, payloads: list[str]) -> None:
    """Each payload written as ``'`` + payload; no field a spreadsheet would calculate."""
    fields = csv_fields(text)
    for payload in payloads:
        assert "'" + payload in fields, f"{payload!r} is not written as '{payload!r}"
    live = [f for f in fields if f.startswith(_LIVE) and not _PLAIN_NUMBER.match(f)]
    assert live == [], f"fields a spreadsheet would calculate: {live!r}"
