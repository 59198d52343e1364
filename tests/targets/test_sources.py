"""Targets on the quality rates (tallies of the logic checks) and on the collaboration rates
(floating messages): the figures, their Wilson intervals and the points, against the quality
app's own rates and the arithmetic worked out here; a rate with nothing counted is no
figure, left out of the score."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from renkou import demography as dm
from renkou.analytics.periods import parse
from renkou.floating.selectors import unit_rates
from renkou.orgunits.models import OrgUnit
from renkou.quality.bulk import quality_run
from renkou.quality.rates import quality_rates
from renkou.registry import services
from renkou.targets.selectors import scorecard
from renkou.targets.services import TargetSpec, agreement_save
from tests.analytics.hand_register import A1, COUNTY, TOWNSHIP_A, TOWNSHIP_B, hand_register
from tests.builders import id_number, user_with_role
from tests.shared import shared_register

pytestmark = pytest.mark.django_db


def build(base: Path) -> None:
    """The hand register and a run of the logic checks (its tallies dated today)."""
    hand_register(base / "load")
    quality_run(actor="test")


register_built, register = shared_register(build)


def test_quality_and_collaboration_targets(register: None) -> None:
    year = timezone.localdate().year  # the tallies are of today's run
    admin = user_with_role("targets-admin", "county_admin", COUNTY)
    deal = agreement_save(
        unit=OrgUnit.objects.get(code=COUNTY),
        year=year,
        total_weight=100,
        watch_line=60,
        targets=[
            TargetSpec("quality_logic_accuracy", 99, "higher", 50, "linear", 90, lenient=False),
            TargetSpec("quality_completeness", 99.5, "higher", 30, "pass_fail", lenient=False),
            TargetSpec("floating_notice_rate", 90, "higher", 20, "pass_fail"),
        ],
        actor=admin,
    )
    card = scorecard(deal, parse(str(year)))
    rows = {r.unit.code: r for r in card.rows}
    theirs = {r.orgunit: r for r in quality_rates(orgunit=OrgUnit.objects.get(code=COUNTY))}
    for code in (TOWNSHIP_A, TOWNSHIP_B):
        q: Any = theirs[code]
        accuracy, complete, notice = rows[code].score.targets
        assert accuracy.value == pytest.approx(q.logic_accuracy_percent)
        good = q.persons - q.persons_with_error
        low, high = dm.bounded_rate_interval(good, q.persons, per=100)
        assert (accuracy.measure.low, accuracy.measure.high) == pytest.approx((low, high))
        assert complete.value == pytest.approx(q.completeness_percent)
        # by hand: 50 at 99 % or more, down to 0 at 90 %; 30 if 99.5 % or more
        la, cp = 100 * good / q.persons, 100 * q.filled_fields / q.required_fields
        p1 = 50.0 if la >= 99 else max(0.0, 50 * (la - 90) / (99 - 90))
        p2 = 30.0 if cp >= 99.5 else 0.0
        assert accuracy.points == pytest.approx(p1)
        assert complete.points == pytest.approx(p2)
        # no arrival from outside was notified in the year: no figure, left out
        assert notice.status == "no_data" and notice.points is None
        assert rows[code].score.total == pytest.approx((p1 + p2) / 80 * 100)


def test_a_collaboration_target_counts_as_the_floating_pages_do(register: None) -> None:
    today = timezone.localdate()
    admin = user_with_role("targets-admin", "county_admin", COUNTY)
    # someone arrives in A1 from 湖南 today: the arrival notice (流入通报) waits to be sent
    arrival = services.arrival_submit(
        id_number=id_number("1988-04-02", 13, region="430521"),
        name="刘强",
        sex="M",
        birth_date=datetime.date(1988, 4, 2),
        hukou_region="430521",
        hukou_type="rural",
        ethnicity="01",
        marital_status="single",
        orgunit=OrgUnit.objects.get(code=A1),
        effective_date=today,
        actor="test",
    )
    services.event_apply(event=arrival, actor="test")
    deal = agreement_save(
        unit=OrgUnit.objects.get(code=COUNTY),
        year=today.year,
        total_weight=100,
        watch_line=60,
        targets=[TargetSpec("floating_notice_rate", 90, "higher", 100, "pass_fail")],
        actor=admin,
    )
    year = parse(str(today.year))
    rows = {r.unit.code: r for r in scorecard(deal, year).rows}
    for code in (TOWNSHIP_A, TOWNSHIP_B):
        theirs = unit_rates(code, year.start, year.end)["notice"]
        (mine,) = rows[code].score.targets
        assert mine.measure.count == theirs.denominator
        assert mine.value == theirs.percent
    (a,) = rows[TOWNSHIP_A].score.targets
    assert a.measure.count == 1 and a.value == 0.0  # one arrival, not yet notified
    # 0 of 1 has a Wilson interval of 0–79.35 %: it excludes 90, so the target is not met
    low, high = dm.wilson_interval(0, 1)
    assert (a.measure.low, a.measure.high) == pytest.approx((low * 100, high * 100))
    assert (a.status, a.points) == ("failed", 0.0)
    assert rows[TOWNSHIP_B].score.targets[0].status == "no_data"
