"""Recompute every person's state from its events and compare (``registry rebuild``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from renkou.core.audit import audit_record
from renkou.registry.folding import STATE_FIELDS, FoldError, fold_event
from renkou.registry.models import Event, Person
from renkou.registry.state import person_set_state, row_state

CHUNK = 20_000


@dataclass
class Difference:
    """A person whose stored state differs from the fold of its events."""

    person_id: int
    fields: dict[str, tuple[Any, Any]]  # field -> (stored, folded)
    error: str = ""


@dataclass
class RebuildResult:
    """How many persons and events were folded, and the differences found (or fixed)."""

    persons: int = 0
    events: int = 0
    differences: list[Difference] = field(default_factory=list)
    fixed: int = 0


def _events_by_person() -> Iterator[tuple[int, list[tuple[str, str, Any]]]]:
    qs = (
        Event.objects.filter(status="applied", historic=False)
        .order_by("person_id", "applied_seq")
        .values_list("person_id", "kind", "effective_date", "payload")
    )
    rows = qs.iterator(chunk_size=CHUNK)
    for person_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        yield person_id, [(kind, day.isoformat(), payload) for _, kind, day, payload in group]


def registry_rebuild(
    *, fix: bool, actor: Any, progress: Callable[[int], None] | None = None
) -> RebuildResult:
    """Fold every person's applied events; report differences, and with ``fix`` repair them."""
    result = RebuildResult()
    events = _events_by_person()
    pending = next(events, None)
    persons = Person.objects.order_by("id").values("id", *STATE_FIELDS).iterator(chunk_size=CHUNK)
    for row in persons:
        result.persons += 1
        if progress and result.persons % CHUNK == 0:
            progress(CHUNK)
        while pending is not None and pending[0] < row["id"]:
            pending = next(events, None)  # events of a person that no longer exists
        history = pending[1] if pending is not None and pending[0] == row["id"] else []
        result.events += len(history)
        stored = row_state(row)
        try:
            state = None
            for kind, day, payload in history:
                state = fold_event(state, kind, day, payload)
            if state is None:
                raise FoldError("no enrolment or birth event")
        except FoldError as exc:
            result.differences.append(Difference(row["id"], {}, str(exc)))
            continue
        diff = {f: (stored[f], state[f]) for f in STATE_FIELDS if stored[f] != state[f]}
        if diff:
            result.differences.append(Difference(row["id"], diff))
            if fix:
                _fix(row["id"], state, diff, actor)
                result.fixed += 1
    return result


@transaction.atomic
def _fix(
    person_id: int, state: dict[str, Any], diff: dict[str, tuple[Any, Any]], actor: Any
) -> None:
    person = Person.objects.select_for_update().get(pk=person_id)
    person_set_state(person, state)
    person.version += 1
    person.save()
    audit_record(
        actor=actor,
        action="person.rebuild",
        object_type="person",
        object_id=person_id,
        before={k: v[0] for k, v in diff.items()},
        after={k: v[1] for k, v in diff.items()},
        reason="state recomputed from events",
    )
