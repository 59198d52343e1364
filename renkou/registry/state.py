"""Converting between Person rows and the JSON-native state the fold works on."""

from __future__ import annotations

import datetime
from typing import Any

from renkou.registry.folding import STATE_FIELDS
from renkou.registry.models import Person
from renkou.registry.names import name_search_keys

DATE_FIELDS = frozenset({"birth_date", "death_date"})


def to_json_value(value: Any) -> Any:
    """Dates as ISO strings; everything else unchanged."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def person_state(person: Person) -> dict[str, Any]:
    """The state fields of a person row as JSON-native values."""
    return {f: to_json_value(getattr(person, f)) for f in STATE_FIELDS}


def person_set_state(person: Person, state: dict[str, Any]) -> list[str]:
    """Write a folded state onto a row; return the names of the fields that changed."""
    changed = []
    for field in STATE_FIELDS:
        value = state.get(field)
        if field in DATE_FIELDS and isinstance(value, str):
            value = datetime.date.fromisoformat(value) if value else None
        if getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if "name" in changed or not person.name_pinyin:
        person.name_pinyin, person.name_initials = name_search_keys(person.name)
    return changed


def row_state(row: dict[str, Any]) -> dict[str, Any]:
    """State from a raw database row (``values()``), normalising dates and NULL strings."""
    out = {}
    for field in STATE_FIELDS:
        value = row[field]
        if isinstance(value, datetime.date):
            value = value.isoformat()
        out[field] = value
    return out
