"""Fixtures of the staff tests (the command line and the pages)."""

from __future__ import annotations

import pytest

from renkou.orgunits.models import OrgUnit
from tests.builders import ORGUNITS

LEVELS = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}
OTHER_COUNTY = "330127"  # 淳安县: a second county of the same prefecture


@pytest.fixture
def units(db):
    """The builders' org-unit tree (no register), and a second county beside it."""
    for u in ORGUNITS:
        OrgUnit.objects.create(
            code=u["code"],
            name=u["name"],
            level=LEVELS[len(u["code"])],
            parent_id=u["parent_code"] or None,
        )
    OrgUnit.objects.create(code=OTHER_COUNTY, name="淳安县", level=3, parent_id="3301")
