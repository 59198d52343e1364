"""Keeping the indicator cache current: every applied event schedules a refresh.

The refresh is queued once the applying transaction commits (a rolled-back event queues
nothing), and only when no refresh is already waiting to start: a burst of events, or a
thousand applied in one transaction, costs one refresh, while an event applied while a
refresh runs queues the next one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction


def refresh_waiting() -> bool:
    """Whether a refresh task is queued and not yet started (database task backend only)."""
    from renkou.analytics.tasks import indicators_refresh_task

    backend = settings.TASKS["default"]["BACKEND"]
    if not backend.startswith("django_tasks_db."):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=indicators_refresh_task.module_path, status="READY"
    ).exists()


def refresh_enqueue() -> None:
    """Queue a cache refresh unless one is waiting already."""
    from renkou.analytics.tasks import indicators_refresh_task

    if not refresh_waiting():
        indicators_refresh_task.enqueue()


def on_event_applied(sender: Any, event: Any, **kwargs: Any) -> None:
    """Schedule one refresh for after the commit of the transaction that applied ``event``."""
    pending = getattr(connection, "run_on_commit", [])
    if any(item[1] is refresh_enqueue for item in pending):
        return
    transaction.on_commit(refresh_enqueue)
