"""tests/shared.py: rows built once for a module are seen by each test, and what a test
changes is undone before the next test and the rows themselves after the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from renkou.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_unit(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    from tests.shared import shared_rows

    with shared_rows(django_db_blocker):
        with django_db_blocker.unblock():
            OrgUnit.objects.create(code="99", name="共享省", level=1)
        yield "99"
    with django_db_blocker.unblock():
        assert not OrgUnit.objects.filter(code__startswith="99").exists()


def test_a_test_sees_the_shared_rows_and_changes_them(shared_unit: str) -> None:
    assert OrgUnit.objects.filter(code=shared_unit).exists()
    OrgUnit.objects.create(code="9901", name="新市", level=2, parent_id=shared_unit)
    OrgUnit.objects.filter(code=shared_unit).update(name="改名")


def test_the_next_test_sees_them_as_they_were_built(shared_unit: str) -> None:
    assert OrgUnit.objects.get(code=shared_unit).name == "共享省"
    assert not OrgUnit.objects.filter(code="9901").exists()
