"""Which field a correction (更正) of a finding changes: from the rule's fields.

Each rule names the person fields a correction would change (``Rule.fields``); the first of
them that a correction report can change is the field the finding's "correct" button opens.
Rules about fields a correction does not change (a death date, the residence, the household,
the marital status, the birth order: other kinds of change record them) open no correction.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from renkou.quality.rules import BY_CODE

# A rule's field -> the correctable field (registry.forms.CORRECTABLE) that sets it.
CORRECTION_OF_RULE_FIELD = {
    "id_number": "id_number",
    "birth_date": "birth_date",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "name": "name",
    "mother": "mother",
    "father": "father",
    "hukou_type": "hukou_type",
    "hukou_orgunit": "hukou_place",
    "hukou_region": "hukou_place",
}


def correction_field(rule: str) -> str | None:
    """The field a correction of a finding of ``rule`` changes (None: not a correction's)."""
    found = BY_CODE.get(rule)
    for name in found.fields if found else ():
        if name in CORRECTION_OF_RULE_FIELD:
            return CORRECTION_OF_RULE_FIELD[name]
    return None


def correction_url(*, rule: str, person_id: int, village: str) -> str:
    """The correction form for a finding: its person, its rule's field, the person's village."""
    field = correction_field(rule)
    if field is None:
        return ""
    query = {"person": person_id, "field": field}
    if village:
        query["village"] = village
    return f"{reverse('change_new', args=['correction'])}?{urlencode(query)}"
