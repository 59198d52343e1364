"""The rates of many units and periods in one pass give each unit's and period's own
figures (hand-counted) and the same as ``unit_rates`` one at a time."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from renkou.analytics.periods import containing
from renkou.floating import services
from renkou.floating.models import Message
from renkou.floating.selectors import rates_of_periods, unit_rates
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1
from tests.floating.test_outbox import arrive

pytestmark = pytest.mark.django_db


def test_every_unit_and_period_is_counted_as_alone(county: None) -> None:
    # two arrivals into A1 yesterday: one notified now (in its 7 days), one not yet
    sent = Message.objects.get(arrival=arrive(1), kind="notice")
    services.message_send(message=sent, actor="test")
    arrive(3)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    periods = [containing(yesterday, "month"), containing(yesterday, "year")]
    earlier = containing(yesterday.replace(year=yesterday.year - 1), "year")
    units = [COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1]
    figures = rates_of_periods(units, [*periods, earlier])
    for unit in (COUNTY, TOWNSHIP_A, VILLAGE_A1):
        for period in periods:
            notice = figures[(unit, period.id)]["notice"]
            assert (notice.numerator, notice.denominator) == (1, 2)  # 通报率 50 %
            assert figures[(unit, period.id)]["reply"].denominator == 0
    for period in (*periods, earlier):
        assert figures[(TOWNSHIP_B, period.id)]["notice"].denominator == 0
    assert figures[(COUNTY, earlier.id)]["notice"].denominator == 0
    for unit in units:
        for period in (*periods, earlier):
            assert figures[(unit, period.id)] == unit_rates(unit, period.start, period.end)
