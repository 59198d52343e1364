"""Named counters, advanced inside the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from renkou.core.models import Counter


def counter_advance(name: str, by: int = 1) -> int:
    """Reserve ``by`` numbers from counter ``name``; return the first of them."""
    with transaction.atomic():
        counter, _ = Counter.objects.select_for_update().get_or_create(name=name)
        first = counter.value + 1
        counter.value += by
        counter.save(update_fields=["value"])
    return first
