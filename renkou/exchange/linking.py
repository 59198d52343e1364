"""Linking a staged roster to the register: gathers the data, runs ``linkage``, records outcomes.

First the exact pass: rows whose identity number (or, for births, the mother's) is in
the register. Then rows of person rosters without a number go to the probabilistic pass
(Splink, trained by EM on the candidate pairs) against the register persons of the
import's area; its probability puts them above the match threshold, between the two
thresholds (a person decides) or below (missing from the register). Marriages are
linked by both spouses' numbers (``exchange.marriages``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.exchange.births import RIVAL_FACTOR, births_by_mother_name
from renkou.exchange.kept_models import model_for
from renkou.exchange.marriages import link_marriages
from renkou.exchange.models import Outcome, RosterImport, RosterRow
from renkou.linkage.exact import Comparison, compare, day_month_swapped, link_by_key
from renkou.linkage.features import features
from renkou.registry.models import Person
from renkou.registry.names import name_search_keys

CHUNK = 900  # below SQLite's bound-parameter limit
# Which blind index finds the register person of a row, per roster kind.
KEY_COLUMN = {
    "hospital_births": "mother_id",
    "hospital_deaths": "id_number",
    "police_register": "id_number",
    "police_deaths": "id_number",
    "school_enrolment": "id_number",
    "civil_marriages": "husband_id",
}
# Kinds whose rows describe the register person by name, sex and birth date.
PROBABILISTIC_KINDS = ("hospital_deaths", "police_register", "police_deaths", "school_enrolment")
DEATH_KINDS = ("hospital_deaths", "police_deaths")
COMPARED = ("name", "sex", "birth_date", "death_date")
PERSON_FIELDS = ("id", "id_number_hash", "name", "sex", "birth_date", "death_date", "status")


def _person_values(p: dict[str, Any]) -> dict[str, str]:
    return {
        "name": p["name"],
        "sex": p["sex"],
        "birth_date": p["birth_date"].isoformat() if p["birth_date"] else "",
        "death_date": p["death_date"].isoformat() if p["death_date"] else "",
    }


def _persons_by_hash(hashes: set[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for p in Person.objects.filter(id_number_hash__in=chunk).values(*PERSON_FIELDS):
            found[p["id_number_hash"]] = p
    return found


def _persons_by_id(ids: set[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        for p in Person.objects.filter(pk__in=ordered[start : start + CHUNK]).values(
            *PERSON_FIELDS
        ):
            found[p["id"]] = p
    return found


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same, or sound the same (a homophone typed)."""
    if not a or not b:
        return False
    return a == b or name_search_keys(a)[0] == name_search_keys(b)[0]


def _repaired(rows: list[RosterRow], key_column: str, kind: str) -> dict[int, str]:
    """{row id: blind index} of rows whose damaged number has exactly one plausible repair
    (``exchange.damaged``) naming a register person who agrees with the row: the same
    name (or mother's name), sex and birth date where the row gives them."""
    wanted = {
        r.pk: (r.id_hashes.get("repairs") or {}).get(key_column) or []
        for r in rows
        if not r.id_hashes.get(key_column)
    }
    wanted = {pk: hashes for pk, hashes in wanted.items() if hashes}
    persons = _persons_by_hash({h for hashes in wanted.values() for h in hashes})
    by_pk = {r.pk: r for r in rows}
    name_field = "mother_name" if kind == "hospital_births" else "name"
    out: dict[int, str] = {}
    for pk, hashes in wanted.items():
        row = by_pk[pk]
        fits = []
        for h in hashes:
            p = persons.get(h)
            if p is None or not same_name(row.values.get(name_field, ""), p["name"]):
                continue
            theirs = _person_values(p)
            if kind != "hospital_births" and any(
                row.values.get(f) and row.values[f][:10] != theirs[f] for f in ("sex", "birth_date")
            ):
                continue
            fits.append(h)
        if len(fits) == 1:
            out[pk] = fits[0]
    return out


