"""Damaged identity numbers on roster rows: what is wrong, and the plausible repairs.

A number that fails its check (one wrong digit, two adjacent digits transposed), carries
dashes, lost its last digits in Excel, or disagrees with the row's own birth date or sex is
evidence, not a verdict: the row is staged and linked by its other fields and by the
number's plausible repairs, each a valid number looked up by blind index. Neither the
number nor its repairs are kept or logged in clear: only their blind indexes and masks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from renkou.core import crypto, idnumber
from renkou.exchange import values as v

_SEPARATORS = re.compile(r"[-‐‑‒–—―－_/\\.·]")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
MAX_REPAIRS = 120


@dataclass
class Damage:
    """What an identity number cell says: a blind index when the number is valid, else
    the problem code and the blind indexes of its plausible repairs."""

    hash: str = ""
    masked: str = ""
    problem: str = ""  # "" when the number is clean
    repairs: list[str] = field(default_factory=list)
    birth_date: str = ""  # what a valid number says (ISO), to compare with the row
    sex: str = ""


def _valid(candidate: str, today: date) -> idnumber.IdNumber | None:
    try:
        return idnumber.parse(candidate, check_region=False, today=today)
    except idnumber.InvalidIdNumber:
        return None


def _digit_repairs(text: str) -> list[str]:
    """18-character numbers one adjacent transposition or one wrong character away."""
    out = []
    for i in range(17):
        if text[i] != text[i + 1]:
            out.append(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    for i in range(17):
        for d in "0123456789":
            if d != text[i]:
                first17 = text[:i] + d + text[i + 1 : 17]
                if idnumber.check_character(first17) == text[17]:
                    out.append(first17 + text[17])
    out.append(text[:17] + idnumber.check_character(text[:17]))  # the check character itself
    return out


def _tail_repairs(head: str, sex: str) -> list[str]:
    """Numbers whose first digits are ``head`` (Excel kept 15 significant digits, or the
    last characters were cut off), with a valid check character and the row's sex."""
    missing = 17 - len(head)
    if missing < 0 or missing > 3:
        return []
    out = []
    for n in range(10**missing):
        first17 = head + (f"{n:0{missing}d}" if missing else "")
        if sex and (int(first17[16]) % 2 == 1) != (sex == "M"):
            continue
        out.append(first17 + idnumber.check_character(first17))
    return out


def examine(raw: object, *, today: date, sex: str = "", birth_date: str = "") -> Damage:
    """The identity number of a cell: its blind index if valid, else its problem and the
    blind indexes of its repairs that are valid numbers (agreeing with ``sex`` if given)."""
    text = v.cell_text(raw)
    damage = Damage(masked=crypto.mask_id_number(text))
    candidates: list[str] = []
    if isinstance(raw, float) or _SCIENTIFIC.match(text):
        damage.problem = "excel"
        digits = str(int(raw)) if isinstance(raw, float) else ""
        if len(digits) == 18:
            candidates = _tail_repairs(digits[:15], sex)
    else:
        cleaned = "".join(
            text.translate(str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")).split()
        )
        dashed = _SEPARATORS.sub("", cleaned)
        if dashed != cleaned:
            damage.problem = "dashes"
            cleaned = dashed
        parsed = _valid(cleaned, today)
        if parsed is not None:
            damage.hash = crypto.blind_index(parsed.number)
            damage.masked = parsed.masked
            damage.birth_date, damage.sex = parsed.birth_date.isoformat(), parsed.sex
            if birth_date and birth_date != damage.birth_date:
                damage.problem = "birth_mismatch"
            elif sex and sex != parsed.sex:
                damage.problem = "sex_mismatch"
            return damage
        upper = cleaned.upper()
        digits_ok = upper[:17].isdigit() and (
            len(upper) < 18 or upper[17:].isdigit() or upper[17:] == "X"
        )
        if not damage.problem:
            damage.problem = "invalid"
        if len(upper) == 18 and digits_ok:
            if damage.problem == "invalid":
                damage.problem = "checksum"
            candidates = _digit_repairs(upper)
            if upper.endswith("000"):  # Excel turned the last three digits into zeros
                damage.problem = "excel"
                candidates += _tail_repairs(upper[:15], sex)
        elif 15 < len(upper) < 18 and upper.isdigit():
            damage.problem = "too_short"
            candidates = _tail_repairs(upper, sex)
        elif len(upper) == 19 and upper[:18].isdigit():
            damage.problem = "too_long"
            candidates = [upper[:i] + upper[i + 1 :] for i in range(19)]
        elif len(upper) == 15 and upper.isdigit():
            damage.problem = "old_invalid"
    seen: set[str] = set()
    for candidate in candidates:
        parsed = _valid(candidate, today)
        if parsed is None or parsed.number in seen:
            continue
        seen.add(parsed.number)
        damage.repairs.append(crypto.blind_index(parsed.number))
        if len(damage.repairs) >= MAX_REPAIRS:
            break
    return damage
