"""Settings from the environment: safe defaults, generated secrets, a clean deploy check."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def run_renkou(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # a clean machine: none of our variables, nor the test worker's (which would put the data
    # directory in a per-worker folder, renkou/settings.py)
    # (nor a browser test's DJANGO_ALLOW_ASYNC_UNSAFE, which a deploy check refuses)
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RENKOU_", "PYTEST_XDIST")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update({"RENKOU_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "renkou.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_first_start_generates_private_keys_and_debug_is_off(tmp_path: Path) -> None:
    result = run_renkou(
        tmp_path,
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.PASSWORD_HASHERS[0])",
    )
    assert result.returncode == 0, result.stderr
    # The tests hash passwords with a fast hasher (tests/conftest.py); the product keeps
    # Django's PBKDF2.
    assert result.stdout.splitlines()[-1].split() == [
        "False",
        "django.db.backends.sqlite3",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    for name in ("secret_key", "encryption_keys", "blind_index_key"):
        path = tmp_path / "data" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = (tmp_path / "data" / "encryption_keys").read_text()
    run_renkou(tmp_path, "check")
    assert (tmp_path / "data" / "encryption_keys").read_text() == first  # generated once


def test_deploy_check_is_clean_in_production_settings(tmp_path: Path) -> None:
    result = run_renkou(tmp_path, "check", "--deploy", "--fail-level", "WARNING", RENKOU_HTTPS="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
