"""``renkou init`` prepares a usable installation and is safe to run again."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from renkou.core.models import PasswordState
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from renkou.registry.rebuild import registry_rebuild

pytestmark = pytest.mark.django_db


def test_init_loads_a_demo_county_and_creates_an_administrator() -> None:
    out = io.StringIO()
    call_command("init", demo_persons=3000, stdout=out)
    text = out.getvalue()
    assert "one-time password" in text
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and PasswordState.objects.get(user=admin).must_change
    persons = Person.objects.count()
    assert 2900 <= persons <= 3100
    assert OrgUnit.objects.filter(level=4).count() >= 10  # townships of the demo county
    assert registry_rebuild(fix=False, actor="test").differences == []

    again = io.StringIO()
    call_command("init", demo_persons=3000, stdout=again)
    assert "one-time password" not in again.getvalue() and "admin" in again.getvalue()
    assert Person.objects.count() == persons
    assert get_user_model().objects.count() == 1
