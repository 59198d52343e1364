"""A small expression language for rule conditions: one definition, two evaluators.

A condition is built from ``col``, ``lit`` and operators; ``sql()`` renders it for DuckDB
(the bulk mode, over the whole register) and ``ev(row)`` evaluates it on one feature row in
Python (the single-record mode, within the write's time budget). Both follow SQL's
three-valued logic: a comparison with NULL (None) is NULL, and a NULL condition does not flag.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from typing import Any


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def both(values: Sequence[Any]) -> bool | None:
    """SQL AND of values (None is NULL)."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def either(values: Sequence[Any]) -> bool | None:
    """SQL OR of values (None is NULL)."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def compare(op: str, a: Any, b: Any) -> bool | None:
    """SQL comparison: NULL (None) if either side is NULL or the types do not compare."""
    if a is None or b is None:
        return None
    try:
        return {
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
            "=": a == b,
            "<>": a != b,
        }[op]
    except TypeError:  # odd input of mixed types compares as unknown
        return None


class X:
    """An expression over the columns of the feature row."""

    def sql(self) -> str:
        """The expression as DuckDB SQL."""
        raise NotImplementedError

    def ev(self, row: dict[str, Any]) -> Any:
        """The expression's value on one row (None for NULL)."""
        raise NotImplementedError

    def _cmp(self, op: str, other: Any) -> X:
        return Compare(op, self, wrap(other))

    def __lt__(self, other: Any) -> X:
        return self._cmp("<", other)

    def __le__(self, other: Any) -> X:
        return self._cmp("<=", other)

    def __gt__(self, other: Any) -> X:
        return self._cmp(">", other)

    def __ge__(self, other: Any) -> X:
        return self._cmp(">=", other)

    def eq(self, other: Any) -> X:
        """SQL ``=``."""
        return self._cmp("=", other)

    def ne(self, other: Any) -> X:
        """SQL ``<>``."""
        return self._cmp("<>", other)

    def __and__(self, other: X) -> X:
        return Logic("AND", (self, other))

    def __or__(self, other: X) -> X:
        return Logic("OR", (self, other))

    def __invert__(self) -> X:
        return Not(self)

    def __sub__(self, days: int) -> X:
        return MinusDays(self, days)

    def is_null(self) -> X:
        """SQL ``IS NULL``."""
        return IsNull(self, True)

    def not_null(self) -> X:
        """SQL ``IS NOT NULL``."""
        return IsNull(self, False)

    def between(self, low: Any, high: Any) -> X:
        """SQL ``BETWEEN`` (both ends included)."""
        return (self >= low) & (self <= high)

    def isin(self, values: Sequence[Any]) -> X:
        """SQL ``IN (...)`` over literals."""
        return In(self, tuple(values))

    def distinct_from(self, other: Any) -> X:
        """SQL ``IS DISTINCT FROM`` (NULL equals NULL)."""
        return Distinct(self, wrap(other))


def wrap(value: Any) -> X:
    """An expression for ``value`` (already one, or a literal)."""
    return value if isinstance(value, X) else Lit(value)


class Col(X):
    """A column of the feature row."""

    def __init__(self, name: str) -> None:
        self.name = name

    def sql(self) -> str:
        return self.name

    def ev(self, row: dict[str, Any]) -> Any:
        return row.get(self.name)


