"""Small fixtures of the case tests: the hand-made tree of org units and case officers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_B1,
    orgunits_only,
    user_with_role,
)


@pytest.fixture
def units(db: None) -> None:
    """The org units of tests/builders.py only (no persons: cases need none)."""
    orgunits_only()


@pytest.fixture
def staff(units: None) -> dict[str, Any]:
    """Case officers of township A, township B and the county; a reporter and an auditor."""
    return {
        "stat_a": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "stat_a2": user_with_role("stat-a2", "statistician", TOWNSHIP_A),
        "stat_b": user_with_role("stat-b", "statistician", TOWNSHIP_B),
        "admin": user_with_role("admin", "county_admin", COUNTY),
        "rep_a1": user_with_role("rep-a1", "reporter", VILLAGE_A1),
        "rep_b1": user_with_role("rep-b1", "reporter", VILLAGE_B1),
        "auditor": user_with_role("aud", "auditor", COUNTY),
    }
