"""Computing a cycle as a background job started from the cycles page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from renkou.benefits.models import Cycle
from renkou.core.jobs import Progress, job_kind
from renkou.orgunits.models import OrgUnit


@job_kind("benefits.compute", permission="benefits")
def benefits_compute_job(
    *, progress: Progress, programme: str, year: int, orgunit: str, actor_id: int
) -> Any:
    """Compute the draft decisions of one programme, year and area, with progress.

    The computation is one transaction. Run again after a crash, the job finds the cycle
    if the first run committed it (and reports it) or computes it now: one cycle either way.
    """
    from renkou.benefits.services import cycle_compute  # at run time: the worker starts fast

    actor = get_user_model().objects.get(pk=actor_id)
    unit = OrgUnit.objects.get(code=orgunit)
    cycle = Cycle.objects.filter(programme=programme, year=year, orgunit=unit).first()
    if cycle is None:
        cycle = cycle_compute(
            programme=programme, year=year, orgunit=unit, actor=actor, step=progress
        )
    counts = {o: cycle.decisions.filter(outcome=o).count() for o in ("eligible", "not_eligible")}
    return {
        "cycle": cycle.pk,
        **counts,
        "undecided": cycle.decisions.count() - sum(counts.values()),
    }
