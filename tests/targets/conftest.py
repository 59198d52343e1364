"""Small fixtures of the target tests: the hand-made tree of org units and its officers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    orgunits_only,
    user_with_role,
)


@pytest.fixture
def units(db: None) -> None:
    """The org units of tests/builders.py only (no persons: the figures are the cache's)."""
    orgunits_only()


@pytest.fixture
def staff(units: None) -> dict[str, Any]:
    """The county's administrator, each township's statistician, a reporter, an auditor."""
    return {
        "admin": user_with_role("admin", "county_admin", COUNTY),
        "stat_a": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "stat_b": user_with_role("stat-b", "statistician", TOWNSHIP_B),
        "rep_a1": user_with_role("rep-a1", "reporter", VILLAGE_A1),
        "auditor": user_with_role("aud", "auditor", COUNTY),
    }
