"""Dates as int day numbers (days since 1970-01-01), vectorised with numpy."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

EPOCH = date(1970, 1, 1)
NEVER = np.int32(2**31 - 1)  # "no such day": a death or move that has not happened
LONG_AGO = np.int32(-(2**31) + 1)  # "before the window": an arrival we know only happened earlier


def day(d: date) -> int:
    """The day number of a date."""
    return (d - EPOCH).days


def add_years(d: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day arrays of day numbers."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    year = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    dom = (dt - months).astype(np.int64) + 1
    return year, month, dom


def age_at(birth: np.ndarray, at: np.ndarray | int) -> np.ndarray:
    """Age in completed years on day ``at`` (the calendar rule, as the quality checks count it)."""
    by, bm, bd = ymd(birth)
    ay, am, ad = ymd(np.broadcast_to(np.asarray(at), np.shape(birth)))
    before_birthday = (am * 100 + ad) < (bm * 100 + bd)
    return (ay - by - before_birthday).astype(np.int32)


def birthday_days(birth: np.ndarray, years: int) -> np.ndarray:
    """The day on which people born on ``birth`` turn ``years`` (29 February -> 1 March)."""
    by, bm, bd = ymd(birth)
    target_month = (by + years - 1970) * 12 + (bm - 1)
    first = target_month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return (first + bd - 1).astype(np.int32)


def iso_strings(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """ISO ``YYYY-MM-DD`` strings of day numbers; null where ``valid`` is false."""
    arr = pa.array(np.asarray(days, dtype=np.int32), type=pa.date32())
    if valid is not None:
        arr = pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=~valid)
    return arr.cast(pa.string())
