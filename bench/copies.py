"""Copies of the synthetic county under other county codes, for the benchmarks at scale
(``indicators_10m``, ``quality_5m``): copy 0 is the county itself (330122), copy ``c`` is
moved to 3301(49 + c), a code in the same prefecture."""

from __future__ import annotations

COUNTY = "330122"


def copy_code(c: int) -> str:
    """The county code of copy ``c``."""
    return COUNTY if c == 0 else f"3301{49 + c:02d}"


def moved_place(column: str, c: int) -> str:
    """SQL (DuckDB and SQLite alike): the place in ``column`` moved into copy ``c``'s county;
    places outside the county are left as they are."""
    return (
        f"CASE WHEN substr({column}, 1, 6) = '{COUNTY}' "
        f"THEN '{copy_code(c)}' || substr({column}, 7) ELSE {column} END"
    )
