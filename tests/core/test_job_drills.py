"""Crash drills (issue 23): a real ``renkou worker`` (or command) is killed -9 while a real
job runs; the job is failed with the reason or resumed, starting it again completes, the
end state is that of one clean run, and the audit chain holds. Leases are two seconds."""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.jobs import with_parts
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from renkou.core.audit import audit_verify
from renkou.core.jobs import job_restart, job_start
from renkou.core.models import AuditLog, Job
from renkou.exchange.models import Outcome, RosterImport
from renkou.exchange.selectors import worklist
from renkou.exchange.uploads import upload_store
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, id_number, small_county
from tests.core import drills

# Real processes killed and restarted: what they check does not depend on the database,
# and a worker takes seconds to start, so they run once, in the SQLite leg.
pytestmark = pytest.mark.sqlite_leg

P1 = id_number("1990-03-05", 11)  # 张伟, alive
P4 = id_number("1940-02-02", 42)  # 张奶奶, dead 2023-05-01
STRANGER = id_number("1980-08-08", 81)
ROSTER = (
    "姓名,身份证号,性别,死亡日期\n"
    f"张奶奶,{P4},女,2023-05-01\n"
    f"张伟,{P1},男,2024-06-01\n"
    f"陌生人,{STRANGER},男,2024-06-02\n"
)
# What one clean run gives (tests/exchange/test_linking.py works these out on the county).
LINKED = {
    2: (Outcome.MATCHED, "P4"),
    3: (Outcome.CONFLICTS, "P1"),  # alive in the register: a death not reported
    4: (Outcome.MISSING, ""),
}


def _status(job: Job, *wanted: str) -> Job | None:
    job.refresh_from_db()
    return job if job.status in wanted else None


def _chain_intact() -> None:
    assert list(audit_verify()) == []


def _reaped_and_started_again(job: Job, tmp_path: Path) -> Job:
    """Wait for the new worker to fail the lost job with the reason; start it again."""
    drills.wait_for(lambda: _status(job, "failed"), "the lost job failed", tmp_path=tmp_path)
    assert job.failure == "worker_stopped" and "worker stopped" in job.error
    assert "请重新启动" in job.error
    again = job_restart(job=job, actor="test")
    assert again.retry_of_id == job.pk and again.params == job.params
    return again