def _note_id_problems(rows: list[RosterRow], repaired: dict[int, str]) -> None:
    """Put each row's damaged-number problems (and whether a repair found the person)
    into its evidence, for the worklist to say in words."""
    for row in rows:
        found = row.id_hashes.get("problems") or {}
        if found:
            row.evidence = {**(row.evidence or {}), "id_problems": found}
        if row.pk in repaired or (row.evidence or {}).get("id_repaired"):
            row.evidence = {**(row.evidence or {}), "id_repaired": True}


def _child_of(
    mother_id: int, row: dict[str, str]
) -> tuple[dict[str, Any] | None, Comparison, bool]:
    """The mother's child born on the roster date (or with day and month swapped), its
    comparison, and whether it is the only child that fits (twins of the same sex, with
    no name on the roster to tell them apart, are not)."""
    born = date.fromisoformat(row["birth_date"][:10])
    children = [
        c
        for c in Person.objects.filter(mother_id=mother_id).values(*PERSON_FIELDS)
        if c["birth_date"] == born or day_month_swapped(born, c["birth_date"])
    ]
    if not children:
        return None, Comparison(), False
    roster = {
        "sex": row.get("sex", ""),
        "birth_date": born.isoformat(),
        "name": row.get("name", ""),
    }

    def fit(child: dict[str, Any]) -> tuple[int, int, int]:
        values = _person_values(child)
        return (
            bool(roster["name"]) and values["name"] == roster["name"],
            roster["sex"] == values["sex"],
            values["birth_date"] == roster["birth_date"],
        )

    ranked = sorted(children, key=fit, reverse=True)
    child = ranked[0]
    only = len(ranked) == 1 or fit(ranked[1]) < fit(child)
    return child, compare(roster, _person_values(child), ("name", "sex", "birth_date")), only


def _outcome(comparison: Comparison) -> str:
    # A different name alone is common (nicknames, homophones) and not a conflict.
    serious = set(comparison.conflicts) - {"name"}
    return Outcome.CONFLICTS if serious else Outcome.MATCHED


def _save_outcomes(rows: list[RosterRow]) -> None:
    """Write outcomes with one prepared UPDATE (bulk_update's CASE per row is ~20x slower)."""
    evidence = RosterRow._meta.get_field("evidence")
    table = connection.ops.quote_name(RosterRow._meta.db_table)
    sql = (
        f"UPDATE {table} SET outcome = %s, person_id = %s, probability = %s, evidence = %s "  # noqa: S608 (table name from the model)
        "WHERE id = %s"
    )
    params = [
        (
            r.outcome,
            r.person_id,
            r.probability,
            evidence.get_db_prep_save(r.evidence, connection),
            r.pk,
        )
        for r in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start : start + 5000])


def thresholds() -> tuple[float, float]:
    """(possible, match): probabilities from which a row is a possible match, a match."""
    return tuple(getattr(settings, "RENKOU_LINKAGE_THRESHOLDS", (0.5, 0.99)))  # type: ignore[return-value]


# How many rows with an identity number it takes to measure the share of a roster's rows
# whose person is in the register; fewer, and the neutral 0.5 is used. The share is kept
# within [0.5, 0.95]: never below Splink's own prior, never as if nobody came from outside.
IN_REGISTER_MIN_ROWS, IN_REGISTER_RANGE = 50, (0.5, 0.95)


def in_register_share(numbered: int, found: int) -> float:
    """The share of a roster's rows whose person is in the register, as the rows with a
    usable identity number show it (``numbered`` of them, ``found`` in the register)."""
    if numbered < IN_REGISTER_MIN_ROWS:
        return 0.5
    low, high = IN_REGISTER_RANGE
    return min(max(found / numbered, low), high)


