"""The worker's scheduled backups: one per interval whatever restarts, the newest few kept,
never the newest complete one pruned, one worker at a time."""

from __future__ import annotations

import datetime
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from renkou.core.backup.schedule import backup_if_due, backups_complete
from renkou.core.models import AuditLog

T0 = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith(".lock"))


@pytest.mark.django_db
def test_scheduled_backups_are_made_when_due_and_the_newest_kept(tmp_path: Path) -> None:
    directory = tmp_path / "backups"

    def due(at: datetime.datetime, keep: int = 2) -> Path | None:
        return backup_if_due(directory=directory, every_hours=24, keep=keep, now=at)

    assert due(T0) == directory / "renkou-20260301T020000Z"
    assert due(T0 + HOUR) is None  # not due: a restarted worker does not repeat it
    assert due(T0 + 23 * HOUR) is None
    # A backup a crash cut short is neither counted nor kept.
    (directory / ".renkou-20260301T030000Z.partial-0a1b").mkdir()
    assert due(T0 + 24 * HOUR) is not None
    assert due(T0 + 48 * HOUR) is not None
    assert _names(directory) == ["renkou-20260302T020000Z", "renkou-20260303T020000Z"]
    assert all((p / "manifest.json").is_file() for _, p in backups_complete(directory))
    assert os.stat(directory).st_mode & 0o777 == 0o700
    pruned = AuditLog.objects.filter(action="backup.prune").order_by("id")
    assert [row.after["removed"] for row in pruned] == [
        [".renkou-20260301T030000Z.partial-0a1b"],
        ["renkou-20260301T020000Z"],
    ]
    # Keep 0 still keeps the newest complete backup.
    assert due(T0 + 72 * HOUR, keep=0) is not None
    assert _names(directory) == ["renkou-20260304T020000Z"]


@pytest.mark.django_db
def test_one_worker_at_a_time_and_none_when_switched_off(tmp_path: Path) -> None:
    directory = tmp_path / "backups"
    assert backup_if_due(directory=directory, every_hours=0, now=T0) is None
    assert not directory.exists()
    directory.mkdir()
    fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another worker is backing up
    try:
        assert backup_if_due(directory=directory, every_hours=24, now=T0) is None
    finally:
        os.close(fd)
    assert backup_if_due(directory=directory, every_hours=24, now=T0) is not None


def test_the_schedule_settings_have_their_documented_defaults(tmp_path: Path) -> None:
    """Read in a fresh interpreter without the RENKOU_BACKUP_* variables (the test runner
    turns the schedule off for the workers the tests start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENKOU_BACKUP_")}
    env.pop("PYTEST_XDIST_WORKER", None)
    env["RENKOU_DATA_DIR"] = str(tmp_path / "data")
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from renkou import settings as s; "
            "print(s.RENKOU_BACKUP_EVERY_HOURS, s.RENKOU_BACKUP_KEEP, "
            "s.RENKOU_BACKUP_DIR == s.DATA_DIR / 'backups')",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["24.0", "7", "True"]
