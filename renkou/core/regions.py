"""GB/T 2260 region codes, current and historical, from the shipped table ``data/gbt2260.csv``.

The table is loaded once, on first use, into a dict and a frozenset, so lookups cost one hash.
Abolished codes stay known: identity numbers keep the code in force when they were issued.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "gbt2260.csv"


@dataclass(frozen=True, slots=True)
class RegionSpan:
    """One row of the table: a code under one name for a run of years (to None = current)."""

    code: str
    name: str
    valid_from_year: int
    valid_to_year: int | None

    @property
    def is_current(self) -> bool:
        """Whether the code is in the latest list under this name."""
        return self.valid_to_year is None


class _Table:
    """The loaded table: every span per code, the latest name per code, the set of codes."""

    __slots__ = ("codes", "history", "names")

    def __init__(self, path: Path) -> None:
        history: dict[str, list[RegionSpan]] = {}
        with path.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader(line for line in fh if not line.startswith("#"))
            for row in rows:
                span = RegionSpan(
                    code=row["code"],
                    name=row["name"],
                    valid_from_year=int(row["valid_from_year"]),
                    valid_to_year=int(row["valid_to_year"]) if row["valid_to_year"] else None,
                )
                history.setdefault(span.code, []).append(span)
        self.history: dict[str, tuple[RegionSpan, ...]] = {}
        self.names: dict[str, str] = {}
        for code, spans in history.items():
            # Current spans sort last, then by end year: the last one carries the name to show.
            spans.sort(key=lambda s: (s.valid_to_year is None, s.valid_to_year or 0))
            self.history[code] = tuple(spans)
            self.names[code] = spans[-1].name
        self.codes: frozenset[str] = frozenset(self.names)


_table: _Table | None = None
_lock = threading.Lock()


def _get() -> _Table:
    global _table
    table = _table
    if table is None:
        with _lock:  # two threads starting together load the file once
            if _table is None:
                _table = _Table(DATA_FILE)
            table = _table
    return table


def known_codes() -> frozenset[str]:
    """Every code in the table, current or abolished (for membership tests in a loop)."""
    return _get().codes


def is_known_region(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code, current or historical."""
    return code in _get().codes


def region_name(code: str) -> str | None:
    """The latest name of ``code`` (its current name, or its last one if abolished), or None."""
    return _get().names.get(code)


def province_of(code: str) -> str | None:
    """The name of the province-level division that ``code`` belongs to, or None."""
    if not isinstance(code, str) or len(code) < 2:
        return None
    return _get().names.get(code[:2] + "0000")


def history(code: str) -> tuple[RegionSpan, ...]:
    """Every name ``code`` has had, oldest first (empty if unknown)."""
    return _get().history.get(code, ())


def is_current(code: str) -> bool:
    """Whether ``code`` is in the latest list of the table."""
    spans = _get().history.get(code, ())
    return bool(spans) and spans[-1].is_current
