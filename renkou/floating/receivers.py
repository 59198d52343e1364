"""What the floating app does when the register changes (inside the change's transaction)."""

from __future__ import annotations

from typing import Any

from renkou.registry.choices import EventKind


def is_arrival(event: Any) -> bool:
    """Whether an event is an arrival from outside (a move-in reported as one)."""
    payload = event.payload or {}
    return event.kind == EventKind.MOVE_IN and ("state" in payload or bool(payload.get("arrival")))


def on_event_applied(sender: Any, event: Any, actor: Any = None, **kwargs: Any) -> None:
    """An applied arrival from outside writes its arrival notice (流入通报), to send."""
    if not is_arrival(event) or event.historic:
        return
    from renkou.floating.services import notice_create

    notice_create(arrival=event, actor=actor)
