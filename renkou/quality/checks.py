"""Single-record mode: the rules judging one person when a change is filed or applied.

The person's neighbourhood is read from the register (``sources.neighbourhood``) and the
same query as the bulk mode runs over it (``engine.evaluate``), so both modes give the same
findings by construction; tests compare them on whole counties.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from renkou.core import regions
from renkou.core.problems import Problem
from renkou.quality.engine import Hit, evaluate_row
from renkou.quality.features_py import feature_row
from renkou.quality.models import Confirmation
from renkou.quality.rules import BY_CODE, ERROR
from renkou.quality.sources import NEW_PERSON, decrypt_or_none, neighbourhood
from renkou.registry.folding import creates_person, fold_event
from renkou.registry.models import Event, Person
from renkou.registry.state import person_state


def check_state(
    state: dict[str, Any],
    *,
    person_id: int | None = None,
    extra_events: list[dict[str, Any]] | tuple = (),
    as_of: datetime.date | None = None,
) -> list[Hit]:
    """Every rule's findings for one person in ``state`` (saved or not), before confirmations."""
    pid = NEW_PERSON if person_id is None else person_id
    near = neighbourhood(
        state,
        pid,
        clear_id=decrypt_or_none(state.get("id_number_enc")),
        extra_events=extra_events,
    )
    row = feature_row(
        pid, near.persons, near.events, near.units, known_regions(), as_of or timezone.localdate()
    )
    return evaluate_row(row)


def known_regions() -> frozenset[str]:
    """GB/T 2260 codes the rules accept as places and identity-number regions."""
    return regions.known_codes()


def check_person(person: Person, *, as_of: datetime.date | None = None) -> list[Hit]:
    """Every rule's findings for a person as the register holds them, before confirmations."""
    return check_state(person_state(person), person_id=person.pk, as_of=as_of)


def _event_row(kind: str, effective_date: Any, report_date: Any, orgunit: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "effective_date": effective_date,
        "report_date": report_date,
        "orgunit": orgunit,
    }


def confirmed_rules(*, person_id: int | None, event_id: int | None = None) -> set[str]:
    """The rules confirmed correct for a person or for a (birth) event."""
    q = Confirmation.objects.none()
    if person_id is not None:
        q = q | Confirmation.objects.filter(person_id=person_id)
    if event_id is not None:
        q = q | Confirmation.objects.filter(event_id=event_id)
    return set(q.values_list("rule", flat=True))


def unconfirmed(hits: list[Hit], confirmed: set[str]) -> list[Hit]:
    """The hits whose rule has not been confirmed correct for the record."""
    return [h for h in hits if h.rule not in confirmed]


def event_findings(event: Event) -> list[Hit]:
    """What the rules say about the person as ``event`` would leave them (when filed)."""
    creating = creates_person(event.kind, event.payload)
    if creating:
        before = None
        person_id = None
    else:
        person = Person.objects.get(pk=event.person_id)
        before = person_state(person)
        person_id = person.pk
    after = fold_event(before, event.kind, event.effective_date.isoformat(), event.payload)
    extra = (
        []
        if creating
        else [_event_row(event.kind, event.effective_date, event.report_date, event.orgunit_id)]
    )
    hits = check_state(after, person_id=person_id, extra_events=extra)
    return unconfirmed(hits, confirmed_rules(person_id=person_id, event_id=event.pk))


def problems_of(hits: list[Hit]) -> list[Problem]:
    """Hits as problems (zh and en) for an ``EventRefused``."""
    out = []
    for hit in hits:
        rule = BY_CODE[hit.rule]
        out.append(
            Problem(
                file="",
                row=0,
                column=",".join(rule.fields),
                value="",
                code=hit.rule,
                message_zh=rule.message(hit.values, "zh"),
                message_en=rule.message(hit.values, "en"),
                severity=hit.severity,
            )
        )
    return out


def blocking(hits: list[Hit]) -> list[Hit]:
    """The error-severity hits: they stop a change from being applied."""
    return [h for h in hits if h.severity == ERROR]
