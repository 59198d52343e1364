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
    """A spreadsheet cell as the text a clerk saw (whole floats without ``.0``).

    The whitespace around a cell is no part of its value: a tab and ``=1+1`` is kept as the
    text ``=1+1``. It stays text: nothing reads a cell as a formula (calamine gives a formula
    cell's value), and every file the product writes quotes or types it as text
    (``renkou.core.cells``), so a formula planted in a roster never comes out live.
    """
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
_SEPARATED = re.compile(r"[-－—–\s]+")


def id_number(value: object) -> idnumber.IdNumber:
    """A valid identity number; refuses numbers that a spreadsheet turned into floats."""
    if isinstance(value, float) or (isinstance(value, str) and _SCIENTIFIC.match(value.strip())):
        # 1.10105E+17 or a float: the last digits are gone, nothing can bring them back.
        raise CellProblem("id_as_number", value=cell_text(value))
    text = str(value).strip()
    if _SEPARATED.search(text) and len(_SEPARATED.sub("", text)) in (15, 18):
        raise CellProblem("id_dashes", value=text)
    try:
        return idnumber.parse(text, check_region=False)
    except idnumber.InvalidIdNumber as exc:
        raise CellProblem("id_invalid", reason_zh=exc.message_zh, reason_en=exc.message_en) from exc


_SEP = r"\s*[-/.]\s*"  # 1990-05-03, 1990/5/3, 1990.5.3, 1990. 5. 3
_DATE_PATTERNS = [
    re.compile(rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:.*)?$"),
]
# A two-digit year (90-05-03): the latest century that does not put the date after today.
_TWO_DIGIT_YEAR = re.compile(rf"^(\d{{2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})$")
# Year and month only (出生年月): 1990.05, 1990-05, 1990/5, 1990年5月, 199005.
_MONTH_PATTERNS = [
    re.compile(rf"^(\d{{4}}){_SEP}(\d{{1,2}})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
]
# The formats a date cell may be in, as the refusal lists them.
DATE_FORMATS = (
    "1990-05-03",
    "1990/5/3",
    "1990.5.3",
    "1990. 5. 3",
    "19900503",
    "1990年5月3日",
    "90-05-03",
)
MONTH_FORMATS = ("1990.05", "1990-05", "1990年5月", "199005")


class MonthDate(date):
    """A date of which only the year and month are known: kept as the month's 1st."""

    month_only = True


def _two_digit(match: re.Match[str], today: date) -> date:
    short, month, day = (int(g) for g in match.groups())
    year = today.year // 100 * 100 + short
    if date(year, month, day) > today:
        year -= 100
    return date(year, month, day)


def _bad_date(text: str, month_ok: bool) -> CellProblem:
    formats = "、".join(DATE_FORMATS + (MONTH_FORMATS if month_ok else ()))
    return CellProblem("roster_bad_date", value=text, formats=formats)


def a_date(value: object, *, today: date, month_ok: bool = False) -> date:
    """A date from a date cell or from text in the ``DATE_FORMATS``; not in the future.

    With ``month_ok`` (birth dates) a year and month alone are read too, as a ``MonthDate``:
    the month's 1st, the day unknown. A two-digit year is placed in the latest century that
    does not put the date after ``today`` (on 2026-12-02, 90-05-03 is 1990, 15-05-03 2015).
    """
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        text = cell_text(value).replace("\u00a0", " ").replace("\u3000", " ").strip()
        try:
            for pattern in _DATE_PATTERNS:
                match = pattern.match(text)
                if match:
                    result = date(*(int(g) for g in match.groups()))
                    break
            else:
                match = _TWO_DIGIT_YEAR.match(text)
                months = [p.match(text) for p in _MONTH_PATTERNS] if month_ok else []
                month = next((m for m in months if m), None)
                if match:
                    result = _two_digit(match, today)
                elif month and 1 <= int(month.group(2)) <= 12:
                    result = MonthDate(int(month.group(1)), int(month.group(2)), 1)
                else:
                    raise _bad_date(text, month_ok)
        except ValueError as exc:
            if isinstance(exc, CellProblem):
                raise
            raise _bad_date(text, month_ok) from None
    if result > today:
        raise CellProblem("future_date", value=str(result))
    if result.year < 1850:
        raise CellProblem("too_old_date", value=str(result))
    return result


def a_month(value: object) -> date:
    """A month, as its 1st, from a date cell or text (2026-03, 2026年3月, 202603, or a whole
    date, whose day is dropped); a month to come is read too (months applied for)."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = cell_text(value).replace("\u00a0", " ").replace("\u3000", " ").strip()
    for pattern in (*_MONTH_PATTERNS, *_DATE_PATTERNS):
        match = pattern.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1850 <= year <= 2200 and 1 <= month <= 12:
                return date(year, month, 1)
    raise CellProblem("roster_bad_month", value=text, formats="、".join(MONTH_FORMATS))


_SEXES = {
    "男": "M",
    "女": "F",
    "m": "M",
    "f": "F",
    "1": "M",
    "2": "F",
    "男性": "M",
    "女性": "F",
    "男生": "M",
    "女生": "F",
    "男孩": "M",
    "女孩": "F",
    # Written as unknown (the national code 0 未知, 9 未说明): read, kept empty.
    "未知": "",
    "不详": "",
    "0": "",
    "9": "",
}


def sex(value: object) -> str:
    """M or F from 男/女, 男生/女生, 男性/女性, M/F or the national code 1/2; ``""`` for a sex
    written as unknown (未知, 不详, 0, 9)."""
    text = cell_text(value).lower()
    if text not in _SEXES:
        raise CellProblem("bad_sex", value=cell_text(value))
    return _SEXES[text]
