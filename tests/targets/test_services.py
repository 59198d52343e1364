"""Saving and copying agreements: every bad target refused with its reason (zh and en),
nothing half-written, and only the unit's own administrators set its targets."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.targets.models import Agreement, Target
from renkou.targets.services import TargetsRefused, agreement_copy
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1
from tests.targets.build import HAND_TARGETS, agreement, spec

pytestmark = pytest.mark.django_db


def refused(actor: Any, targets: list[Any], **kw: Any) -> list[str]:
    with pytest.raises(TargetsRefused) as caught:
        agreement(actor, COUNTY, targets=targets, **kw)
    assert not Agreement.objects.exists() and not Target.objects.exists()
    return [message for _field, message in caught.value.errors]


def test_an_indicator_renkou_does_not_compute_is_refused(staff: dict[str, Any]) -> None:
    bad = [spec("births_outside_policy", 0, "lower", 100, rule="pass_fail")]
    with translation.override("en"):
        assert refused(staff["admin"], bad) == [
            "Target 1: there is no indicator births_outside_policy in renkou."
        ]
    with translation.override("zh-hans"):
        assert refused(staff["admin"], bad) == [
            "第1项目标：renkou 没有名为 births_outside_policy 的指标。"
        ]


def test_weights_must_add_up_to_the_total(staff: dict[str, Any]) -> None:
    targets = [spec("crude_birth_rate", 10, "higher", 30, floor=6), HAND_TARGETS[0]]
    with translation.override("en"):
        assert refused(staff["admin"], targets) == [
            "The weights add up to 60, not to the agreement's total of 100."
        ]
    with translation.override("zh-hans"):
        assert refused(staff["admin"], targets) == ["各项权重合计为60，不等于责任书的总分100。"]
    # the same targets against a total of 60 are fine
    assert agreement(staff["admin"], COUNTY, targets=targets, total_weight=60.0).pk


def test_a_floor_on_the_wrong_side_of_the_target_is_refused(staff: dict[str, Any]) -> None:
    targets = [
        spec("crude_birth_rate", 10, "higher", 50, floor=12),
        spec("sex_ratio_at_birth", 107, "lower", 50, floor=100),
    ]
    with translation.override("en"):
        assert refused(staff["admin"], targets) == [
            "Target 1 (Crude birth rate (‰)): the floor 12 must be below the target 10 when "
            "higher is better.",
            "Target 2 (Sex ratio at birth (boys per 100 girls)): the floor 100 must be above the "
            "target 107 when lower is better.",
        ]
    with translation.override("zh-hans"):
        first = refused(staff["admin"], targets)[0]
    assert first.startswith("第1项目标（") and "底线12应低于目标值10" in first


def test_a_linear_rule_needs_a_floor_and_a_weight_above_zero(staff: dict[str, Any]) -> None:
    targets = [spec("crude_birth_rate", 10, "higher", 100), spec("deaths", 5, "lower", 0)]
    with translation.override("en"):
        errors = refused(staff["admin"], targets)
    assert (
        "Target 1 (Crude birth rate (‰)): a linear rule needs a floor (where it gives 0)." in errors
    )
    assert "Target 2 (Deaths): the weight must be a number above 0." in errors


def test_who_sets_whose_targets(staff: dict[str, Any]) -> None:
    # a township's statistician sets its villages' targets, not another township's nor
    # the county's; the county's administrator sets the townships'; nobody sets a village's
    assert agreement(staff["stat_a"], TOWNSHIP_A).orgunit_id == TOWNSHIP_A
    for actor, unit in (
        (staff["stat_a"], TOWNSHIP_B),
        (staff["stat_a"], COUNTY),
        (staff["stat_b"], TOWNSHIP_A),
        (staff["rep_a1"], TOWNSHIP_A),
        (staff["auditor"], COUNTY),
        (staff["admin"], VILLAGE_A1),
    ):
        with pytest.raises(PermissionError):
            agreement(actor, unit)
    assert agreement(staff["admin"], COUNTY).orgunit_id == COUNTY
    assert Agreement.objects.count() == 2


def test_saving_again_replaces_the_targets_and_is_audited(staff: dict[str, Any]) -> None:
    first = agreement(staff["admin"], COUNTY)
    again = agreement(
        staff["admin"], COUNTY, targets=[spec("births", 100, "higher", 100, floor=50)]
    )
    assert again.pk == first.pk
    assert list(again.targets.values_list("indicator", flat=True)) == ["births"]
    rows = AuditLog.objects.filter(action="targets.agreement.saved").order_by("pk")
    assert [r.object_id for r in rows] == [str(first.pk)] * 2
    assert len(rows[1].before["targets"]) == 4 and len(rows[1].after["targets"]) == 1


def test_last_years_agreement_is_copied_in_one_step(staff: dict[str, Any]) -> None:
    last = agreement(staff["admin"], COUNTY, year=2024, watch_line=70.0)
    county = OrgUnit.objects.get(code=COUNTY)
    copied = agreement_copy(unit=county, year=2025, actor=staff["admin"])
    assert (copied.year, copied.watch_line, copied.total_weight) == (2025, 70.0, 100.0)
    fields = ("indicator", "target_value", "direction", "weight", "rule", "floor", "lenient")
    assert list(copied.targets.values_list(*fields)) == list(last.targets.values_list(*fields))
    assert AuditLog.objects.filter(action="targets.agreement.copied").count() == 1
    with translation.override("en"), pytest.raises(TargetsRefused, match="has an agreement"):
        agreement_copy(unit=county, year=2025, actor=staff["admin"])
    with translation.override("en"), pytest.raises(TargetsRefused, match="no agreement of 2022"):
        agreement_copy(unit=county, year=2023, actor=staff["admin"])
    with pytest.raises(PermissionError):
        agreement_copy(unit=county, year=2026, actor=staff["stat_a"])
