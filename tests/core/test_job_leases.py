"""Job leases: a job whose worker is gone is failed with the reason, or queued again once
for a resumable kind; pages no longer refuse a new job because of it; a failed job is
started again from its page with the same parameters (audited)."""

from __future__ import annotations

import datetime
import subprocess
import sys
from typing import Any

import pytest
from django.utils import timezone

from renkou.core import jobs
from renkou.core.leases import this_process
from renkou.core.models import AuditLog, Job
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, client_as, running_here

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds() -> Any:
    def noop(*, progress: Any, n: int = 0) -> dict[str, int]:
        return {"n": n}

    jobs.job_kind("test.once")(noop)
    jobs.job_kind("test.again", resumable=True, permission="review")(noop)
    yield
    for name in ("test.once", "test.again"):
        jobs.KINDS.pop(name)
        jobs.RESUMABLE.discard(name)
        jobs.PERMISSIONS.pop(name, None)


def _dead_pid() -> int:
    return subprocess.Popen([sys.executable, "-c", "pass"]).pid  # not waited: a zombie


def _running(kind: str, **lease: Any) -> Job:
    return Job.objects.create(
        kind=kind, orgunit=TOWNSHIP_A, params={"n": 1}, **running_here(**lease)
    )


def test_a_lease_on_another_machine_expires_with_its_heartbeat(kinds: None, settings) -> None:
    settings.RENKOU_JOB_LEASE_SECONDS = 60
    now = timezone.now()
    fresh = _running("test.once", worker_host="elsewhere", heartbeat_at=now)
    old = _running(
        "test.once", worker_host="elsewhere", heartbeat_at=now - datetime.timedelta(seconds=61)
    )
    assert not jobs.lease_expired(fresh) and jobs.lease_expired(old)
    assert jobs.jobs_reap() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.failure, fresh.status) == ("failed", "worker_stopped", "running")
    assert "后台任务进程" in old.error and "start it again" in old.error
    lost = AuditLog.objects.get(action="job.lost")
    assert lost.object_id == str(old.pk) and lost.actor_label == "worker"


def test_on_this_machine_a_dead_worker_is_known_at_once_a_live_one_keeps_its_job(
    kinds: None,
) -> None:
    # A heartbeat of a minute ago does not fail a job whose worker lives (a long SQLite
    # transaction holds its heartbeat back); a heartbeat of now does not save a dead one.
    alive = _running("test.once", heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    dead = _running("test.once", worker_pid=_dead_pid(), heartbeat_at=timezone.now())
    reused = _running("test.once", worker_id=f"{this_process().pid}-1")  # same pid, not it
    assert not jobs.lease_expired(alive)
    assert jobs.lease_expired(dead) and jobs.lease_expired(reused)


def test_a_resumable_job_is_queued_again_once_then_failed(kinds: None, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = _running("test.again", worker_pid=_dead_pid(), attempts=1)
    assert jobs.job_live(job).status == "queued"
    assert AuditLog.objects.filter(action="job.requeue").count() == 1
    Job.objects.filter(pk=job.pk).update(**running_here(worker_pid=_dead_pid(), attempts=2))
    job.refresh_from_db()
    assert jobs.job_live(job).status == "failed"  # killed its worker twice: a person decides


def test_the_page_starts_a_new_job_past_a_dead_one_and_restarts_a_failed_one(
    county: None, django_capture_on_commit_callbacks: Any
) -> None:
    dead = Job.objects.create(
        kind="quality.run",
        orgunit=TOWNSHIP_A,
        params={"orgunit": TOWNSHIP_A, "actor_id": None},
        **running_here(worker_pid=_dead_pid()),
    )
    boss = client_as("county_admin", COUNTY, "boss")
    with django_capture_on_commit_callbacks(execute=False):
        assert boss.post(f"/quality/{TOWNSHIP_A}/run/").status_code == 302
    dead.refresh_from_db()
    # quality.run is resumable: the dead run is queued again, and counts as the active one
    assert dead.status == "queued" and Job.objects.filter(kind="quality.run").count() == 1
    Job.objects.filter(pk=dead.pk).update(
        status="failed", failure="worker_stopped", error=jobs.STOPPED
    )
    page = boss.get(f"/jobs/{dead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "后台任务进程在运行中停止了，请重新启动。" in page and "重新启动" in page
    english = boss.get(f"/jobs/{dead.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The worker stopped while it ran; start it again." in english
    other = client_as("statistician", TOWNSHIP_B, "other")
    assert other.post(f"/jobs/{dead.pk}/again/").status_code == 404
    with django_capture_on_commit_callbacks(execute=False):
        response = boss.post(f"/jobs/{dead.pk}/again/", {"next": f"/quality/{TOWNSHIP_A}/"})
        boss.post(f"/jobs/{dead.pk}/again/")  # twice: still one new job
    assert response.status_code == 302 and response["Location"] == f"/quality/{TOWNSHIP_A}/"
    again = Job.objects.get(retry_of=dead)
    assert (again.kind, again.params, again.status) == ("quality.run", dead.params, "queued")
    restarted = AuditLog.objects.get(action="job.restart")
    assert restarted.actor_label == "boss" and restarted.object_id == str(again.pk)
    assert "已重新启动" in boss.get(f"/jobs/{dead.pk}/").content.decode()
    evil = boss.post(f"/jobs/{dead.pk}/again/", {"next": "https://evil.example/"})
    assert evil["Location"] == "/"
