"""``renkou init`` prepares a usable installation and is safe to run again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from renkou.analytics.models import IndicatorValue
from renkou.core.models import PasswordState, RoleAssignment, UserProfile
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from renkou.registry.rebuild import registry_rebuild

pytestmark = pytest.mark.django_db


# `make run` initialises the embedded SQLite database; the load and statistics it calls are
# tested on both databases elsewhere (30 s of the PostgreSQL leg saved).
@pytest.mark.sqlite_leg
def test_init_loads_a_demo_county_and_creates_an_administrator() -> None:
    out = io.StringIO()
    call_command("init", demo_persons=3000, stdout=out)
    text = out.getvalue()
    assert "one-time password" in text
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and PasswordState.objects.get(user=admin).must_change
    persons = Person.objects.count()
    assert 2900 <= persons <= 3100
    # The load files (names and identity numbers in clear) are not kept once loaded.
    from django.conf import settings

    assert not (Path(settings.DATA_DIR) / "demo-county").exists()
    from renkou.core.models import KeyCheck

    assert KeyCheck.objects.count() == 1  # the keys' check, stored at the first start
    assert OrgUnit.objects.filter(level=4).count() >= 10  # townships of the demo county
    assert registry_rebuild(fix=False, actor="test").differences == []
    # the statistics of the last two years are ready: births by month of the demo's 2025
    county = OrgUnit.objects.get(level=3).code
    months = (
        IndicatorValue.objects.filter(
            indicator="births", orgunit=county, basis="registered", period__startswith="2025"
        )
        .exclude(period__contains="Q")
        .exclude(period__contains="O")
    )
    by_month = {v.period: v.value for v in months if len(v.period) == 6}
    assert sorted(by_month) == [f"2025{m:02d}" for m in range(1, 13)]
    year = IndicatorValue.objects.get(
        indicator="births", orgunit=county, basis="registered", period="2025"
    )
    assert sum(by_month.values()) == year.value > 0
    assert "statistics ready" in text
    # one demo user per role for the demo county, printed with their one-time passwords
    demo = UserProfile.objects.filter(demo=True).values_list("user__username", flat=True)
    assert sorted(demo) == [
        "demo.auditor",
        "demo.county",
        "demo.reporter",
        "demo.service",
        "demo.statistician",
    ]
    held = dict(
        RoleAssignment.objects.filter(user__profile__demo=True).values_list(
            "user__username", "orgunit_id"
        )
    )
    township = held["demo.statistician"]
    assert held["demo.county"] == held["demo.auditor"] == county == township[:6]
    assert held["demo.reporter"].startswith(township) and len(held["demo.reporter"]) == 12
    for name in demo:
        user = get_user_model().objects.get(username=name)
        line = next(row for row in text.splitlines() if row.strip().startswith(name + " "))
        assert user.check_password(line.split()[1])
        assert PasswordState.objects.get(user=user).must_change

    again = io.StringIO()
    call_command("init", demo_persons=3000, stdout=again)
    assert "one-time password" not in again.getvalue() and "admin" in again.getvalue()
    assert Person.objects.count() == persons
    assert get_user_model().objects.count() == 6  # no second set of demo users
