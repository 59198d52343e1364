"""Fixtures of the health-service tests: the small county, service staff and office users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    small_county,
    today,
    user_with_role,
)


@pytest.fixture
def county(db: None, tmp_path: Path) -> None:
    """The small county of tests/builders.py, loaded (张伟 and 李丽 married in A1)."""
    from renkou.registry.loading import registry_load

    registry_load(path=small_county(tmp_path), actor="test", today=today())


@pytest.fixture
def staff(county: None) -> dict[str, Any]:
    """Service staff of township A and B; the office's roles; an auditor; an institution."""
    from renkou.health.services import institution_create
    from renkou.orgunits.models import OrgUnit

    users = {
        "service_a": user_with_role("svc-a", "service_staff", TOWNSHIP_A),
        "service_b": user_with_role("svc-b", "service_staff", TOWNSHIP_B),
        "stat_a": user_with_role("stat-a", "statistician", TOWNSHIP_A),
        "admin": user_with_role("admin", "county_admin", COUNTY),
        "auditor": user_with_role("aud", "auditor", COUNTY),
        "reporter": user_with_role("rep", "reporter", VILLAGE_A1),
    }
    users["institution"] = institution_create(
        code="MCH-330122",
        name="县妇幼保健院",
        orgunit=OrgUnit.objects.get(code=COUNTY),
        actor="test",
    )
    return users
