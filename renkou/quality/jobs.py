"""The bulk check as a background job started from the quality page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from renkou.core.jobs import Progress, job_kind


@job_kind("quality.run", resumable=True, permission="review")
def quality_run_job(*, progress: Progress, orgunit: str, actor_id: int | None = None) -> Any:
    """Run every rule over ``orgunit``; progress moves one step of the run at a time."""
    from renkou.quality.bulk import STEPS, quality_run  # at run time: the worker starts fast

    actor = get_user_model().objects.filter(pk=actor_id).first() or "worker"

    def step(name: str) -> None:
        done = STEPS.index(name) if name in STEPS else len(STEPS)
        progress(done / len(STEPS), name)

    result = quality_run(actor=actor, orgunit=orgunit, step=step)
    return {
        "persons": result.persons,
        "findings": result.findings,
        "persons_with_error": result.persons_with_error,
        "seconds": round(result.seconds.get("total", 0.0), 1),
    }
