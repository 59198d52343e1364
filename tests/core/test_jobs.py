"""Background jobs: queued, run with progress, finished or failed, started with an audit row."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from renkou.core import jobs
from renkou.core.models import AuditLog, Job

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@jobs.job_kind("test.sum")
def _sum(*, progress: jobs.Progress, numbers: list[int]) -> dict[str, int]:
    total = 0
    for i, n in enumerate(numbers):
        progress(i / len(numbers), f"adding {n}")
        total += n
    return {"total": total}


@jobs.job_kind("test.fail")
def _fail(*, progress: jobs.Progress) -> None:
    raise ValueError("no such file")


@override_settings(TASKS=IMMEDIATE)
def test_a_job_runs_to_its_result(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="test.sum", params={"numbers": [1, 2, 3]}, actor="test")
    job.refresh_from_db()
    assert (job.status, job.progress, job.result) == ("done", 1.0, {"total": 6})
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert AuditLog.objects.filter(action="job.start", object_id=str(job.pk)).exists()


@override_settings(TASKS=IMMEDIATE)
def test_a_failing_job_is_marked_failed_with_its_error(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="test.fail", params={}, actor="test")
    job.refresh_from_db()
    assert job.status == "failed" and "ValueError: no such file" in job.error


def test_unknown_kinds_are_refused_and_jobs_run_once() -> None:
    with pytest.raises(LookupError):
        jobs.job_start(kind="no.such", params={}, actor="test")
    job = Job.objects.create(kind="test.sum", params={"numbers": [5]}, status="done")
    jobs.job_run(job.pk)  # not queued: left alone
    job.refresh_from_db()
    assert job.result is None
