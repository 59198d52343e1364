"""The demo county's service records: written through the services, once, with figures."""

from __future__ import annotations

from typing import Any

import pytest

from renkou.analytics.periods import parse
from renkou.health import selectors
from renkou.health.demo import demo_services_prepare
from renkou.health.models import AreaFigure, ServiceRecord
from tests.builders import COUNTY, TOWNSHIP_A, user_with_role
from tests.health.build import TODAY

pytestmark = pytest.mark.django_db


def test_demo_records_are_written_once_through_the_services(county: Any) -> None:
    import datetime

    from renkou.health.demo import _share
    from renkou.registry.models import Person

    user_with_role("demo.service", "service_staff", TOWNSHIP_A)
    today = datetime.date(2020, 6, 30)  # 张伟 and 李丽 married 2019-10-01: within the year
    prepared = demo_services_prepare(county=COUNTY, today=today)
    li = Person.objects.get(person_ref="P2")
    expected_premarital = 1 if _share(li, "premarital") < 0.7 else 0
    assert prepared.records.get("premarital", 0) == expected_premarital
    assert ServiceRecord.objects.count() == sum(prepared.records.values())
    assert demo_services_prepare(county=COUNTY, today=today).records == {} or not (
        ServiceRecord.objects.exists()
    )
    # checked ten days before the marriage of 2019-10-01: one of the year's one marriage
    rates = selectors.rates_of(COUNTY, parse("2019"))
    assert (rates.premarital.numerator, rates.premarital.denominator) == (expected_premarital, 1)
    assert AreaFigure.objects.filter(year=2020).exists() or not prepared.records
    assert TODAY
