"""Background work of the analytics app (run by ``renkou worker``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from renkou.analytics.cache import indicators_keep_ready


@task()
def indicators_refresh_task() -> dict[str, Any]:
    """Take new applied events into the snapshot; recompute the cached figures they touch,
    and compute any recent period not yet in the cache (``cache.indicators_keep_ready``)."""
    result = indicators_keep_ready()
    return {
        "events": result.snapshot.events,
        "invalidated": result.invalidated,
        "stored": result.stored,
    }
