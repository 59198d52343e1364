"""Template helpers of the register pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from renkou.core import regions
from renkou.orgunits.models import OrgUnit
from renkou.registry.choices import HukouType, Relation, Sex
from renkou.registry.forms import CORRECTABLE
from renkou.registry.models import Household, Person

register = template.Library()

# The correctable field a correction's state keys belong to (registry.services).
_FIELD_OF_KEY = {
    "id_number_masked": "id_number",
    "id_number_hash": "id_number",
    "id_number_enc": "id_number",
    "mother_id": "mother",
    "father_id": "father",
    "hukou_orgunit_id": "hukou_place",
    "hukou_region": "hukou_place",
    "phone_masked": "phone",
    "phone_hash": "phone",
    "phone_enc": "phone",
    "household_id": "household",
}
# Fields an event sets beside the correctable ones (an arrival's phone and household).
_MORE_LABELS = {
    "phone": _("Phone"),
    "household": _("Household"),
    "relation_to_head": _("Relation to head"),
}


def _person(pk: Any) -> str:
    person = Person.objects.filter(pk=pk).first() if pk else None
    return f"{person.name} {person.id_number_masked}".strip() if person else "—"


def _shown(field: str, values: dict[str, Any]) -> str:
    """One correctable field of ``values`` (a correction's ``set``, or a person's fields) as
    a person reads it: identity numbers masked, codes by their names."""
    if field == "id_number":
        return values.get("id_number_masked") or "—"
    if field == "phone":
        return values.get("phone_masked") or "—"
    if field == "household":
        household = Household.objects.filter(pk=values.get("household_id") or 0).first()
        return household.number if household else "—"
    if field == "relation_to_head":
        value = values.get("relation_to_head")
        return str(Relation(value).label) if value in Relation.values else "—"
    if field in ("mother", "father"):
        return _person(values.get(f"{field}_id"))
    if field == "sex":
        return str(Sex(values["sex"]).label) if values.get("sex") in Sex.values else "—"
    if field == "hukou_type":
        value = values.get("hukou_type")
        return str(HukouType(value).label) if value in HukouType.values else "—"
    if field == "hukou_place":
        code = values.get("hukou_orgunit_id") or values.get("hukou_region") or ""
        unit = OrgUnit.objects.filter(code=code).first()
        name = unit.name if unit else regions.region_name(code)
        return f"{name} ({code})" if name else code or "—"
    value = values.get(field)
    return "—" if value in (None, "") else str(value)


def _person_values(person: Person) -> dict[str, Any]:
    keys = ("name", "birth_date", "sex", "ethnicity", "hukou_type", "hukou_region")
    values: dict[str, Any] = {k: getattr(person, k) for k in keys}
    values["birth_date"] = person.birth_date.isoformat() if person.birth_date else ""
    values["id_number_masked"] = person.id_number_masked
    values["phone_masked"] = person.phone_masked
    values["household_id"] = person.household_id
    values["relation_to_head"] = person.relation_to_head
    for key in ("mother_id", "father_id", "hukou_orgunit_id"):
        values[key] = getattr(person, key)
    return values


@register.simple_tag
def correction_rows(
    payload: dict[str, Any], person: Person | None = None
) -> list[tuple[Any, str, str]]:
    """(field label, value before, new value) of a correction: identity numbers masked,
    codes by their names; never the ciphertext or the blind index. The value before is the
    person's as it stands (given ``person``: a correction not yet applied), else ''."""
    changes = payload.get("set") or {}
    labels = {**dict(CORRECTABLE), **_MORE_LABELS}
    fields = list(dict.fromkeys(_FIELD_OF_KEY.get(k, k) for k in changes))
    before = _person_values(person) if person is not None else None
    return [
        (labels.get(f, f), _shown(f, before) if before is not None else "", _shown(f, changes))
        for f in fields
    ]


@register.filter
def region_label(code: str) -> str:
    """A GB/T 2260 region code with its name: 湖南省邵东县 (430521)."""
    name = regions.region_name(code or "")
    return f"{name} ({code})" if name else code or "—"
