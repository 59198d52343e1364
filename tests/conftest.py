"""Shared fixtures and the rules for tests that need PostgreSQL or Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings

REQUIRE_ALL = os.environ.get("RENKOU_REQUIRE_ALL") == "1"
LEG = os.environ.get("RENKOU_TEST_LEG", "sqlite")
# The legs of this run that reach their database (tests/run.py); a test marked ``once_leg``
# runs in the PostgreSQL leg when there is one, so that the SQLite leg, which alone runs
# the browsers, does not carry it too.
RUN_LEGS = os.environ.get("RENKOU_TEST_RUN_LEGS", LEG).split(",")
ONCE_LEG = "postgres" if "postgres" in RUN_LEGS else "sqlite"
DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


# What the PostgreSQL leg runs besides the data layer: the pages, the work summary and the
# statistics computed by DuckDB from the snapshot read the database only through the
# selectors and the snapshot, whose PostgreSQL behaviour (queries, scoping, the snapshot's
# REPEATABLE READ transaction, the cache's locks) these files test there. The rest of those
# directories runs in the SQLite leg only, so that the suite keeps within its ten minutes on
# two cores: the pages' permission matrix alone is half the PostgreSQL leg's tests.
SQLITE_ONLY_DIRS = ("tests/web/", "tests/reports/", "tests/analytics/")
BOTH_LEGS_FILES = {
    "tests/web/test_scoping.py",
    "tests/analytics/test_snapshot.py",
    "tests/analytics/test_cache_lock.py",
}


def _sqlite_only(item: pytest.Item) -> bool:
    path = str(item.path.relative_to(item.config.rootpath)).replace("\\", "/")
    return path.startswith(SQLITE_ONLY_DIRS) and path not in BOTH_LEGS_FILES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL leg run only tests that touch the database, outside
    ``SQLITE_ONLY_DIRS`` (but for ``BOTH_LEGS_FILES``); browsers and the tests marked
    ``sqlite_leg`` only once (in the SQLite leg); those marked ``once_leg`` only in
    ``ONCE_LEG``."""
    if LEG != "postgres":
        # a test that needs PostgreSQL itself (the ``postgres`` fixture) runs in its leg
        keep = [
            i
            for i in items
            if "postgres" not in getattr(i, "fixturenames", ())
            and (ONCE_LEG == LEG or not i.get_closest_marker("once_leg"))
        ]
        if len(keep) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
            items[:] = keep
        return
    keep, drop = [], []
    for item in items:
        uses_db = bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        ) or item.get_closest_marker("django_db")
        if item.get_closest_marker("once_leg"):
            (keep if ONCE_LEG == LEG else drop).append(item)
            continue
        once = (
            item.get_closest_marker("browser")
            or item.get_closest_marker("sqlite_leg")
            or _sqlite_only(item)
        )
        if uses_db and not once:
            keep.append(item)
        else:
            drop.append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Passwords hashed with MD5 in tests: Django's PBKDF2 takes about half a second a
    password, and the suite creates a user in most tests (test_settings checks that the
    product itself keeps PBKDF2)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def need(condition: bool, reason: str) -> None:
    """Skip when a required part is missing, or fail under RENKOU_REQUIRE_ALL=1 (CI)."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (RENKOU_REQUIRE_ALL=1)")
    pytest.skip(reason)


@pytest.fixture
def postgres(db: None) -> None:
    """Marks a test that must run on PostgreSQL."""
    need(connection.vendor == "postgresql", "needs PostgreSQL: set RENKOU_DATABASE_URL")


@pytest.fixture
def county(tmp_path) -> None:
    """The small hand-made county of tests/builders.py, loaded through the initial load."""
    from renkou.registry.loading import registry_load
    from tests.builders import small_county, today

    registry_load(path=small_county(tmp_path / "county"), actor="test", today=today())
