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


@job_kind("benefits.facts", permission="benefits")
def benefits_facts_job(
    *,
    progress: Progress,
    upload: str,
    file_name: str,
    kind: str,
    orgunit: str,
    actor_id: int | None = None,
) -> Any:
    """Import an uploaded fact file; the upload is deleted afterwards, whatever happens.

    A refused file ends the job with its problems (zh and en) as the result, nothing
    recorded. Run again after a crash, it gives what one run gives: the import is one
    transaction, and the same file is recognised by its digest.
    """
    from dataclasses import asdict
    from pathlib import Path

    from renkou.benefits.facts_import import fact_import  # at run time: the worker starts fast
    from renkou.core.problems import InputRefused
    from renkou.exchange.uploads import upload_discard

    actor = get_user_model().objects.filter(pk=actor_id).first() or "worker"
    path = Path(upload)
    try:
        result = fact_import(
            path=path,
            kind=kind,
            orgunit=OrgUnit.objects.get(code=orgunit),
            actor=actor,
            progress=progress,
            file_name=file_name,
        )
    except InputRefused as refused:
        return {"refused_file": [asdict(p) for p in refused.problems]}
    finally:
        upload_discard(path)
    imp = result.fact_import
    return {
        "fact_import": imp.pk,
        "again": not result.created,
        "rows": imp.rows_total,
        "recorded": imp.rows_applied,
        "unchanged": imp.rows_unchanged,
        "refused": imp.rows_quarantined,
    }
