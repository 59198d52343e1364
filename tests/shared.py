"""Rows built once and read by many tests, instead of built again for each test.

A module-scoped fixture writes them inside a transaction that stays open while the module's
tests run: pytest-django's own per-test transaction nests in it as a savepoint, so whatever a
test changes is rolled back as before, and the shared rows are rolled back after the last
test. Only for modules whose tests all use ``db``: ``transactional_db`` and ``live_server``
commit and flush, which an open transaction would block (SQLite) or lose (PostgreSQL).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings


@contextmanager
def shared_rows(django_db_blocker: Any) -> Iterator[None]:
    """Open the module's transaction; the ``with`` body writes the rows, the caller yields."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As Django's TestCase marks its class-wide transaction: a durable block inside a test
        # checks the innermost enclosing block, which is then the test's own.
        atomic._from_testcase = True  # type: ignore[attr-defined]
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def shared_register(build: Callable[[Path], None]) -> tuple[Any, Any]:
    """Two fixtures for a module: ``register_built`` runs ``build(directory)`` once, its rows
    shared as above and its data directory (snapshots, kept counts) at ``directory/data``;
    ``register`` gives each test its own copy of that directory as its ``DATA_DIR``, so the
    files a test writes (templates, reports, refreshed snapshots) stay its own.

    Use as ``register_built, register = shared_register(build)``. ``register`` names
    ``register_built`` as a parameter (not looked up while the test runs), so that the
    shared rows are written before the test's own transaction begins.
    """

    @pytest.fixture(scope="module", name="register_built")
    def built(
        django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Path]:
        base = tmp_path_factory.mktemp("shared")
        with shared_rows(django_db_blocker), override_settings(DATA_DIR=base / "data"):
            with django_db_blocker.unblock():
                build(base)
            yield base / "data"

    @pytest.fixture(name="register")
    def copied(register_built: Path, tmp_path: Path, settings: Any) -> None:
        data = tmp_path / "data"
        if register_built.exists():
            shutil.copytree(register_built, data)
        settings.DATA_DIR = data

    return built, copied
