"""Long work started from a page: a Job row the page polls, run by the task worker.

An app registers a kind with ``@job_kind("quality.run")``: a function taking the job's
parameters and a ``progress(fraction, step)`` callback, returning a JSON-able result.
``job_start`` records the job (audited) and enqueues it when the transaction commits;
``renkou serve`` runs the worker that picks it up.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tasks import task

from renkou.core.audit import audit_record
from renkou.core.context import ActorContext, reset_context, set_context
from renkou.core.models import Job, JobStatus

Progress = Callable[[float, str], None]
Runner = Callable[..., Any]

KINDS: dict[str, Runner] = {}
log = logging.getLogger(__name__)
# Progress is written at most this often (seconds), so a fast loop does not hammer the DB.
PROGRESS_EVERY = 0.5

job_ended = Signal()
"""Sent in the transaction that records a job done or failed (keyword argument ``job``)."""


def job_kind(name: str) -> Callable[[Runner], Runner]:
    """Register a function as the runner of jobs of kind ``name``."""

    def register(function: Runner) -> Runner:
        KINDS[name] = function
        return function

    return register


@transaction.atomic
def job_start(*, kind: str, params: dict[str, Any], actor: Any, orgunit: str = "") -> Job:
    """Record a job and queue it for the worker."""
    if kind not in KINDS:
        raise LookupError(f"no job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        params=params,
        orgunit=orgunit,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="job.start",
        object_type="job",
        object_id=job.pk,
        after={"kind": kind, "params": params, "orgunit": orgunit},
    )
    transaction.on_commit(lambda: job_task.enqueue(job.pk))
    return job


def job_run(job_id: int) -> None:
    """Run one queued job, recording its progress, result or error."""
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    last = 0.0

    def progress(fraction: float, step: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            Job.objects.filter(pk=job.pk).update(
                progress=max(0.0, min(1.0, fraction)), step=step[:200]
            )

    # The job's own audit rows say they come from a background job (not "cli"); who
    # started it is the runner's actor (``actor_id``) and the job's ``created_by``.
    token = set_context(ActorContext(channel="task"))
    try:
        result = KINDS[job.kind](progress=progress, **job.params)
    except Exception as exc:  # the job fails; the worker carries on
        log.exception("job %s (%s) failed", job.pk, job.kind)
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
                finished_at=timezone.now(),
            )
            job_ended.send(sender=Job, job=Job.objects.get(pk=job.pk))
        return
    finally:
        reset_context(token)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            progress=1.0,
            step="",
            result=result,
            finished_at=timezone.now(),
        )
        job_ended.send(sender=Job, job=Job.objects.get(pk=job.pk))


@task()
def job_task(job_id: int) -> None:
    """The worker's entry point for jobs."""
    job_run(job_id)
