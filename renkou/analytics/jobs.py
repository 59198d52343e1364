"""Computing a period's statistics as a background job started from the dashboard."""

from __future__ import annotations

from typing import Any

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.periods import parse
from renkou.core.jobs import Progress, job_kind


@job_kind("indicators.compute")
def indicators_compute_job(*, progress: Progress, period: str) -> Any:
    """Take new events into the snapshot and compute ``period`` for every unit."""
    progress(0.1, "snapshot")
    result = indicators_refresh(periods=[parse(period)])
    return {"periods": len(result.periods), "stored": result.stored}
