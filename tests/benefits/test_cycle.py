"""The cycle's states: notice, objections, four-eyes approval, no double payment, death."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError

from renkou.benefits.models import Decision, Entitlement
from renkou.benefits.services import (
    CycleError,
    cycle_approve,
    cycle_compute,
    cycle_notice,
    entitlements_stop_after_death,
    objection_decide,
    objection_raise,
)
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, TOWNSHIP_A, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def users(tmp_path):
    load_families(tmp_path / "families")
    return (
        user_with_role("clerk", "county_admin", COUNTY),
        user_with_role("head", "county_admin", COUNTY),
    )


def childcare_cycle(clerk, code=COUNTY):
    return cycle_compute(
        programme="childcare", year=2025, orgunit=OrgUnit.objects.get(code=code), actor=clerk
    )


def test_approval_by_another_user_after_the_notice_creates_monthly_entitlements(users):
    clerk, head = users
    cycle = childcare_cycle(clerk)
    cycle_notice(cycle=cycle, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    assert cycle.notice_until == D(2025, 3, 7)
    with pytest.raises(CycleError):
        cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 7))  # notice still running
    with pytest.raises(CycleError):
        cycle_approve(cycle=cycle, actor=clerk, today=D(2025, 3, 8))  # four eyes
    created = cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 8))
    # twins 12 + 12 months, born 2022-03-10: 2, born 2025-06-15: 7
    assert created == 33
    k_c = Person.objects.get(person_ref="K_C")
    assert list(
        Entitlement.objects.filter(person=k_c).order_by("month").values_list("month", "amount")
    ) == [(D(2025, 1, 1), 300), (D(2025, 2, 1), 300)]
    actions = list(
        AuditLog.objects.filter(object_type="benefits.cycle", object_id=str(cycle.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "benefits.cycle.computed",
        "benefits.cycle.notice",
        "benefits.cycle.approved",
    ]


def test_an_open_objection_blocks_approval_and_its_resolution_is_audited(users):
    clerk, head = users
    cycle = childcare_cycle(clerk)
    decision = cycle.decisions.get(person__person_ref="J_C")
    with pytest.raises(CycleError):
        objection_raise(
            decision=decision,
            objector_name="王五",
            text="早了",
            raised_on=D(2025, 3, 2),
            actor=clerk,
        )
    cycle_notice(cycle=cycle, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    objection = objection_raise(
        decision=decision,
        objector_name="王五",
        text="not living here",
        raised_on=D(2025, 3, 2),
        actor=clerk,
        today=D(2025, 3, 2),
    )
    with pytest.raises(CycleError):
        cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 9))
    objection_decide(objection=objection, outcome="upheld", note="confirmed", actor=head)
    assert cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 9)) == 26
    assert Decision.objects.get(pk=decision.pk).amount == 0
    row = AuditLog.objects.get(action="benefits.objection.resolved")
    assert (row.before, row.after["outcome"]) == ({"outcome": "eligible"}, "not_eligible")


def test_a_second_cycle_over_the_same_children_cannot_pay_a_month_twice(users, settings):
    settings.LANGUAGE_CODE = "en"
    clerk, head = users
    first = childcare_cycle(clerk)
    cycle_notice(cycle=first, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    cycle_approve(cycle=first, actor=head, today=D(2025, 3, 8))
    overlapping = childcare_cycle(clerk, code=TOWNSHIP_A)  # the township is inside the county
    cycle_notice(cycle=overlapping, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    with pytest.raises(CycleError, match="already owed"):
        cycle_approve(cycle=overlapping, actor=head, today=D(2025, 3, 8))
    assert Entitlement.objects.count() == 33
    overlapping.refresh_from_db()
    assert overlapping.status == "notice"  # the whole approval was refused


def test_the_constraint_holds_without_the_service(users):
    clerk, _head = users
    cycle = childcare_cycle(clerk)
    child = Person.objects.get(person_ref="T_1")
    Entitlement.objects.create(
        programme="childcare", person=child, month=D(2025, 1, 1), amount=300, cycle=cycle
    )
    with pytest.raises(IntegrityError):
        Entitlement.objects.create(
            programme="childcare", person=child, month=D(2025, 1, 1), amount=300, cycle=cycle
        )


def test_a_death_stops_later_months_and_flags_paid_ones(users):
    clerk, head = users
    cycle = childcare_cycle(clerk)
    cycle_notice(cycle=cycle, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 8))
    child = Person.objects.get(person_ref="T_2")
    Entitlement.objects.filter(person=child, month__lte=D(2025, 6, 1)).update(status="paid")
    # the death arrives in the register later (the registry's service is the write path there)
    Person.objects.filter(pk=child.pk).update(status="dead", death_date=D(2025, 4, 20))
    assert entitlements_stop_after_death(actor=head) == {"stopped": 6, "flagged": 2}
    statuses = dict(Entitlement.objects.filter(person=child).values_list("month", "status"))
    assert statuses[D(2025, 4, 1)] == "paid"  # alive on 1 April
    assert statuses[D(2025, 5, 1)] == statuses[D(2025, 6, 1)] == "recover"
    assert statuses[D(2025, 7, 1)] == "stopped"


def test_a_death_applied_in_the_register_stops_the_entitlements_at_once(users):
    from renkou.registry import services as registry

    clerk, head = users
    cycle = childcare_cycle(clerk)
    cycle_notice(cycle=cycle, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 8))
    child = Person.objects.get(person_ref="T_1")
    Entitlement.objects.filter(person=child, month__lte=D(2025, 3, 1)).update(status="paid")
    death = registry.event_submit(
        kind="death",
        person=child,
        orgunit=OrgUnit.objects.get(code=child.residence_orgunit_id),
        effective_date=D(2025, 2, 14),
        source="village",
        actor=clerk,
    )
    registry.event_apply(event=death, actor=head)
    statuses = dict(Entitlement.objects.filter(person=child).values_list("month", "status"))
    assert statuses[D(2025, 2, 1)] == "paid"  # alive on 1 February
    assert statuses[D(2025, 3, 1)] == "recover"
    assert {statuses[D(2025, m, 1)] for m in range(4, 13)} == {"stopped"}
    assert AuditLog.objects.filter(action="benefits.entitlement.stopped").count() == 9
    # the twin's months are untouched
    twin = Person.objects.get(person_ref="T_2")
    assert set(Entitlement.objects.filter(person=twin).values_list("status", flat=True)) == {"due"}
