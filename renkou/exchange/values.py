"""Validating and normalising one roster cell: identity numbers, dates, sex, text.

Each function returns the normalised value or raises ``CellProblem`` with a code from
``exchange.problems`` (zh and en reasons).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from renkou.core import idnumber


class CellProblem(ValueError):
    """A cell that cannot be read; ``code`` and ``params`` build the zh/en reason."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a clerk saw (whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ") if value.time() != datetime.min.time() else str(value.date())
        )
    return str(value).strip()


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def id_number(value: object) -> idnumber.IdNumber:
    """A valid identity number; refuses numbers that a spreadsheet turned into floats."""
    if isinstance(value, float) or (isinstance(value, str) and _SCIENTIFIC.match(value.strip())):
        # 1.10105E+17 or a float: the last digits are gone, nothing can bring them back.
        raise CellProblem("id_as_number", value=cell_text(value))
    try:
        return idnumber.parse(str(value).strip(), check_region=False)
    except idnumber.InvalidIdNumber as exc:
        raise CellProblem("id_invalid", reason_zh=exc.message_zh, reason_en=exc.message_en) from exc


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})(?: .*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:.*)?$"),
]


def a_date(value: object, *, today: date) -> date:
    """A date from a date cell or from text in five formats; not in the future."""
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        text = cell_text(value).replace(" ", " ").strip()
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    result = date(*(int(g) for g in match.groups()))
                except ValueError:
                    raise CellProblem("bad_date", value=text) from None
                break
        else:
            raise CellProblem("bad_date", value=text)
    if result > today:
        raise CellProblem("future_date", value=str(result))
    if result.year < 1850:
        raise CellProblem("too_old_date", value=str(result))
    return result


_SEXES = {"男": "M", "女": "F", "m": "M", "f": "F", "1": "M", "2": "F", "男性": "M", "女性": "F"}


def sex(value: object) -> str:
    """M or F from 男/女, M/F or the national code 1/2."""
    text = cell_text(value).lower()
    if text not in _SEXES:
        raise CellProblem("bad_sex", value=cell_text(value))
    return _SEXES[text]
