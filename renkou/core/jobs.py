"""Long work started from a page: a Job row the page polls, run by the task worker.

An app registers a kind with ``@job_kind("quality.run")``: a function taking the job's
parameters and a ``progress(fraction, step)`` callback, returning a JSON-able result.
``job_start`` records the job (audited) and enqueues it when the transaction commits;
``renkou serve`` runs the worker that picks it up.

Jobs survive a worker that dies. While a job runs, its worker holds a lease on it: a
thread of the worker renews ``heartbeat_at`` (and writes the progress) every few seconds.
A running job whose worker is gone (on this machine: its process has ended; from another
machine: its heartbeat is older than ``RENKOU_JOB_LEASE_SECONDS``) is reaped by the next
worker to start, by the worker every half lease, and by any page that looks at it: a
resumable kind (one whose work is derived from the register and is the same when done
again) is queued again, once; any other kind is failed with the reason, and a person starts
it again from its page (``job_restart``). Every kind that writes does its writing in
transactions and gives the same end state when run again after a crash.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django_tasks import task

from renkou.core.audit import audit_record
from renkou.core.context import ActorContext, reset_context, set_context
from renkou.core.drills import drill_stall
from renkou.core.leases import holder_alive, holder_parse, this_process
from renkou.core.models import Job, JobFailure, JobStatus

Progress = Callable[[float, str], None]
Runner = Callable[..., Any]

KINDS: dict[str, Runner] = {}
# Kinds queued again (not failed) when their worker died; and the permission a person
# needs at the job's unit to start a failed job of a kind again (absent: only whoever
# started it).
RESUMABLE: set[str] = set()
PERMISSIONS: dict[str, str] = {}
# A resumable job is run at most this many times before it is failed: a job that kills its
# worker each time must not take every worker down in turn.
MAX_ATTEMPTS = 2
log = logging.getLogger(__name__)
# Progress is written at most this often (seconds), so a fast loop does not hammer the DB.
PROGRESS_EVERY = 0.5
STOPPED = (
    "The worker stopped while it ran; start it again. / 后台任务进程在运行中停止了，请重新启动。"
)

job_ended = Signal()
"""Sent in the transaction that records a job done or failed (keyword argument ``job``)."""


def job_kind(
    name: str, *, resumable: bool = False, permission: str = ""
) -> Callable[[Runner], Runner]:
    """Register a function as the runner of jobs of kind ``name``.

    ``resumable``: run it again by itself when its worker died (its work must be the same
    done twice). ``permission``: what a person must be allowed at the job's unit to start
    a failed job again (``renkou.core.scoping.may``).
    """

    def register(function: Runner) -> Runner:
        KINDS[name] = function
        (RESUMABLE.add if resumable else RESUMABLE.discard)(name)
        if permission:
            PERMISSIONS[name] = permission
        return function

    return register


@transaction.atomic
def job_start(
    *, kind: str, params: dict[str, Any], actor: Any, orgunit: str = "", retry_of: Job | None = None
) -> Job:
    """Record a job and queue it for the worker."""
    if kind not in KINDS:
        raise LookupError(f"no job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        params=params,
        orgunit=orgunit,
        created_by=actor if getattr(actor, "pk", None) else None,
        retry_of=retry_of,
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


def lease_seconds() -> float:
    """How old a lease may grow before its job counts as lost."""
    return float(settings.RENKOU_JOB_LEASE_SECONDS)


class LeaseKeeper(threading.Thread):
    """Renews a running job's lease and writes its progress, on a connection of its own.

    The runner's transactions never touch the job's row: the keeper can write it while the
    runner holds a long transaction (on PostgreSQL; on SQLite it waits for the lock, and
    the holder's process, alive on this machine, keeps the lease).
    """

    def __init__(self, job_id: int, worker_id: str, *, inline: bool = False) -> None:
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.job_id, self.worker_id, self.inline = job_id, worker_id, inline
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.pending: tuple[float, str] | None = None
        self.lost = False

    def report(self, fraction: float, step: str) -> None:
        """Progress to be written at the next tick (now, inline)."""
        if self.inline:
            Job.objects.filter(pk=self.job_id).update(
                progress=max(0.0, min(1.0, fraction)), step=step[:200]
            )
            return
        with self.lock:
            self.pending = (max(0.0, min(1.0, fraction)), step[:200])

    def run(self) -> None:
        every = float(settings.RENKOU_JOB_HEARTBEAT_SECONDS)
        beat_at = 0.0
        try:
            while not self.stopping.is_set():
                with self.lock:
                    pending, self.pending = self.pending, None
                now = time.monotonic()
                if pending is not None or now - beat_at >= every:
                    self._write(pending)
                    beat_at = now
                self.stopping.wait(min(every, PROGRESS_EVERY))
        finally:
            connection.close()

    def _write(self, pending: tuple[float, str] | None) -> None:
        fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
        if pending is not None:
            fields["progress"], fields["step"] = pending
        try:
            held = Job.objects.filter(
                pk=self.job_id, status=JobStatus.RUNNING, worker_id=self.worker_id
            ).update(**fields)
        except Exception:  # the database is busy or away: the next tick tries again
            log.warning("job %s: could not renew its lease", self.job_id, exc_info=True)
            close_old_connections()
            return
        if not held and not self.lost:
            self.lost = True
            log.warning("job %s: its lease was taken from this worker", self.job_id)


def job_run(job_id: int) -> None:
    """Run one queued job under a lease, recording its progress, result or error."""
    holder = this_process()
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker_host=holder.host,
        worker_pid=holder.pid,
        worker_id=holder.token,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return  # not queued (done, failed, or taken by another worker)
    job = Job.objects.get(pk=job_id)
    # Run inside a transaction (the immediate backend in a test), the job's row is not
    # visible to another connection: progress is written inline and no lease is kept.
    keeper = LeaseKeeper(job.pk, holder.token, inline=connection.in_atomic_block)
    if not keeper.inline:
        keeper.start()
    last = 0.0

    def progress(fraction: float, step: str) -> None:
        nonlocal last
        drill_stall(f"{job.kind}:{step}")
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            keeper.report(fraction, step)

    # The job's own audit rows say they come from a background job (not "cli"); who
    # started it is the runner's actor (``actor_id``) and the job's ``created_by``.
    token = set_context(ActorContext(channel="task"))
    try:
        result = KINDS[job.kind](progress=progress, **job.params)
    except Exception as exc:  # the job fails; the worker carries on
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            holder.token,
            keeper,
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
        )
        return
    finally:
        reset_context(token)
    _finish(job, holder.token, keeper, status=JobStatus.DONE, progress=1.0, step="", result=result)


def _finish(job: Job, worker_id: str, keeper: LeaseKeeper, **fields: Any) -> None:
    """Record the end of a job this worker holds (not one reaped meanwhile and queued)."""
    keeper.stopping.set()
    if not keeper.inline:
        keeper.join(timeout=30)
    with transaction.atomic():
        # A job failed as lost while its worker (on another machine) still ran it is
        # recorded as it ended after all; one queued again is left to its new run.
        ended = Job.objects.filter(
            pk=job.pk, worker_id=worker_id, status__in=[JobStatus.RUNNING, JobStatus.FAILED]
        ).update(finished_at=timezone.now(), failure="", **fields)
        if ended:
            job_ended.send(sender=Job, job=Job.objects.get(pk=job.pk))


def lease_expired(job: Job, now: datetime.datetime | None = None) -> bool:
    """Whether a running job's worker is gone: on this machine, its process has ended;
    elsewhere (or with no worker recorded), its heartbeat is older than the lease."""
    if job.status != JobStatus.RUNNING:
        return False
    alive = holder_alive(host=job.worker_host, pid=job.worker_pid, token=job.worker_id)
    if alive is not None:
        return not alive
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=lease_seconds())
    return job.heartbeat_at is None or job.heartbeat_at < limit


def job_reap(job: Job) -> Job:
    """Deal with a running job whose worker is gone: queued again (a resumable kind, not yet
    run ``MAX_ATTEMPTS`` times) or failed with the reason. Returns the job as it is now."""
    again = job.kind in RESUMABLE and job.attempts < MAX_ATTEMPTS
    with transaction.atomic():
        lost = Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, worker_id=job.worker_id
        )  # only the first reaper of this run wins
        if again:
            changed = lost.update(
                status=JobStatus.QUEUED,
                worker_host="",
                worker_pid=None,
                worker_id="",
                heartbeat_at=None,
            )
        else:
            changed = lost.update(
                status=JobStatus.FAILED,
                failure=JobFailure.WORKER_STOPPED,
                error=STOPPED,
                finished_at=timezone.now(),
            )
        if changed:
            log.warning(
                "job %s (%s): its worker %s:%s stopped; %s",
                job.pk,
                job.kind,
                job.worker_host,
                job.worker_pid,
                "queued again" if again else "failed",
            )
            audit_record(
                actor="worker",
                action="job.requeue" if again else "job.lost",
                object_type="job",
                object_id=job.pk,
                before={"worker": f"{job.worker_id}@{job.worker_host}", "step": job.step},
                after={"status": JobStatus.QUEUED if again else JobStatus.FAILED},
            )
            if again:
                transaction.on_commit(lambda: job_task.enqueue(job.pk))
            else:
                job_ended.send(sender=Job, job=Job.objects.get(pk=job.pk))
    return Job.objects.get(pk=job.pk)


def job_live(job: Job) -> Job:
    """The job as it stands, a running one whose worker is gone reaped first."""
    return job_reap(job) if lease_expired(job) else job


def job_latest(jobs: QuerySet[Job]) -> Job | None:
    """The newest of ``jobs`` as it stands (reaped first if its worker is gone)."""
    job = jobs.order_by("-created_at", "-pk").first()
    return None if job is None else job_live(job)


def job_active(jobs: QuerySet[Job]) -> Job | None:
    """The newest of ``jobs`` that is waiting or running; one whose worker is gone is reaped
    on the way and no longer counts (unless it was queued again)."""
    for job in jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).order_by(
        "-created_at", "-pk"
    ):
        job = job_live(job)
        if job.active:
            return job
    return None


def jobs_reap() -> int:
    """Reap every running job whose worker is gone, and queue again the jobs whose task a
    dead worker had taken before the job started; returns how many jobs were reaped."""
    reaped = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        if lease_expired(job):
            job_reap(job)
            reaped += 1
    return reaped + _orphans_requeue()


def _orphans_requeue() -> int:
    """Tasks of jobs a dead worker took but never started: the job is queued again."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    path = f"{job_task.func.__module__}.{job_task.func.__qualname__}"
    count = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=path):
        holder = holder_parse((result.worker_ids or [""])[-1])
        if holder is None or holder_alive(host=holder.host, pid=holder.pid, token=holder.token):
            continue  # not ours to judge, or still running
        DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now()
        )
        job_id = (result.args_kwargs or {}).get("args", [None])[0]
        if Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).exists():
            job_task.enqueue(job_id)
            count += 1
    return count


class RestartRefused(Exception):
    """A job that cannot be started again (it did not fail)."""


@transaction.atomic
def job_restart(*, job: Job, actor: Any) -> Job:
    """Start a failed job again with the same parameters (audited); a job of the same kind
    and parameters already waiting or running is returned instead of a second one."""
    job = job_live(job)
    if job.status != JobStatus.FAILED:
        raise RestartRefused(job.status)
    same = Job.objects.filter(kind=job.kind, orgunit=job.orgunit, params=job.params)
    running = job_active(same)
    if running is not None:
        return running
    again = job_start(
        kind=job.kind, params=job.params, actor=actor, orgunit=job.orgunit, retry_of=job
    )
    audit_record(
        actor=actor,
        action="job.restart",
        object_type="job",
        object_id=again.pk,
        before={"job": job.pk, "failure": job.failure},
        after={"kind": job.kind},
    )
    return again


@task()
def job_task(job_id: int) -> None:
    """The worker's entry point for jobs."""
    job_run(job_id)
