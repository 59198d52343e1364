"""Template helpers of the register pages."""

from __future__ import annotations

from typing import Any

from django import template

from renkou.core import regions
from renkou.orgunits.models import OrgUnit
from renkou.registry.choices import HukouType, Sex
from renkou.registry.forms import CORRECTABLE
from renkou.registry.models import Person

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
}


def _person(pk: Any) -> str:
    person = Person.objects.filter(pk=pk).first() if pk else None
    return f"{person.name} {person.id_number_masked}".strip() if person else "—"


@register.simple_tag
def correction_rows(payload: dict[str, Any]) -> list[tuple[Any, str]]:
    """(field label, new value as shown) of a correction: identity numbers masked, codes
    by their names; never the ciphertext or the blind index."""
    changes = payload.get("set") or {}
    labels = dict(CORRECTABLE)
    fields = list(dict.fromkeys(_FIELD_OF_KEY.get(k, k) for k in changes))
    rows: list[tuple[Any, str]] = []
    for field in fields:
        if field == "id_number":
            shown = changes.get("id_number_masked") or "—"
        elif field in ("mother", "father"):
            shown = _person(changes.get(f"{field}_id"))
        elif field == "sex":
            shown = str(Sex(changes["sex"]).label) if changes["sex"] in Sex.values else "—"
        elif field == "hukou_type":
            value = changes["hukou_type"]
            shown = str(HukouType(value).label) if value in HukouType.values else "—"
        elif field == "hukou_place":
            code = changes.get("hukou_orgunit_id") or changes.get("hukou_region") or ""
            unit = OrgUnit.objects.filter(code=code).first()
            name = unit.name if unit else regions.region_name(code)
            shown = f"{name} ({code})" if name else code or "—"
        else:
            shown = str(changes.get(field, ""))
        rows.append((labels.get(field, field), shown))
    return rows