def test_an_import_killed_while_importing_and_while_linking_is_started_again_and_linked(
    transactional_db, county, tmp_path: Path
) -> None:
    upload = upload_store([ROSTER.encode()], "deaths.csv")
    job = job_start(
        kind="exchange.import",
        params={
            "upload": str(upload),
            "file_name": "deaths.csv",
            "kind": "hospital_deaths",
            "orgunit": TOWNSHIP_A,
            "columns": None,
            "actor_id": None,
        },
        actor="test",
        orgunit=TOWNSHIP_A,
    )
    # Killed while reading (inside the import's transaction): nothing is staged.
    first = drills.worker(tmp_path, stall="exchange.import:read")
    try:
        drills.stalled(tmp_path, first, "exchange.import:read")
        drills.kill(first)
    finally:
        drills.stop(first)
    job.refresh_from_db()
    assert job.status == "running"  # what the dead worker left
    # The next worker fails it at its start; started again, it is killed while linking.
    second = drills.worker(tmp_path, stall="exchange.import:exact")
    try:
        again = _reaped_and_started_again(job, tmp_path)
        assert not RosterImport.objects.exists()
        assert upload.exists()  # kept for the run that starts it again
        drills.stalled(tmp_path, second, "exchange.import:exact")
        drills.kill(second)
    finally:
        drills.stop(second)
    # The import committed (its own transaction) and is not linked.
    imp = RosterImport.objects.get()
    assert imp.linked_at is None
    assert set(imp.rows.values_list("outcome", flat=True)) == {Outcome.PENDING}
    third = drills.worker(tmp_path)
    try:
        last = _reaped_and_started_again(again, tmp_path)
        drills.wait_for(
            lambda: _status(last, "done", "failed"), "the import run again", tmp_path=tmp_path
        )
    finally:
        drills.stop(third)
    assert last.status == "done", last.error
    imp = RosterImport.objects.get()
    assert imp.linked_at is not None and last.result["import"] == imp.pk
    assert {e["row"]: (e["outcome"], e["person_ref"]) for e in worklist(imp)} == LINKED
    assert AuditLog.objects.filter(action="exchange.import").count() == 1
    assert AuditLog.objects.filter(action="exchange.link").count() == 1
    assert AuditLog.objects.filter(action="job.lost").count() == 2
    assert AuditLog.objects.filter(action="job.restart", object_id=str(last.pk)).count() == 1
    assert not upload.exists()
    _chain_intact()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_an_import_killed_while_its_workers_validate_leaves_no_worker_and_nothing_staged(
    transactional_db, county, tmp_path: Path
) -> None:
    # 35,000 rows: beyond the first 20,000 the rows are validated in two worker processes
    path = tmp_path / "police.csv"
    lines = ["姓名,性别,出生日期,公民身份号码"]
    for i in range(35_000):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i)
        lines.append(f"测试{i},男,{born},{id_number(born.isoformat(), 2 * (i % 450) + 1)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("exchange", "import", "--kind", "police_register", "--orgunit", TOWNSHIP_A)
    process = drills.renkou(
        tmp_path, *args, str(path), RENKOU_DRILL_STALL="exchange.import:workers"
    )
    try:
        drills.stalled(tmp_path, process, "exchange.import:workers")
        spread = [pid for pid in _children(process.pid) if _running(pid)]
        assert len(spread) >= 2, spread  # the workers (and the pool's own helpers, if any)
        drills.kill(process)
        drills.wait_for(
            lambda: not any(_running(pid) for pid in spread) or None,
            "the workers ended with their parent",
            tmp_path=tmp_path,
        )
    finally:
        drills.stop(process)
    assert not RosterImport.objects.exists()  # the import's transaction never committed


def _figures() -> dict[tuple[str, str, str, str], float | None]:
    return {
        (v.indicator, v.orgunit, v.period, v.basis): v.value
        for v in IndicatorValue.objects.filter(stale=False)
    }


def test_statistics_killed_while_computing_resume_and_give_the_figures_of_a_clean_run(
    transactional_db, county, tmp_path: Path
) -> None:
    first = drills.worker(tmp_path)
    try:
        job = job_start(kind="indicators.compute", params={"period": "2024"}, actor="test")
        drills.wait_for(lambda: _status(job, "running"), "the job running", tmp_path=tmp_path)
        time.sleep(0.7)  # somewhere in the snapshot, the counts or the cache
        drills.kill(first)
    finally:
        drills.stop(first)
    second = drills.worker(tmp_path)
    try:
        drills.wait_for(
            lambda: _status(job, "done", "failed"), "the resumed job", tmp_path=tmp_path
        )
    finally:
        drills.stop(second)
    # A resumable kind: queued again by the next worker, not failed.
    assert job.status == "done" and job.attempts == 2, job.error
    assert AuditLog.objects.filter(action="job.requeue", object_id=str(job.pk)).count() == 1
    after_drill = _figures()
    assert after_drill and not IndicatorValue.objects.filter(stale=True).exists()
    # One clean run, from an empty snapshot of its own, gives the same figures.
    indicators_refresh(full=True, directory=tmp_path / "clean", periods=with_parts(parse("2024")))
    assert _figures() == after_drill
    _chain_intact()


def test_a_registry_load_killed_by_the_command_line_loads_whole_when_run_again(
    transactional_db, tmp_path: Path
) -> None:
    directory = small_county(tmp_path / "county")
    persons = sum(1 for _ in (directory / "persons.csv").open(encoding="utf-8")) - 1
    load = drills.renkou(
        tmp_path,
        "registry",
        "load",
        str(directory),
        log="load",
        # killed while writing the events: the persons and households are written by then,
        # inside the load's one transaction
        RENKOU_DRILL_STALL="registry.load:events: writing",
    )
    try:
        drills.stalled(tmp_path, load, "registry.load:events: writing")
        drills.kill(load)
    finally:
        drills.stop(load)
    assert Person.objects.count() == 0 and Event.objects.count() == 0  # nothing half-written
    assert not AuditLog.objects.filter(action="registry.load").exists()
    again = subprocess.run(
        [sys.executable, "-m", "renkou.cli", "registry", "load", str(directory)],
        env=drills.environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert Person.objects.count() == persons
    assert AuditLog.objects.filter(action="registry.load").count() == 1
    call_command("registry", "rebuild", "--verify")  # the persons are the fold of their events
    _chain_intact()


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid``: their pids and command lines."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out[int(entry.name)] = cmdline
    return out


def _worker_of(serve: subprocess.Popen[bytes]) -> int | None:
    found = [p for p, cmd in _children(serve.pid).items() if "renkou.cli worker" in cmd]
    return found[0] if found else None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_serve_outlives_its_worker_killed_mid_job_and_the_next_worker_fails_the_job(
    transactional_db, county, tmp_path: Path
) -> None:
    upload = upload_store([ROSTER.encode()], "deaths.csv")
    job = job_start(
        kind="exchange.import",
        params={
            "upload": str(upload),
            "file_name": "deaths.csv",
            "kind": "hospital_deaths",
            "orgunit": TOWNSHIP_A,
            "columns": None,
            "actor_id": None,
        },
        actor="test",
        orgunit=TOWNSHIP_A,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = drills.renkou(
        tmp_path,
        *("serve", "--port", str(port), "--workers", "1", "--threads", "1"),
        log="serve",
        RENKOU_DRILL_STALL="exchange.import:read",
    )
    login = f"http://127.0.0.1:{port}/accounts/login/"
    try:
        drills.stalled(tmp_path, serve, "exchange.import:read")
        first = _worker_of(serve)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        # The web app goes on answering, serve itself stays, and a new worker comes
        drills.wait_for(lambda: _answers(login), "the web app", tmp_path=tmp_path)
        assert serve.poll() is None
        second = drills.wait_for(
            lambda: (w := _worker_of(serve)) not in (None, first) and w,
            "a new worker",
            tmp_path=tmp_path,
        )
        # which fails the job the killed one held, with the reason, and the page says so
        drills.wait_for(lambda: _status(job, "failed"), "the lost job failed", tmp_path=tmp_path)
        assert job.failure == "worker_stopped" and "请重新启动" in job.error
        assert _answers(login) and serve.poll() is None and _worker_of(serve) == second
    finally:
        drills.stop(serve)
    assert not RosterImport.objects.exists()  # killed inside the import's transaction
    assert AuditLog.objects.filter(action="job.lost", object_id=str(job.pk)).count() == 1
    _chain_intact()