def _probabilistic(
    roster_import: RosterImport,
    rows: list[RosterRow],
    *,
    retrain: bool,
    actor: Any,
    in_register: float = 0.5,
) -> dict[str, Any]:
    """Link ``rows`` (no identity number) by name, birth date and sex; returns the record
    of the model used (kept for the kind and reused, or trained now)."""
    code = roster_import.orgunit.code
    persons = Person.objects.filter(
        residence_orgunit__code__startswith=code
    ) | Person.objects.filter(hukou_orgunit__code__startswith=code)
    # A million register persons: their stored pinyin keys are used as they are, and only
    # the linkage columns are kept (as tuples read in chunks, not model dicts).
    register = []
    fields = ("id", "name", "sex", "birth_date", "residence_orgunit_id")
    keys = ("name_pinyin", "name_initials")
    for pk, name, sex, born, village, pinyin, initials in persons.values_list(
        *fields, *keys
    ).iterator(chunk_size=20_000):
        register.append(
            features(
                {
                    "unique_id": pk,
                    "name": name,
                    "sex": sex,
                    "birth_date": born.isoformat(),
                    "village": village,
                },
                lambda _name, keys=(pinyin, initials): keys,
            )
        )
    roster = [features({"unique_id": r.pk, **r.values}, name_search_keys) for r in rows]
    # Imported here: Splink, DuckDB and pandas take seconds to import, most calls never need them.
    from renkou.linkage.probabilistic import fully_trained
    from renkou.linkage.probabilistic import link as probabilistic_link

    matches, model = model_for(
        roster_import=roster_import,
        stage="probabilistic",
        register_size=len(register),
        roster_size=len(roster),
        retrain=retrain,
        run=lambda kept: probabilistic_link(roster, register, model=kept, in_register=in_register),
        fully_trained=fully_trained,
        actor=actor,
    )
    register.clear()  # a million tuples: freed before the outcomes are read
    best = {m.roster_id: m for m in matches}
    by_id = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=[m.person_id for m in matches]).values(*PERSON_FIELDS)
    }
    possible, sure = thresholds()
    compared = COMPARED if roster_import.kind in DEATH_KINDS else COMPARED[:3]
    for row in rows:
        m = best.get(row.pk)
        if m is None or m.probability < possible:
            row.outcome, row.person_id = Outcome.MISSING, None
            row.probability = m.probability if m else None
            row.evidence = {"pass": "probabilistic", "note": "no_candidate_above_threshold"}
            continue
        person = by_id[m.person_id]
        comparison = compare(row.values, _person_values(person), compared)
        if roster_import.kind in DEATH_KINDS and not person["death_date"]:
            comparison.conflicts["death_date"] = (row.values.get("death_date", ""), "")
        # Another register person nearly as likely (two women of that name born that month,
        # when the roster gives the month only): a person chooses, the pass does not.
        rivals = [
            r[0]
            for r in m.rivals
            if r[1] >= possible and m.match_weight - r[2] < math.log2(RIVAL_FACTOR)
        ]
        row.person_id, row.probability = m.person_id, m.probability
        if rivals:
            row.outcome = Outcome.POSSIBLE
        else:
            row.outcome = _outcome(comparison) if m.probability >= sure else Outcome.POSSIBLE
        row.evidence = {
            "pass": "probabilistic",
            "weights": m.weights,
            "levels": m.levels,
            **comparison.evidence(),
        }
        if rivals:
            row.evidence |= {"rivals": rivals, "note": "person_rivals"}
    return model


def _no_progress(fraction: float, step: str) -> None:
    return None


