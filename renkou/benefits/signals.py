"""How the benefits app follows the register: a death stops the person's later months."""

from __future__ import annotations

from typing import Any

from renkou.benefits.services import entitlements_stop_after_death


def on_event_applied(sender: Any, event: Any, **kwargs: Any) -> None:
    """After a death is applied (same transaction): stop later months, flag paid ones."""
    if event.kind == "death" and event.person is not None and event.person.death_date:
        actor = event.reviewed_by or "registry"
        entitlements_stop_after_death(actor=actor, person=event.person)
