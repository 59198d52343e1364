"""Signals the registry sends, for other apps to follow the register without the registry
importing them."""

from __future__ import annotations

from django.dispatch import Signal

event_applied = Signal()
"""Sent inside the transaction that applied an event (keyword argument ``event``)."""

event_submitted = Signal()
"""Sent inside the transaction that recorded a new submission (``event``, ``actor``); not
sent for an idempotent repeat of one."""

event_rejected = Signal()
"""Sent inside the transaction that rejected an event (``event``, ``actor``)."""
