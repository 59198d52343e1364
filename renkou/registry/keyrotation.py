"""Re-encrypting stored identity and phone numbers under the newest key (``renkou keys
rotate``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.registry.models import Event, Person

BATCH = 5000


def _token_sections(
    payload: dict[str, Any], field: str = "id_number_enc"
) -> Iterator[dict[str, Any]]:
    """The parts of an event payload that store a token of ``field`` (a created state, a
    set)."""
    for part in ("state", "set"):
        section = payload.get(part)
        if isinstance(section, dict) and section.get(field):
            yield section


def _batches(queryset: QuerySet[Any], *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``queryset`` (pk first) in pk order, BATCH at a time, without OFFSET."""
    last = 0
    while rows := list(
        queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH]
    ):
        last = rows[-1][0]
        yield rows


def _rotate_persons(protector: crypto.Protector, actor: Any, field: str = "id_number_enc") -> int:
    """Re-encrypt person tokens, giving the events that carry the same token the same new one.

    The person row and its events must keep one identical token, or the rebuild would see
    a difference.
    """
    done = 0
    for rows in _batches(Person.objects.exclude(**{field: ""}), field):
        new_tokens = {
            pk: (token, protector.reencrypt(token))
            for pk, token in rows
            if protector.needs_rotation(token)
        }
        with transaction.atomic():
            for pk, (_old, new) in new_tokens.items():
                Person.objects.filter(pk=pk).update(**{field: new})
            events = Event.objects.filter(person_id__in=list(new_tokens)).values_list(
                "pk", "person_id", "payload"
            )
            for pk, person_id, payload in events:
                old, new = new_tokens[person_id]
                sections = [s for s in _token_sections(payload, field) if s[field] == old]
                for section in sections:
                    section[field] = new
                if sections:
                    Event.objects.filter(pk=pk).update(payload=payload)
            if new_tokens:
                audit_record(
                    actor=actor,
                    action="keys.rotate",
                    object_type="person",
                    after={"first": min(new_tokens), "last": max(new_tokens), "n": len(new_tokens)},
                )
        done += len(new_tokens)
    return done


def _rotate_events(protector: crypto.Protector, actor: Any, field: str = "id_number_enc") -> int:
    """Re-encrypt tokens left in events (e.g. values a later correction replaced)."""
    done = 0
    for rows in _batches(Event.objects.all(), "payload"):
        changed = []
        for pk, payload in rows:
            stale = [
                s for s in _token_sections(payload, field) if protector.needs_rotation(s[field])
            ]
            for section in stale:
                section[field] = protector.reencrypt(section[field])
            if stale:
                changed.append((pk, payload))
        with transaction.atomic():
            for pk, payload in changed:
                Event.objects.filter(pk=pk).update(payload=payload)
            if changed:
                audit_record(
                    actor=actor,
                    action="keys.rotate",
                    object_type="event",
                    after={"first": changed[0][0], "last": changed[-1][0], "n": len(changed)},
                )
        done += len(changed)
    return done


def identity_tokens_rotate(*, actor: Any) -> dict[str, int]:
    """Re-encrypt every identity-number (and phone-number) token not under the first key;
    resumable. ``phones``: person rows and events whose phone token was re-encrypted."""
    protector = crypto.default_protector()
    return {
        "persons": _rotate_persons(protector, actor),
        "events": _rotate_events(protector, actor),
        "phones": _rotate_persons(protector, actor, "phone_enc")
        + _rotate_events(protector, actor, "phone_enc"),
    }


def identity_tokens_by_key() -> dict[str, int]:
    """How many person tokens are under each key id."""
    counts: Counter[str] = Counter()
    for token in (
        Person.objects.exclude(id_number_enc="").values_list("id_number_enc", flat=True).iterator()
    ):
        counts[token.partition("$")[0]] += 1
    return dict(counts)
