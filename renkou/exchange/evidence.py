"""A worklist row's evidence in words: why it was matched, and how each field compared.

The probabilistic pass stores Splink's per-field match weights (log2 of how many times
likelier the pair is a match given that field); they are told here as "for" or "against"
the match, with the factor, the words a clerk can weigh (Splink's waterfall, in words).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "name": gettext_lazy("Name"),
    "surname": gettext_lazy("Surname"),
    "given": gettext_lazy("Given name"),
    "birth_date": gettext_lazy("Birth date"),
    "death_date": gettext_lazy("Death date"),
    "sex": gettext_lazy("Sex"),
    "village": gettext_lazy("Village"),
    "mother_name": gettext_lazy("Mother's name"),
    "mother_surname": gettext_lazy("Mother's surname"),
    "husband_name": gettext_lazy("Husband's name"),
    "wife_name": gettext_lazy("Wife's name"),
    "registered_on": gettext_lazy("Registration date"),
    "marriage": gettext_lazy("Marriage"),
    "divorce": gettext_lazy("Divorce"),
}
SPOUSES = {
    "husband": gettext_lazy("Husband's identity number"),
    "wife": gettext_lazy("Wife's identity number"),
}
LEVELS = {
    "same": gettext_lazy("the same"),
    "same_month_day_unknown": gettext_lazy("the same year and month (the roster gives no day)"),
    "same_pinyin": gettext_lazy("same sound in pinyin (a homophone)"),
    "similar_pinyin": gettext_lazy("similar in pinyin"),
    "same_initials": gettext_lazy("same pinyin initials only"),
    "similar": gettext_lazy("similar"),
    "day_month_swapped": gettext_lazy("day and month swapped"),
    "within_a_month": gettext_lazy("within a month"),
    "one_digit": gettext_lazy("one digit of the month or day differs"),
    "different": gettext_lazy("different"),
    "missing": gettext_lazy("missing on one side"),
}
# What is wrong with a roster row's identity number (``exchange.damaged``).
ID_PROBLEMS = {
    "checksum": gettext_lazy(
        "the check character does not fit the other digits (a digit is wrong, or two are "
        "transposed)"
    ),
    "dashes": gettext_lazy("written with dashes or other separators"),
    "excel": gettext_lazy("its last digits were lost in Excel (stored as a number)"),
    "too_short": gettext_lazy("too short: its last characters are missing"),
    "too_long": gettext_lazy("too long: a character too many"),
    "old_invalid": gettext_lazy("an old 15-digit number that is not valid"),
    "invalid": gettext_lazy("not a valid identity number"),
    "birth_mismatch": gettext_lazy("its birth date is not the roster's birth date"),
    "sex_mismatch": gettext_lazy("its sex is not the roster's sex"),
}
ID_COLUMNS = {
    "id_number": gettext_lazy("Identity number on the roster"),
    "mother_id": gettext_lazy("Mother's identity number on the roster"),
    "father_id": gettext_lazy("Father's identity number on the roster"),
    "husband_id": gettext_lazy("Husband's identity number on the roster"),
    "wife_id": gettext_lazy("Wife's identity number on the roster"),
}
NOTES = {
    "identity_number_damaged": gettext_lazy(
        "The roster's identity number is damaged and no repair of it names this person: "
        "linked by the other fields."
    ),
    "no_identity_number": gettext_lazy("The roster row has no identity number."),
    "identity_number_not_in_register": gettext_lazy(
        "Nobody in the register has this identity number."
    ),
    "no_child_born_then": gettext_lazy(
        "The mother is in the register, but no child of hers was born on that date."
    ),
    "no_candidate_above_threshold": gettext_lazy(
        "Nobody in the register is similar enough in name, birth date and sex."
    ),
    "twins": gettext_lazy(
        "The mother has twins of this sex born that day; the roster does not say which child "
        "this is: choose the child."
    ),
    "rivals": gettext_lazy(
        "Another child fits almost as well (twins, or mothers of similar names giving birth "
        "the same day): choose the child."
    ),
    "person_rivals": gettext_lazy(
        "Another person in the register fits almost as well (the same name and sex, born "
        "in the same month or close to this date): choose the person."
    ),
    "no_spouse_in_register": gettext_lazy("Neither spouse's identity number is in the register."),
    "no_child_of_that_mother": gettext_lazy(
        "No child born that day in the register has a mother of that name."
    ),
}


@dataclass
class Line:
    """One line of evidence: the field, what was found, and which way it points."""

    field: str
    text: str
    direction: str  # "for", "against" or "" (neutral)


def month_only_text(value: str) -> str:
    """A date the roster gave as a year and month only (stored as its 1st), as the roster
    gave it: "1990-05 (day unknown)"."""
    return _("%(month)s (day unknown)") % {"month": str(value)[:7]}


def _weight_words(weight: float) -> tuple[str, str]:
    factor = 2 ** abs(weight)
    shown = f"{factor:,.0f}" if factor >= 10 else f"{factor:.1f}"
    if weight >= 0.5:
        return _("for the match (%(factor)s times likelier)") % {"factor": shown}, "for"
    if weight <= -0.5:
        return _("against the match (%(factor)s times less likely)") % {"factor": shown}, "against"
    return _("says little either way"), ""


def evidence_lines(
    evidence: dict[str, Any], kind: str, month_only: frozenset[str] = frozenset()
) -> list[Line]:
    """The evidence of a linked roster row of ``kind`` as lines of words (current language)."""
    lines: list[Line] = []
    note = evidence.get("note")
    for column, code in (evidence.get("id_problems") or {}).items():
        text = str(ID_PROBLEMS.get(code, ID_PROBLEMS["invalid"]))
        direction = "" if code == "dashes" else "against"
        lines.append(Line(str(ID_COLUMNS.get(column, column)), text, direction))
    if evidence.get("id_repaired"):
        lines.append(
            Line(
                _("Identity number"),
                _(
                    "one plausible repair of the damaged number (one digit, two digits "
                    "transposed, or the lost digits) is this person's number, and the name "
                    "agrees"
                ),
                "for",
            )
        )
    spouses = evidence.get("spouses") or {}
    for side, state in spouses.items():
        found = state in ("in_register", "through_spouse")
        if state == "through_spouse":
            text = _(
                "in the register: the number is beyond repair, and the spouse's registered "
                "marriage names this person, whose name agrees"
            )
        else:
            text = _("in the register") if found else _("not in the register")
        lines.append(Line(str(SPOUSES.get(side, side)), text, "for" if found else ""))
    if (
        evidence.get("pass") == "exact"
        and not note
        and not spouses
        and not evidence.get("id_repaired")
    ):
        births = kind == "hospital_births"
        key = _("Mother's identity number") if births else _("Identity number")
        lines.append(Line(key, _("the same in the roster and the register"), "for"))
    if evidence.get("pass") == "mother_name" and evidence.get("mother_name"):
        level = LEVELS[evidence["mother_name"]]
        lines.append(Line(_("Mother's name"), str(level), "for"))
    levels = evidence.get("levels") or {}
    for field, weight in (evidence.get("weights") or {}).items():
        words, direction = _weight_words(float(weight))
        level = LEVELS.get(levels.get(field, ""), "")
        text = f"{level}: {words}" if level else words
        lines.append(Line(str(FIELDS.get(field, field)), text, direction))
    notes = evidence.get("notes") or {}
    if "weights" not in evidence:
        for field in evidence.get("agree") or []:
            note = notes.get(field) or ("same_month_day_unknown" if field in month_only else "")
            level = LEVELS.get(note, LEVELS["same"])
            lines.append(Line(str(FIELDS.get(field, field)), str(level), "for"))
    for field, (ours, theirs) in (evidence.get("conflicts") or {}).items():
        if field == "death_date" and not theirs:
            text = _(
                "the roster reports a death on %(date)s; the register shows the person alive"
            ) % {"date": ours}
        elif field in ("marriage", "divorce") and not theirs:
            text = _("registered on %(date)s; the register has no such event") % {"date": ours}
        else:
            if notes.get(field) == "month_only" or field in month_only:
                ours = month_only_text(ours)
            text = _("roster %(roster)s, register %(register)s") % {
                "roster": ours,
                "register": theirs,
            }
            if notes.get(field) == "day_month_swapped":
                text += " (" + str(LEVELS["day_month_swapped"]) + ")"
        lines.append(Line(str(FIELDS.get(field, field)), text, "against"))
    if note in NOTES:
        lines.append(Line("", str(NOTES[note]), ""))
    return lines
