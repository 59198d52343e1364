"""Identity numbers (公民身份号码, GB 11643-1999): parse, validate, upgrade, check character.

Pure Python with no Django import, and fast: ``parse`` is called once per roster row and once per
person when a register of a million people is loaded, so the common path does a handful of C-level
string operations and dictionary look-ups and nothing else (see ``bench/idnumber.py``).

Error messages never repeat a whole number (identity numbers are sensitive personal information,
and messages end up in logs and import reports): they show it masked, plus the offending part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from operator import mul

from renkou.core import regions

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # remainder 0..10 -> check character

EARLIEST_BIRTH_DATE = date(1850, 1, 1)

# The check sum runs over the ASCII codes of the digits (one C-level map over bytes); every
# code is the digit + 48, so subtracting 48·Σw once gives Σ digit·w.
_ASCII_ZERO_OFFSET = 48 * sum(WEIGHTS)
_LAST_CHARS = frozenset("0123456789Xx")
# Numbers pasted from Chinese documents or typed with a Chinese input method come full-width.
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"ｘ": "X", "Ｘ": "X"})

# Valid calendar dates by their 8-digit string: a million numbers share some 40,000 birth dates.
# Bounded, so that a stream of odd input cannot grow it without end.
_DATE_CACHE: dict[str, date] = {}
_DATE_CACHE_MAX = 250_000

_known_regions: frozenset[str] | None = None
# (first instant of tomorrow as a POSIX timestamp, today): date.today() only once a day.
_today_state: tuple[float, date] = (0.0, date.min)


class InvalidIdNumber(ValueError):
    """An identity number that fails validation; ``code`` is stable, messages are zh and en."""

    CODES = (
        "empty",
        "length",
        "characters",
        "checksum",
        "birth_date",
        "future_birth_date",
        "region",
    )

    def __init__(self, code: str, message_zh: str, message_en: str, value: object = None) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.value = value

    def __reduce__(self):  # keep it picklable (task queues, multiprocessing) despite the signature
        return (type(self), (self.code, self.message_zh, self.message_en, self.value))


@dataclass(frozen=True, slots=True, repr=False)
class IdNumber:
    """A valid identity number and the facts it encodes."""

    number: str
    region_code: str
    birth_date: date
    sequence: int
    sex: str
    check: str

    @property
    def region_name(self) -> str | None:
        """The name of the region code (its latest name if abolished), or None if unknown."""
        return regions.region_name(self.region_code)

    @property
    def province_name(self) -> str | None:
        """The province-level division of the region code, or None if unknown."""
        return regions.province_of(self.region_code)

    @property
    def masked(self) -> str:
        """The number masked for display: ``110105********002X``."""
        return mask(self.number)

    def __repr__(self) -> str:
        # Masked so that a stray print or log line does not leak the number.
        return f"IdNumber({self.masked})"


def mask(number: object) -> str:
    """Mask an identity number for display (first 6 and last 4 kept); never raises."""
    if number is None:
        return ""
    text = "".join(str(number).split()).upper()
    n = len(text)
    if n >= 14:
        return text[:6] + "*" * (n - 10) + text[-4:]
    # Short or odd input: show at most a quarter at each end, so most of it stays hidden.
    keep = n // 4
    if keep == 0:
        return "*" * n
    return text[:keep] + "*" * (n - 2 * keep) + text[-keep:]


def _error(code: str, zh: str, en: str, value: object) -> InvalidIdNumber:
    return InvalidIdNumber(code, zh, en, value)


def _bad_characters(text: str, value: object) -> InvalidIdNumber:
    for pos, ch in enumerate(text, start=1):
        ok = ch.isascii() and ch.isdigit() if pos < 18 else ch in _LAST_CHARS
        if not ok:
            shown = ch if ch.isprintable() else repr(ch)
            return _error(
                "characters",
                f"公民身份号码 {mask(text)} 第 {pos} 位字符“{shown}”无效："
                "前 17 位应为数字，末位为数字或 X",
                f"identity number {mask(text)}: character {shown!r} at position {pos} is not"
                " allowed (17 digits, then a digit or X)",
                value,
            )
    # Unreachable for text that failed the checks, kept so the caller always gets an error.
    return _error(
        "characters", "公民身份号码含无效字符", "identity number has bad characters", value
    )


def _normalise(value: object) -> str:
    """Slow path: any input to an 18-character string of 17 digits + check, or raise."""
    if value is None:
        raise _error("empty", "公民身份号码为空", "identity number is empty", value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)  # a spreadsheet cell read as a number
    elif isinstance(value, str):
        text = value
    else:
        raise _error(
            "characters",
            f"公民身份号码应为文本，实为 {type(value).__name__}",
            f"identity number must be text, not {type(value).__name__}",
            value,
        )
    if not text.isascii():
        text = text.translate(_FULL_WIDTH)
    text = "".join(text.split())  # spaces anywhere, including between groups of digits
    if not text:
        raise _error("empty", "公民身份号码为空", "identity number is empty", value)
    n = len(text)
    if n == 15:
        if not (text.isascii() and text.isdigit()):
            raise _bad_characters(text, value)
        first17 = text[:6] + "19" + text[6:]
        return first17 + _check_of(first17)
    if n != 18:
        raise _error(
            "length",
            f"公民身份号码 {mask(text)} 长度为 {n} 位，应为 18 位（旧号码 15 位）",
            f"identity number {mask(text)} has {n} characters; expected 18 (or 15 for old numbers)",
            value,
        )
    head = text[:17]
    last = text[17]
    if not (head.isascii() and head.isdigit()) or last not in _LAST_CHARS:
        raise _bad_characters(text, value)
    return head + "X" if last == "x" else text


def _check_of(first17: str) -> str:
    # Callers guarantee 17 ASCII digits.
    return CHECK_CHARS[(sum(map(mul, first17.encode(), WEIGHTS)) - _ASCII_ZERO_OFFSET) % 11]


def check_character(first17: str) -> str:
    """The check character for the first 17 digits of an identity number."""
    if not (isinstance(first17, str) and len(first17) == 17 and first17.isascii()):
        raise _error(
            "length",
            "校验码计算需要 17 位数字",
            "the check character needs exactly 17 digits",
            first17,
        )
    if not first17.isdigit():
        raise _bad_characters(first17, first17)
    return _check_of(first17)


def upgrade15(text: str) -> str:
    """Convert an old 15-digit number to 18 characters: insert "19" and add the check character."""
    value = text
    if isinstance(text, str):
        text = "".join(text.split())
    if not isinstance(text, str) or len(text) != 15:
        raise _error(
            "length",
            f"旧公民身份号码 {mask(text)} 应为 15 位",
            f"old identity number {mask(text)} must have 15 digits",
            value,
        )
    if not (text.isascii() and text.isdigit()):
        raise _bad_characters(text, value)
    first17 = text[:6] + "19" + text[6:]
    return first17 + _check_of(first17)


def _calendar_date(s8: str, number: str, value: object) -> date:
    try:
        born = date(int(s8[:4]), int(s8[4:6]), int(s8[6:]))
    except ValueError:
        raise _error(
            "birth_date",
            f"公民身份号码 {mask(number)} 的出生日期 {s8} 不是有效日期",
            f"identity number {mask(number)}: birth date {s8} is not a real date",
            value,
        ) from None
    if born < EARLIEST_BIRTH_DATE:
        raise _error(
            "birth_date",
            f"公民身份号码 {mask(number)} 的出生日期 {s8} 早于 1850-01-01",
            f"identity number {mask(number)}: birth date {s8} is before 1850-01-01",
            value,
        )
    if len(_DATE_CACHE) < _DATE_CACHE_MAX:
        _DATE_CACHE[s8] = born
    return born


def _today() -> date:
    global _today_state
    until, today = _today_state
    if time.time() >= until:
        today = date.today()
        tomorrow = datetime.combine(today + timedelta(days=1), clock_time.min)
        _today_state = (tomorrow.timestamp(), today)  # one tuple: readers see both or neither
    return today


def _regions() -> frozenset[str]:
    global _known_regions
    if _known_regions is None:
        _known_regions = regions.known_codes()
    return _known_regions


def parse(text: str, *, check_region: bool = True, today: date | None = None) -> IdNumber:
    """Validate an identity number (18 or old 15 characters) and return what it encodes."""
    value = text
    # Fast path: a clean 18-character number, as nearly every stored or generated one is.
    if not (type(text) is str and len(text) == 18 and text.isascii() and text[:17].isdigit()):
        text = _normalise(text)
    last = text[17]
    if last == "x":
        last = "X"
        text = text[:17] + "X"
    elif last not in _LAST_CHARS:
        raise _bad_characters(text, value)
    if last != CHECK_CHARS[(sum(map(mul, text.encode(), WEIGHTS)) - _ASCII_ZERO_OFFSET) % 11]:
        # map() stops at the 17 weights, so the check character itself is not summed.
        raise _error(
            "checksum",
            f"公民身份号码 {mask(text)} 校验码“{last}”与前 17 位不符（某一位有误）",
            f"identity number {mask(text)}: check character {last!r} does not match the first"
            " 17 digits (a digit is wrong)",
            value,
        )
    s8 = text[6:14]
    born = _DATE_CACHE.get(s8) or _calendar_date(s8, text, value)
    limit = today if today is not None else _today()
    if born > limit:
        raise _error(
            "future_birth_date",
            f"公民身份号码 {mask(text)} 的出生日期 {born.isoformat()} 晚于今天 {limit.isoformat()}",
            f"identity number {mask(text)}: birth date {born.isoformat()} is after today"
            f" ({limit.isoformat()})",
            value,
        )
    region = text[:6]
    if check_region and region not in (_known_regions or _regions()):
        raise _error(
            "region",
            f"公民身份号码 {mask(text)} 的地址码 {region} 不是已知的行政区划代码（GB/T 2260）",
            f"identity number {mask(text)}: region code {region} is not a known GB/T 2260 code",
            value,
        )
    sequence = int(text[14:17])
    return IdNumber(text, region, born, sequence, "M" if sequence & 1 else "F", last)


def is_valid(text: str, *, check_region: bool = True, today: date | None = None) -> bool:
    """Whether ``parse`` accepts ``text``."""
    try:
        parse(text, check_region=check_region, today=today)
    except InvalidIdNumber:
        return False
    return True
