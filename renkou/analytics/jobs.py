"""Computing a period's statistics as a background job started from the dashboard."""

from __future__ import annotations

from typing import Any

from renkou.analytics.periods import Period, parse, periods_within
from renkou.core.jobs import Progress, job_kind


def with_parts(period: Period) -> list[Period]:
    """The period and every month and quarter inside it (a chart of a year shows months)."""
    parts = periods_within(period.start, period.end, ("month", "quarter"))
    return [period, *(p for p in parts if p != period)]


@job_kind("indicators.compute", resumable=True, permission="review")
def indicators_compute_job(*, progress: Progress, period: str) -> Any:
    """Take new events into the snapshot and compute ``period`` for every unit, with its
    months and quarters."""
    from renkou.analytics.cache import indicators_refresh  # at run time: the worker starts fast

    progress(0.1, "snapshot")
    result = indicators_refresh(periods=with_parts(parse(period)))
    return {"periods": len(result.periods), "stored": result.stored}
