"""Person state as the fold of applied events: one definition for applying and rebuilding.

State is a dict of JSON-native values (dates as ISO strings, foreign keys as ids), so the
same function serves ``event_apply`` and ``renkou registry rebuild --verify``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STATE_FIELDS: tuple[str, ...] = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number_hash",
    "id_number_enc",
    "id_number_masked",
    "phone_hash",
    "phone_enc",
    "phone_masked",
    "hukou_orgunit_id",
    "hukou_region",
    "hukou_type",
    "residence_orgunit_id",
    "residence_region",
    "marital_status",
    "mother_id",
    "father_id",
    "birth_order",
    "status",
    "death_date",
    "household_id",
    "relation_to_head",
)
STATE_FIELD_SET = frozenset(STATE_FIELDS)
CREATING_KINDS = frozenset({"enrol", "birth"})


def creates_person(kind: str, payload: Mapping[str, Any]) -> bool:
    """Whether an event brings a new person into the register: an enrolment, a birth, or an
    arrival from outside (迁入 of a person not yet in the register: a move-in carrying the
    new person's state)."""
    return kind in CREATING_KINDS or (kind == "move_in" and "state" in payload)


DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(STATE_FIELDS, ""),
    "hukou_orgunit_id": None,
    "residence_orgunit_id": None,
    "mother_id": None,
    "father_id": None,
    "birth_order": None,
    "death_date": None,
    "household_id": None,
    "status": "alive",
}


def compact_state(state: dict[str, Any]) -> dict[str, Any]:
    """The state without fields at their default: what a creating event stores.

    The fold fills defaults back in, so nothing is lost, and a million enrolment events
    are a good deal smaller.
    """
    return {k: v for k, v in state.items() if v != DEFAULTS.get(k, "")}


class FoldError(ValueError):
    """An event cannot be applied to the state it meets (e.g. no creating event first)."""


def _place(
    state: dict[str, Any], payload: Mapping[str, Any], orgunit_key: str, region_key: str
) -> None:
    """Set a place from the event's ``to``: an org unit of ours or a region elsewhere."""
    to_orgunit = payload.get("to_orgunit")
    state[orgunit_key] = to_orgunit or None
    state[region_key] = "" if to_orgunit else payload.get("to_region", "")


def fold_event(
    state: dict[str, Any] | None, kind: str, effective_date: str, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the state after one applied event (a new dict; ``state`` is not changed)."""
    if kind in CREATING_KINDS or (state is None and creates_person(kind, payload)):
        new = {**DEFAULTS, **{k: v for k, v in payload["state"].items() if k in STATE_FIELD_SET}}
    elif state is None:
        raise FoldError(f"{kind} event before the person was enrolled or born")
    else:
        new = dict(state)
    if kind not in CREATING_KINDS:
        if kind == "death":
            new["status"] = "dead"
            new["death_date"] = effective_date
        elif kind in ("move_in", "move_out"):
            _place(new, payload, "residence_orgunit_id", "residence_region")
        elif kind in ("hukou_in", "hukou_out"):
            _place(new, payload, "hukou_orgunit_id", "hukou_region")
        elif kind == "marriage":
            new["marital_status"] = "married"
        elif kind == "divorce":
            new["marital_status"] = "divorced"
        elif kind == "widowhood":
            new["marital_status"] = "widowed"
        elif kind != "correction":
            raise FoldError(f"unknown event kind {kind!r}")
    # Any event may also set fields directly: a correction's changes, a move's new household.
    for key, value in payload.get("set", {}).items():
        if key in STATE_FIELD_SET:
            new[key] = value
    return new


def fold_events(events: Iterable[tuple[str, str, Mapping[str, Any]]]) -> dict[str, Any] | None:
    """Fold (kind, effective_date, payload) in application order, from the last creating one."""
    state: dict[str, Any] | None = None
    for kind, effective_date, payload in events:
        state = fold_event(state, kind, effective_date, payload)
    return state
