"""Importing and linking an uploaded roster as a background job started from the upload page."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from renkou.core.jobs import Progress, job_kind
from renkou.core.problems import InputRefused
from renkou.exchange.models import RosterImport
from renkou.exchange.uploads import upload_discard
from renkou.orgunits.models import OrgUnit

# Share of the progress bar: importing (reading, validating, staging), then linking.
IMPORT_SHARE = 0.6


@job_kind("exchange.import")
def exchange_import_job(
    *,
    progress: Progress,
    upload: str,
    file_name: str,
    kind: str,
    orgunit: str,
    columns: dict[str, int] | None = None,
    actor_id: int | None = None,
) -> Any:
    """Import the uploaded file, link it to the register; the upload is deleted afterwards.

    A refused file ends the job with its problems (zh and en) as the result, nothing staged.
    Run again after a crash, it gives what one run gives: the import and the linking are
    each one transaction, and an import staged by the first run but never linked (the
    worker stopped while linking) is linked now.
    """
    from renkou.exchange.linking import roster_link  # at run time: the worker starts fast
    from renkou.exchange.services import roster_import  # at run time: the worker starts fast

    actor = get_user_model().objects.filter(pk=actor_id).first() or "worker"
    path = Path(upload)
    try:
        result = roster_import(
            path=path,
            kind=kind,
            orgunit=OrgUnit.objects.get(code=orgunit),
            actor=actor,
            columns=columns,
            progress=lambda f, step: progress(f * IMPORT_SHARE, step),
            file_name=file_name,
        )
        imp = result.roster_import
        counts: dict[str, int] = {}
        if result.created or imp.linked_at is None:
            counts = roster_link(
                roster_import=imp,
                actor=actor,
                progress=lambda f, step: progress(IMPORT_SHARE + f * (1 - IMPORT_SHARE), step),
            )
    except InputRefused as refused:
        return {"refused": [asdict(p) for p in refused.problems]}
    finally:
        upload_discard(path)
    return {
        "import": imp.pk,
        "created": result.created,
        "same_rows": result.same_rows,
        **counts,
    }


@job_kind("exchange.link", resumable=True, permission="review")
def exchange_link_job(
    *, progress: Progress, roster_import: int, actor_id: int | None = None
) -> Any:
    """Link a whole import again (pushed notifications without a number, a changed register)."""
    from renkou.exchange.linking import roster_link  # at run time: the worker starts fast

    actor = get_user_model().objects.filter(pk=actor_id).first() or "worker"
    imp = RosterImport.objects.get(pk=roster_import)
    counts = roster_link(roster_import=imp, actor=actor, progress=progress)
    return {"import": imp.pk, **counts}
