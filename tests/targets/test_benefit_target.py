"""A target on the benefits' disbursement rate (资金发放到位率): the amounts paid of the
amounts due for the period's months, per unit, against the cycle's own disbursement rate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from renkou.analytics.periods import parse
from renkou.benefits.payments import batch_create, batch_reconcile, disbursement_rate
from renkou.benefits.services import bank_account_set, cycle_approve, cycle_compute, cycle_notice
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from renkou.targets.selectors import scorecards
from renkou.targets.services import TargetSpec, agreement_save
from tests.benefits.families import load_families
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_disbursement_rate_is_scored_per_township(tmp_path, django_capture_on_commit_callbacks):
    load_families(tmp_path / "families")
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    county = OrgUnit.objects.get(code=COUNTY)
    cycle = cycle_compute(programme="rural_reward", year=2024, orgunit=county, actor=clerk)
    cycle_notice(cycle=cycle, start=D(2024, 3, 1), days=7, actor=clerk, today=D(2024, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    rr_f = Person.objects.get(person_ref="RR_F")
    bank_account_set(person=rr_f, bank="农商银行", account="6230000011112222", actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(cycle=cycle, path=tmp_path / "pay.csv", actor=clerk).batch
    result = tmp_path / "result.csv"
    result.write_text(f"参考号,状态,原因\nB{batch.pk}-{rr_f.pk},成功,\n", encoding="utf-8")
    batch_reconcile(batch=batch, path=result, actor=clerk)
    ((village, owed, paid, rate),) = disbursement_rate(cycle)
    assert village == VILLAGE_A1 and paid < owed

    deal = agreement_save(
        unit=county,
        year=2024,
        total_weight=100,
        watch_line=60,
        targets=[TargetSpec("benefits_disbursement_rate", 90, "higher", 100, "linear", 0)],
        actor=clerk,
    )
    cards = scorecards(deal, [parse("2024"), parse("2024Q1"), parse("202402D2")])
    for pid in ("2024", "2024Q1", "202402D2"):
        rows = {r.unit.code: r for r in cards[pid].rows}
        (a,) = rows[TOWNSHIP_A].score.targets
        # every month is owed and paid alike, so each period's rate is the year's
        assert a.value == pytest.approx(float(paid / owed * 100))
        # by hand: 100 × (rate − 0) ÷ (90 − 0)
        assert a.points == pytest.approx(100 * float(paid / owed * 100) / 90)
        assert a.measure.low is None  # money, not a proportion of persons: no interval
        (b,) = rows[TOWNSHIP_B].score.targets
        assert b.status == "no_data"
    assert rate == float(paid / owed) and owed == Decimal("5760")
