"""The writes of service records: consent, steps in order, withdrawal, encryption, audit."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.health import selectors
from renkou.health.models import ServiceRecord, ServiceStep
from renkou.health.services import ConsentGiven, HealthRefused, figure_set
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2
from tests.health.build import TODAY, couple, open_record, step

pytestmark = pytest.mark.django_db


def test_a_couple_record_with_its_steps_encrypted_and_audited(staff: dict[str, Any]) -> None:
    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc)
    assert record.orgunit_id == VILLAGE_A1 and record.consents.count() == 2
    step(svc, record, "enrolled", "2025-02-01", inst)
    step(svc, record, "examined", "2025-02-10", inst)
    assessed = step(
        svc,
        record,
        "risk_assessed",
        "2025-02-20",
        inst,
        outcome="high",
        advice="补充叶酸，孕前咨询",
    )
    raw = ServiceStep.objects.filter(pk=assessed.pk).values_list("result_enc", flat=True).get()
    assert "high" not in raw and "叶酸" not in raw
    assert "high" in crypto.decrypt(raw)
    actions = list(
        AuditLog.objects.filter(object_type="health.record").values_list("action", flat=True)
    )
    assert actions.count("health.step.recorded") == 3 and "health.record.opened" in actions
    assert all(
        "high" not in str(a.after) for a in AuditLog.objects.filter(object_type="health.record")
    )


def test_same_key_is_one_record(staff: dict[str, Any]) -> None:
    first = open_record(staff["service_a"], key="k-1")
    again = open_record(staff["service_a"], key="k-1")
    assert first.pk == again.pk and ServiceRecord.objects.count() == 1


def test_consent_missing_refused_and_nothing_written(staff: dict[str, Any]) -> None:
    woman, _man = couple()
    with pytest.raises(HealthRefused):
        open_record(
            staff["service_a"], consents=[ConsentGiven(woman, datetime.date(2025, 2, 1), "服务")]
        )
    assert not ServiceRecord.objects.exists()


def test_a_man_is_no_screening_record_and_a_couple_needs_a_man(staff: dict[str, Any]) -> None:
    _woman, man = couple()
    with pytest.raises(HealthRefused):
        open_record(staff["service_a"], "screening", woman=man)
    with pytest.raises(HealthRefused):
        open_record(staff["service_a"], "premarital", man=None)


def test_steps_out_of_order_refused(staff: dict[str, Any]) -> None:
    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc)
    with pytest.raises(HealthRefused):
        step(svc, record, "early_followup", "2025-03-01", inst)  # before any examination
    step(svc, record, "enrolled", "2025-02-01", inst)
    step(svc, record, "examined", "2025-03-01", inst)
    with pytest.raises(HealthRefused):
        step(svc, record, "early_followup", "2025-02-15", inst)  # dated before it
    with pytest.raises(HealthRefused):
        step(svc, record, "examined", "2025-03-02", inst)  # twice
    screening = open_record(svc, "screening")
    step(svc, screening, "screened", "2025-03-01", inst)
    step(svc, screening, "result", "2025-03-05", inst, outcome="negative")
    with pytest.raises(HealthRefused):
        step(svc, screening, "referred", "2025-03-06", inst)  # only after a positive


def test_only_service_staff_of_the_area_writes(staff: dict[str, Any]) -> None:
    for who in ("service_b", "stat_a", "admin"):
        with pytest.raises(PermissionError):
            open_record(staff[who])


def test_withdrawn_consent_hides_the_record_and_stops_its_counting(staff: dict[str, Any]) -> None:
    from renkou.analytics.periods import parse
    from renkou.health.services import consent_withdraw

    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc)
    step(svc, record, "enrolled", "2025-02-01", inst)
    step(svc, record, "examined", "2025-02-10", inst)
    figure_set(
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        year=2025,
        kind="target_couples",
        value=2,
        actor=staff["admin"],
    )
    assert selectors.rates_of(TOWNSHIP_A, parse("2025")).coverage.numerator == 1
    woman, _man = couple()
    consent_withdraw(record=record, person=woman, on=TODAY, actor=svc, today=TODAY)
    assert not selectors.records_for(svc).exists()
    assert selectors.audited_records_for(staff["auditor"]).filter(pk=record.pk).exists()
    assert selectors.rates_of(TOWNSHIP_A, parse("2025")).coverage.numerator == 0
    with pytest.raises(HealthRefused):
        step(svc, record, "risk_assessed", "2025-03-01", inst, outcome="low")


def test_rates_of_the_area_from_records_figures_and_marriages(staff: dict[str, Any]) -> None:
    from renkou.analytics.periods import parse
    from renkou.registry.models import Person

    svc, inst = staff["service_a"], staff["institution"]
    record = open_record(svc, "premarital", opened_on=datetime.date(2019, 9, 1))
    step(svc, record, "checked", "2019-09-20", inst)  # 2019: the couple married 2019-10-01
    rates = selectors.rates_of(TOWNSHIP_A, parse("2019"))
    assert (rates.premarital.numerator, rates.premarital.denominator) == (1, 1)
    screening = open_record(svc, "screening", woman=Person.objects.get(person_ref="P5"))
    step(svc, screening, "screened", "2025-03-01", inst)
    step(svc, screening, "result", "2025-03-05", inst, outcome="positive")
    step(svc, screening, "referred", "2025-04-01", inst)
    for code, value in ((VILLAGE_A1, 3), (VILLAGE_A2, 1)):  # A1, A2: summed for A
        figure_set(
            orgunit=OrgUnit.objects.get(code=code),
            year=2025,
            kind="target_women",
            value=value,
            actor=staff["stat_a"],
        )
    rates = selectors.rates_of(TOWNSHIP_A, parse("2025"))
    assert (rates.screening_coverage.numerator, rates.screening_coverage.denominator) == (1, 4)
    assert (rates.positive_followup.numerator, rates.positive_followup.denominator) == (1, 1)
