"""Computing the figures a year's scorecards read, as a background job."""

from __future__ import annotations

from typing import Any

from renkou.analytics.periods import Period, parse, periods_within
from renkou.core.jobs import Progress, job_kind


def year_periods(year: int) -> list[Period]:
    """A year and every quarter, month and ten-day period in it."""
    period = parse(str(year))
    return [period, *periods_within(period.start, period.end, ("quarter", "month", "dekad"))]


@job_kind("targets.compute", resumable=True, permission="review")
def targets_compute_job(*, progress: Progress, year: int) -> Any:
    """Take new events into the snapshot and compute the year, its quarters, months and
    ten-day periods for every unit (counted per ten days, in one pass)."""
    from renkou.analytics.cache import indicators_refresh  # at run time: the worker starts fast

    progress(0.1, "snapshot")
    result = indicators_refresh(periods=year_periods(int(year)))
    return {"periods": len(result.periods), "stored": result.stored}
