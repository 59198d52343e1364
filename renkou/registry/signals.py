"""Signals the registry sends, for other apps to follow the register without the registry
importing them."""

from __future__ import annotations

from django.dispatch import Signal

event_applied = Signal()
"""Sent inside the transaction that applied an event (keyword argument ``event``)."""
