"""Births without the mother's identity number: linked by the mother's name, probabilistically.

The register's children born in the roster's years (with their mothers' names and stored
pinyin keys) are the candidates; ``linkage.births`` scores each roster row against the
children born that day or with day and month swapped. A row becomes a match above the
match threshold, a possible match between the thresholds, missing below. Two candidates
that fit almost equally (same-sex twins the roster does not name, or two mothers of
similar names giving birth the same day) are left to a person: the best one must be at
least ``RIVAL_FACTOR`` times likelier than the next.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from renkou.exchange.kept_models import model_for
from renkou.exchange.models import Outcome, RosterImport, RosterRow
from renkou.linkage.exact import compare
from renkou.registry.models import Person
from renkou.registry.names import name_search_keys, normalise_name

STAGE = "mother_name"
RIVAL_FACTOR = 100  # how many times likelier the best child must be than the next


def _area(roster_import: RosterImport) -> Any:
    code = roster_import.orgunit.code
    return Person.objects.filter(residence_orgunit__code__startswith=code) | Person.objects.filter(
        hukou_orgunit__code__startswith=code
    )


def register_size(roster_import: RosterImport) -> int:
    """How many children with a mother the import's area has (what a kept model is judged
    by: a register that changed a lot needs a model trained again)."""
    return int(_area(roster_import).filter(mother__isnull=False).count())


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """A roster row's values with its names in the form the register's are compared in."""
    names = {k: normalise_name(values[k]) for k in ("name", "mother_name") if values.get(k)}
    return {**values, **names}


def _register(roster_import: RosterImport, years: set[int]) -> tuple[list[dict[str, Any]], int]:
    """The area's children born in ``years`` as linkage records, and how many children
    with a mother the area has in all (the size a kept model is judged by)."""
    from renkou.linkage.births import birth_features

    area = _area(roster_import)
    size = register_size(roster_import)
    children = area.filter(mother__isnull=False, birth_date__year__in=sorted(years))
    fields = ("id", "name", "name_pinyin", "sex", "birth_date", "mother__name")
    fields += ("mother__name_pinyin", "mother__name_initials")
    register = []
    for pk, name, pinyin, sex, born, mother, m_pinyin, m_initials in children.values_list(
        *fields
    ).iterator(chunk_size=20_000):
        keys = {normalise_name(mother): (m_pinyin, m_initials), normalise_name(name): (pinyin, "")}
        register.append(
            birth_features(
                {
                    "unique_id": pk,
                    "mother_name": normalise_name(mother or ""),
                    "name": normalise_name(name or ""),
                    "sex": sex,
                    "birth_date": born.isoformat(),
                },
                lambda text, keys=keys: keys.get(text) or name_search_keys(text),
            )
        )
    return register, size


def births_by_mother_name(
    roster_import: RosterImport,
    rows: list[RosterRow],
    *,
    thresholds: tuple[float, float],
    person_values: Any,
    outcome: Any,
    retrain: bool,
    actor: Any,
) -> dict[str, Any]:
    """Link birth ``rows`` without the mother's number; returns the model's record."""
    from renkou.linkage.births import BIRTH, birth_features
    from renkou.linkage.probabilistic import fully_trained
    from renkou.linkage.probabilistic import link as probabilistic_link

    years = {int(r.values["birth_date"][:4]) for r in rows}
    register, size = _register(roster_import, years)
    roster = [
        birth_features(_normalised(r.values) | {"unique_id": r.pk}, name_search_keys) for r in rows
    ]
    matches, record = model_for(
        roster_import=roster_import,
        stage=STAGE,
        register_size=size,
        roster_size=len(roster),
        retrain=retrain,
        run=lambda model: probabilistic_link(roster, register, spec=BIRTH, model=model),
        fully_trained=lambda used: fully_trained(used, BIRTH),
        actor=actor,
    )
    best = {m.roster_id: m for m in matches}
    by_id = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=[m.person_id for m in matches]).values(
            "id", "name", "sex", "birth_date", "death_date"
        )
    }
    possible, sure = thresholds
    for row in rows:
        m = best.get(row.pk)
        if m is None or m.probability < possible:
            row.outcome, row.person_id = Outcome.MISSING, None
            row.probability = m.probability if m else None
            row.evidence = {"pass": STAGE, "note": "no_child_of_that_mother"}
            continue
        born = date.fromisoformat(row.values["birth_date"][:10]).isoformat()
        roster_values = {k: row.values.get(k, "") for k in ("name", "sex")} | {"birth_date": born}
        comparison = compare(
            roster_values, person_values(by_id[m.person_id]), ("name", "sex", "birth_date")
        )
        rivals = [
            r[0]
            for r in m.rivals
            if r[1] >= possible and m.match_weight - r[2] < math.log2(RIVAL_FACTOR)
        ]
        row.person_id, row.probability = m.person_id, m.probability
        if rivals:
            row.outcome = Outcome.POSSIBLE
        else:
            row.outcome = outcome(comparison) if m.probability >= sure else Outcome.POSSIBLE
        row.evidence = {
            "pass": STAGE,
            "weights": m.weights,
            "levels": m.levels,
            **comparison.evidence(),
        }
        if rivals:
            row.evidence |= {"rivals": rivals, "note": "rivals"}
    return record
