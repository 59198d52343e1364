"""Per-value checks shared by the load files: dates, places, choices (cached for speed)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from renkou.core import regions
from renkou.core.problems import Problem, problem

EARLIEST = datetime.date(1850, 1, 1)


@dataclass
class Place:
    """A place given as a code: one of our org units or a region elsewhere."""

    orgunit: str | None
    region: str


@dataclass
class RowChecker:
    """Checks for one file, collecting problems; caches parsed dates and codes."""

    file: str
    today: datetime.date
    orgunits: dict[str, tuple[int, datetime.date, datetime.date | None]]
    problems: list[Problem] = field(default_factory=list)
    _dates: dict[str, datetime.date | str] = field(default_factory=dict)

    def add(
        self,
        code: str,
        row: int,
        column: str,
        value: object = "",
        severity: str = "error",
        **params: str,
    ) -> None:
        """Record a problem at ``row``/``column``."""
        self.problems.append(
            problem(
                code,
                file=self.file,
                row=row,
                column=column,
                value=value,
                severity=severity,
                **params,
            )
        )

    def date(
        self, text: str, row: int, column: str, *, required: bool
    ) -> datetime.date | bool | None:
        """A parsed date, None if empty and allowed, or False after recording a problem."""
        if not text:
            if required:
                self.add("required", row, column)
                return False
            return None
        parsed = self._dates.get(text)
        if parsed is None:
            try:
                value = datetime.date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
                if value is None:
                    raise ValueError(text)
                parsed = value
                if value > self.today:
                    parsed = "future_date"
                elif value < EARLIEST:
                    parsed = "too_old_date"
            except ValueError:
                parsed = "bad_date"
            self._dates[text] = parsed
        if isinstance(parsed, str):
            self.add(parsed, row, column, text)
            return False
        return parsed

    def place(
        self, code: str, row: int, column: str, *, required: bool, leaf: bool
    ) -> Place | bool | None:
        """A place: a 12-digit unit of ours (a village if ``leaf``) or a 6-digit region."""
        if not code:
            if required:
                self.add("required", row, column)
                return False
            return None
        if len(code) == 6 and code.isdigit():
            if code in self.orgunits or regions.is_known_region(code):
                return Place(None, code)
            self.add("unknown_region", row, column, code)
            return False
        if not code.isdigit() or len(code) not in (9, 12):
            self.add("bad_code", row, column, code)
            return False
        unit = self.orgunits.get(code)
        if unit is None:
            self.add("unknown_orgunit", row, column, code)
            return False
        if leaf and unit[0] != 5:
            self.add("not_leaf", row, column, code)
            return False
        return Place(code, "")

    def choice(
        self, value: str, row: int, column: str, allowed: dict[str, str], default: str = ""
    ) -> str | bool:
        """A coded value mapped through ``allowed`` (synonyms → code), or False."""
        if not value:
            return default
        mapped = allowed.get(value)
        if mapped is None:
            self.add(
                "bad_choice",
                row,
                column,
                value,
                allowed=", ".join(sorted({v for v in allowed.values() if v})),
            )
            return False
        return mapped
