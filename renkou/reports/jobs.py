"""Reports as background jobs started from the reports page; files under DATA_DIR/reports/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from renkou.core.jobs import Progress, job_kind


def job_dir(token: str) -> Path:
    """Where a report job's files are kept."""
    return Path(settings.DATA_DIR) / "reports" / token


@job_kind("reports.generate", resumable=True)
def report_job(
    *,
    progress: Progress,
    token: str,
    kind: str,
    orgunit: str,
    period: str,
    lang: str,
    basis: str = "registered",
    actor_id: int | None = None,
) -> Any:
    """Write both formats of the report (xlsx and csv, or docx and pdf)."""
    from renkou.reports.services import KINDS, report_write  # at run time: the worker starts fast

    actor = get_user_model().objects.filter(pk=actor_id).first() or "worker"
    stem = f"{orgunit}-{period}-{basis}-{kind}-{lang}"
    # Without LibreOffice the summary is still made, as Word only.
    suffixes = [s for s in KINDS[kind] if s != ".pdf" or shutil.which("soffice")]
    outputs = [job_dir(token) / f"{stem}{suffix}" for suffix in suffixes]
    record = report_write(
        kind=kind,
        code=orgunit,
        period=period,
        lang=lang,
        basis=basis,
        outputs=outputs,
        actor=actor,
        step=progress,
    )
    return {"files": record["files"], "seconds": record["seconds"]}