@transaction.atomic
def roster_link(
    *,
    roster_import: RosterImport,
    actor: Any,
    progress: Callable[[float, str], None] = _no_progress,
    row_ids: list[int] | None = None,
    probabilistic: bool = True,
    retrain: bool = False,
) -> dict[str, int]:
    """Link the staged rows of ``roster_import``; returns the count per outcome.

    ``row_ids`` links only those rows (a pushed notification); ``probabilistic=False``
    leaves rows without an identity number pending, for a later link of the whole import.
    ``retrain`` trains the probabilistic models afresh instead of reusing the kind's kept
    ones (``exchange.kept_models``).
    """
    progress(0.0, "exact")
    kind = roster_import.kind
    key_column = KEY_COLUMN[kind]
    rows = list(
        roster_import.rows.all() if row_ids is None else roster_import.rows.filter(pk__in=row_ids)
    )
    if kind == "civil_marriages":
        link_marriages(rows, _persons_by_hash, _person_values, same_name, _persons_by_id)
    repaired = _repaired(rows, key_column, kind) if kind != "civil_marriages" else {}
    keys = [
        (r.pk, r.id_hashes.get(key_column) or repaired.get(r.pk, ""))
        for r in rows
        if kind != "civil_marriages"
    ]
    persons = _persons_by_hash({k for _, k in keys if k})
    linked = link_by_key(keys, {h: p["id"] for h, p in persons.items()})
    by_id = {p["id"]: p for p in persons.values()}
    compared = COMPARED if kind in DEATH_KINDS else COMPARED[:3]
    for row in rows if kind != "civil_marriages" else []:
        key = row.id_hashes.get(key_column) or repaired.get(row.pk, "")
        person_id = linked.get(row.pk)
        if not key:
            row.outcome, row.person_id, row.probability = Outcome.PENDING, None, None
            damaged = bool((row.id_hashes.get("problems") or {}).get(key_column))
            note = "identity_number_damaged" if damaged else "no_identity_number"
            row.evidence = {"pass": "exact", "note": note}
            continue
        if person_id is None:
            row.outcome, row.person_id, row.probability = Outcome.MISSING, None, None
            row.evidence = {"pass": "exact", "note": "identity_number_not_in_register"}
            continue
        if kind == "hospital_births":
            child, comparison, only = _child_of(person_id, row.values)
            if child is None:
                row.outcome, row.person_id, row.probability = Outcome.MISSING, None, None
                row.evidence = {"pass": "exact", "mother": person_id, "note": "no_child_born_then"}
                continue
            if not only:
                # Twins the roster does not tell apart: a person picks the child.
                row.outcome, row.person_id, row.probability = Outcome.POSSIBLE, child["id"], None
                row.evidence = {"pass": "exact", "mother": person_id, "note": "twins"}
                continue
            person_id = child["id"]
        else:
            comparison = compare(row.values, _person_values(by_id[person_id]), compared)
            if kind in DEATH_KINDS and not by_id[person_id]["death_date"]:
                # Alive in the register: the death was not reported (漏报).
                comparison.conflicts["death_date"] = (row.values.get("death_date", ""), "")
        row.outcome, row.person_id, row.probability = _outcome(comparison), person_id, 1.0
        row.evidence = {"pass": "exact", **comparison.evidence()}
    model: dict[str, Any] = {}
    pending = [r for r in rows if r.outcome == Outcome.PENDING]
    second = ""
    if pending and probabilistic and kind in PROBABILISTIC_KINDS:
        progress(0.3, "probabilistic")
        second = "probabilistic"
        numbered = sum(1 for _pk, key in keys if key)
        share = in_register_share(numbered, len(linked))
        model = _probabilistic(
            roster_import, pending, retrain=retrain, actor=actor, in_register=share
        )
    if pending and probabilistic and kind == "hospital_births":
        progress(0.3, "probabilistic")
        second = "mother_name"
        model = births_by_mother_name(
            roster_import,
            pending,
            thresholds=thresholds(),
            person_values=_person_values,
            outcome=_outcome,
            retrain=retrain,
            actor=actor,
        )
    progress(0.9, "save")
    _note_id_problems(rows, repaired)
    _save_outcomes(rows)
    roster_import.linked_at = timezone.now()
    if row_ids is None or model:
        roster_import.linkage_model = {
            "passes": ["exact", second] if model else ["exact"],
            "key": key_column,
            "thresholds": list(thresholds()),
            "splink": model.get("splink", {}),
            **{k: v for k, v in model.items() if k != "splink"},
        }
    roster_import.save(update_fields=["linked_at", "linkage_model"])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    audit_record(
        actor=actor,
        action="exchange.link",
        object_type="roster_import",
        object_id=roster_import.pk,
        after=counts if row_ids is None else {**counts, "rows": sorted(row_ids)},
    )
    return counts
