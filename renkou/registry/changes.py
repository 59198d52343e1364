"""Filing a change report from validated form data: shared by the web pages and the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from renkou.core.scoping import may, restrict, units_for
from renkou.orgunits.models import Level, OrgUnit
from renkou.orgunits.scoping import codes_prefix_q
from renkou.registry import services
from renkou.registry.forms import CORRECTABLE
from renkou.registry.models import Event, Household, Person
from renkou.registry.validation import EventRefused, refusal

# Where a service's problem column shows on the form.
FIELD_OF_COLUMN = {
    "effective_date": "effective_date",
    "birth_date": "effective_date",
    "report_date": "effective_date",
    "orgunit": "village",
    "id_number": "id_number",
    "person": "person",
    "name": "name",
    "reason": "reason",
    "sex": "sex",
    "phone": "phone",
    "hukou_region": "hukou_region",
    "household": "household",
    # a correction's field: its input on the form (registry.forms.INPUT_OF_FIELD)
    "new_id_number": "new_id_number",
    "new_birth_date": "new_birth_date",
    "new_sex": "new_sex",
    "new_name": "new_name",
    "ethnicity": "ethnicity",
    "mother": "mother",
    "father": "father",
    "hukou_type": "hukou_type",
    "hukou_place": "hukou_place",
}


def reporting_villages(user: Any) -> list[tuple[str, str]]:
    """(code, label) of the current villages the user may file changes for."""
    prefixes = units_for(user, "report")
    units = OrgUnit.objects.filter(codes_prefix_q("code", prefixes), level=Level.VILLAGE)
    return [(u.code, f"{u.name} ({u.code})") for u in units.exclude(valid_to__isnull=False)]


def visible_person(user: Any, pk: int | None) -> Person | None:
    """The person with this id if the user may see them, else None."""
    if not pk:
        return None
    return restrict(Person.objects.all(), user).filter(pk=pk).first()


def change_prefill(form: Any, user: Any, query: Any) -> None:
    """Fill an unbound change form from the query: ``person`` (id, or id@version), and for a
    correction ``field`` and ``village`` (the person's village, from a quality finding)."""
    raw = str(query.get("person", "")).split("@")[0]
    chosen = visible_person(user, int(raw)) if raw.isdigit() else None
    if chosen is not None and "person" in form.fields:
        form.initial["person"] = f"{chosen.pk}@{chosen.version}"
    if hasattr(form, "choose") and query.get("field") in dict(CORRECTABLE):
        form.choose(query["field"])
    village = query.get("village", "")
    if village and village in dict(form.fields["village"].choices):
        form.initial["village"] = village
    for name in ("effective_date", "reason"):
        if query.get(name) and name in form.fields:
            form.initial[name] = query[name]


def change_submit(
    kind: str, data: dict[str, Any], user: Any, *, ref: str, replaces: Event | None = None
) -> Event:
    """Call the registry service that files this kind of change.

    ``data`` is a change form's ``cleaned_data``; ``ref`` makes a repeated submission of the
    same report return the first event instead of filing it twice.
    """
    village = OrgUnit.objects.get(code=data["village"])
    if not may(user, "report", village.code):
        raise PermissionDenied
    common = {"orgunit": village, "actor": user, "source": "village", "external_ref": ref}
    if replaces is not None:  # the correction of a rejected report (its reporter resubmits)
        common["replaces"] = replaces
    if kind == "birth":
        parents = {}
        for role, zh in (("mother", "母亲"), ("father", "父亲")):
            parents[role] = visible_person(user, data[role])
            if data[role] and parents[role] is None:  # refused, never silently dropped
                raise EventRefused.single(
                    "parent_outside_area",
                    column=role,
                    value=data[role],
                    role_zh=zh,
                    role_en=role,
                )
        return services.birth_submit(
            name=data["name"],
            sex=data["sex"],
            birth_date=data["effective_date"],
            id_number=data["id_number"].strip(),
            **parents,
            **common,
        )
    if kind == "arrival":
        return _arrival_submit(data, common)
    person_id, version = (int(x) for x in data["person"].split("@"))
    person = visible_person(user, person_id)
    if person is None:
        raise EventRefused.single("required", column="person", value="")
    if kind == "correction":
        return services.correction_submit(
            person=person,
            field=data["field"],
            value=data.get("value", ""),
            reason=data["reason"],
            with_id_facts=bool(data.get("with_id_facts")),
            visible=lambda pk: visible_person(user, pk),
            effective_date=data["effective_date"],
            expected_version=version,
            **common,
        )
    payload: dict[str, Any] = {}
    if kind == "move_in":
        payload = {"to_orgunit": village.code}
    elif kind == "move_out":
        key = "to_orgunit" if len(data["destination"]) == 12 else "to_region"
        payload = {key: data["destination"]}
    elif kind in ("marriage", "divorce") and data.get("spouse"):
        payload = {"spouse_id": data["spouse"]}
    return services.event_submit(
        kind=kind,
        person=person,
        effective_date=data["effective_date"],
        payload=payload,
        expected_version=version,
        **common,
    )


@transaction.atomic
def _arrival_submit(data: dict[str, Any], common: dict[str, Any]) -> Event:
    """File an arrival from outside (流入); a new household number opens the household in the
    village (in the same transaction: refused, nothing is left behind)."""
    village = common["orgunit"]
    household = None
    number = (data.get("household") or "").strip()
    if number:
        household = Household.objects.filter(number=number).first()
        if household is None:
            household = services.household_create(
                number=number, orgunit=village, actor=common["actor"]
            )
        elif household.orgunit_id != village.pk:
            raise EventRefused([refusal("wrong_household", column="household", value=number)])
    return services.arrival_submit(
        id_number=data["id_number"].strip(),
        name=data["name"],
        sex=data["sex"],
        birth_date=data["birth_date"],
        hukou_region=data["hukou_region"],
        hukou_type=data.get("hukou_type") or "",
        ethnicity=data.get("ethnicity") or "",
        marital_status=data.get("marital_status") or "",
        phone=data.get("phone") or "",
        household=household,
        relation_to_head=data.get("relation_to_head") or ("head" if household else ""),
        effective_date=data["effective_date"],
        **common,
    )
