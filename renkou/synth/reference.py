"""Reference tables shipped in ``data/``: census age pyramid, surnames, regions, ethnicities."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped CSV, skipping its ``#`` source lines."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@cache
def age_pyramid() -> np.ndarray:
    """Shares by (sex, single year of age 0..104); sex 0 = female, 1 = male; sums to 1."""
    shares = np.zeros((2, 105))
    for row in _rows("age_sex_2020.csv"):
        lo, hi = int(row["age_from"]), int(row["age_to"])
        width = hi - lo + 1
        if lo >= 100:
            # the open-ended group thins out quickly: most centenarians are 100 or 101
            spread = np.array([0.45, 0.27, 0.15, 0.09, 0.04])
        else:
            spread = np.full(width, 1.0 / width)
        shares[1, lo : hi + 1] = int(row["male"]) * spread
        shares[0, lo : hi + 1] = int(row["female"]) * spread
    return shares / shares.sum()


@dataclass(frozen=True)
class Surnames:
    """Surnames and their probabilities (normalised over the table)."""

    names: tuple[str, ...]
    p: np.ndarray


@cache
def surnames() -> Surnames:
    """The ~100 most common surnames with their population shares."""
    rows = _rows("surnames.csv")
    p = np.array([float(r["share"]) for r in rows])
    return Surnames(tuple(r["surname"] for r in rows), p / p.sum())


@dataclass(frozen=True)
class Region:
    """A GB/T 2260 county outside ours: code, name, role, weight, ethnic mix, code history."""

    code: str
    name: str
    kind: str
    weight: float
    ethnicity: tuple[tuple[str, float], ...]
    history: tuple[tuple[str, int, int], ...]

    def code_in(self, year: int) -> str:
        """The code in force in ``year`` (the earliest one for years before the table)."""
        for code, first, last in self.history:
            if first <= year <= last:
                return code
        if self.history and year < self.history[0][1]:
            return self.history[0][0]
        return self.code


@cache
def regions(kind: str) -> tuple[Region, ...]:
    """Regions of one kind: ``origin``, ``nearby`` or ``destination``."""
    out = []
    for r in _rows("regions.csv"):
        if r["kind"] != kind:
            continue
        eth = tuple(
            (part.split(":")[0], float(part.split(":")[1])) for part in r["ethnicity"].split()
        )
        hist = []
        for part in r["history"].split():
            code, span = part.split(":")
            first, last = span.split("-")
            hist.append((code, int(first), int(last) if last else 9999))
        out.append(Region(r["code"], r["name"], kind, float(r["weight"]), eth, tuple(hist)))
    return tuple(out)


@dataclass(frozen=True)
class Ethnicities:
    """GB 3304 codes used here, their names, shares among natives (elsewhere / 畲族 township)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    local: np.ndarray
    she_township: np.ndarray


@cache
def ethnicities() -> Ethnicities:
    """The ethnicity table."""
    rows = _rows("ethnicities.csv")
    local = np.array([float(r["local"]) for r in rows])
    she = np.array([float(r["she_township"]) for r in rows])
    return Ethnicities(
        tuple(r["code"] for r in rows),
        tuple(r["name"] for r in rows),
        local / local.sum(),
        she / she.sum(),
    )