class Lit(X):
    """A constant."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def sql(self) -> str:
        return _sql_literal(self.value)

    def ev(self, row: dict[str, Any]) -> Any:
        return self.value


class Compare(X):
    """A comparison."""

    def __init__(self, op: str, left: X, right: X) -> None:
        self.op, self.left, self.right = op, left, right

    def sql(self) -> str:
        return f"({self.left.sql()} {self.op} {self.right.sql()})"

    def ev(self, row: dict[str, Any]) -> Any:
        return compare(self.op, self.left.ev(row), self.right.ev(row))


class Logic(X):
    """AND / OR of conditions."""

    def __init__(self, op: str, parts: Sequence[X]) -> None:
        self.op, self.parts = op, tuple(parts)

    def sql(self) -> str:
        return "(" + f" {self.op} ".join(p.sql() for p in self.parts) + ")"

    def ev(self, row: dict[str, Any]) -> Any:
        values = [p.ev(row) for p in self.parts]
        return both(values) if self.op == "AND" else either(values)


class Not(X):
    """NOT of a condition."""

    def __init__(self, part: X) -> None:
        self.part = part

    def sql(self) -> str:
        return f"(NOT {self.part.sql()})"

    def ev(self, row: dict[str, Any]) -> Any:
        value = self.part.ev(row)
        return None if value is None else not value


class IsNull(X):
    """IS NULL / IS NOT NULL."""

    def __init__(self, part: X, null: bool) -> None:
        self.part, self.null = part, null

    def sql(self) -> str:
        return f"({self.part.sql()} IS {'' if self.null else 'NOT '}NULL)"

    def ev(self, row: dict[str, Any]) -> Any:
        return (self.part.ev(row) is None) == self.null


class In(X):
    """IN over literals."""

    def __init__(self, part: X, values: tuple[Any, ...]) -> None:
        self.part, self.values = part, values

    def sql(self) -> str:
        return f"({self.part.sql()} IN ({', '.join(_sql_literal(v) for v in self.values)}))"

    def ev(self, row: dict[str, Any]) -> Any:
        value = self.part.ev(row)
        return None if value is None else value in self.values


class Distinct(X):
    """IS DISTINCT FROM."""

    def __init__(self, left: X, right: X) -> None:
        self.left, self.right = left, right

    def sql(self) -> str:
        return f"({self.left.sql()} IS DISTINCT FROM {self.right.sql()})"

    def ev(self, row: dict[str, Any]) -> Any:
        a, b = self.left.ev(row), self.right.ev(row)
        if a is None or b is None:
            return (a is None) != (b is None)
        return a != b


class MinusDays(X):
    """A date minus a number of days."""

    def __init__(self, part: X, days: int) -> None:
        self.part, self.days = part, days

    def sql(self) -> str:
        return f"({self.part.sql()} - {int(self.days)})"

    def ev(self, row: dict[str, Any]) -> Any:
        value = self.part.ev(row)
        if value is None:
            return None
        try:
            return value - datetime.timedelta(days=self.days)
        except (OverflowError, TypeError):  # out of the calendar, or not a date
            return None


class Call(X):
    """A function with a SQL template (``{0}``, ``{1}``...) and a Python twin."""

    def __init__(self, template: str, fn: Callable[..., Any], *args: X) -> None:
        self.template, self.fn, self.args = template, fn, args

    def sql(self) -> str:
        return self.template.format(*(a.sql() for a in self.args))

    def ev(self, row: dict[str, Any]) -> Any:
        return self.fn(*(a.ev(row) for a in self.args))


def col(name: str) -> X:
    """A column of the feature row."""
    return Col(name)


def lit(value: Any) -> X:
    """A constant."""
    return Lit(value)


def all_of(*parts: X) -> X:
    """AND of every part."""
    return Logic("AND", parts)


def any_of(*parts: X) -> X:
    """OR of any part."""
    return Logic("OR", parts)


# What counts as blank: spaces (ASCII and the full-width 全角 space), tabs and line breaks.
# Both modes strip exactly this set (Python's bare strip() and DuckDB's bare trim() differ).
BLANKS = " \u3000\t\r\n"
_SQL_BLANKS = "' ' || chr(12288) || chr(9) || chr(13) || chr(10)"


def filled(name: str) -> X:
    """A text column holding something other than blanks."""

    def _py(value: Any) -> bool:
        return value is not None and str(value).strip(BLANKS) != ""

    return Call(f"(coalesce(trim({{0}}, {_SQL_BLANKS}), '') <> '')", _py, col(name))


def empty(name: str) -> X:
    """A text column that is NULL or blank (e.g. no identity number hash)."""

    def _py(value: Any) -> bool:
        return value is None or str(value).strip(BLANKS) == ""

    return Call(f"(coalesce(trim({{0}}, {_SQL_BLANKS}), '') = '')", _py, col(name))


_WELL_FORMED = re.compile(r"[0-9]{17}[0-9X]")


def well_formed_id(name: str) -> X:
    """An identity number of 17 ASCII digits and a digit or X."""

    def _py(value: Any) -> bool | None:
        return None if value is None else bool(_WELL_FORMED.fullmatch(str(value)))

    return Call("regexp_full_match({0}, '[0-9]{{17}}[0-9X]')", _py, col(name))
