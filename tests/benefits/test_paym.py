"""Issue 18, items 4 and 6: no empty payment file, failed lines wait for a corrected
account, the childcare application (申领) pays the months applied for to the applicant, a
payee's death, and the bank's template (直通车) in the page's language."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import translation

from renkou.benefits.models import ChildcareApplication, Entitlement, Payment, PaymentBatch
from renkou.benefits.payments import (
    NothingToPay,
    batch_create,
    batch_file,
    batch_reconcile,
    mask_id_number,
)
from renkou.benefits.services import (
    CycleError,
    bank_account_set,
    childcare_application_end,
    childcare_apply,
    cycle_approve,
    cycle_compute,
    cycle_notice,
    entitlements_stop_after_death,
)
from renkou.core.crypto import decrypt
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def childcare(tmp_path):
    """The approved childcare cycle of 2025; the mother T_M has an account."""
    load_families(tmp_path / "families")
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    cycle = cycle_compute(
        programme="childcare", year=2025, orgunit=OrgUnit.objects.get(code=COUNTY), actor=clerk
    )
    cycle_notice(cycle=cycle, start=D(2025, 3, 1), days=7, actor=clerk, today=D(2025, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2025, 3, 8))
    mother = Person.objects.get(person_ref="T_M")
    bank_account_set(person=mother, bank="农商银行", account="6230000011112222", actor=clerk)
    return cycle, clerk, mother


def _apply(child, applicant, first, last, clerk):
    return childcare_apply(
        child=child,
        applicant=applicant,
        applied_on=D(2025, 1, 10),
        first_month=first,
        last_month=last,
        actor=clerk,
    )


def _ref(name: str) -> Person:
    return Person.objects.get(person_ref=name)


def test_an_application_is_refused_for_a_non_parent_and_for_months_outside_the_window(
    childcare,
):
    _cycle, clerk, mother = childcare
    t1, k_c, j_c = _ref("T_1"), _ref("K_C"), _ref("J_C")
    with translation.override("en"):
        with pytest.raises(CycleError, match="is not a parent of"):
            _apply(t1, _ref("RR_F"), D(2025, 1, 1), D(2025, 6, 1), clerk)
        # K_C, born 2022-03-10: the subsidy pays 2025-01 (in force) to 2025-02 (before 3)
        with pytest.raises(CycleError, match=r"from 2025-01 to 2025-02 .* 2024-12 to 2025-02"):
            _apply(k_c, mother, D(2024, 12, 1), D(2025, 2, 1), clerk)
        with pytest.raises(CycleError, match="2025-01 to 2025-03 lies outside"):
            _apply(k_c, mother, D(2025, 1, 1), D(2025, 3, 1), clerk)
        # J_C, born 2025-06-15: no month before the birth month
        with pytest.raises(CycleError, match="from 2025-06 to 2028-05"):
            _apply(j_c, mother, D(2025, 5, 1), D(2025, 12, 1), clerk)
    with translation.override("zh-hans"):
        with pytest.raises(CycleError, match="不是") as refused:
            _apply(t1, _ref("RR_F"), D(2025, 1, 1), D(2025, 6, 1), clerk)
        assert "parent" not in str(refused.value)
    first = _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    assert _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk) == first  # idempotent
    with translation.override("en"), pytest.raises(CycleError, match="applied for once"):
        _apply(t1, mother, D(2025, 6, 1), D(2025, 12, 1), clerk)
    assert ChildcareApplication.objects.count() == 1
    assert AuditLog.objects.filter(action="benefits.childcare_application.recorded").count() == 1


def test_childcare_pays_only_the_months_applied_for_to_the_applicant(childcare):
    cycle, clerk, mother = childcare
    t1 = _ref("T_1")
    with pytest.raises(NothingToPay):  # nobody applied: no batch
        batch_create(cycle=cycle, path=None, actor=clerk)
    assert not PaymentBatch.objects.exists()
    _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    result = batch_create(cycle=cycle, path=None, actor=clerk)
    assert (result.lines, result.total, result.not_applied) == (1, Decimal("1800.00"), 4)
    line = Payment.objects.get(batch=result.batch)
    assert (line.person_id, line.payee_id) == (t1.pk, mother.pk)
    statuses = dict(Entitlement.objects.filter(person=t1).values_list("month", "status"))
    assert {statuses[D(2025, m, 1)] for m in range(1, 7)} == {"in_batch"}
    assert {statuses[D(2025, m, 1)] for m in range(7, 13)} == {"due"}  # not applied for
    # the file: the mother's name and account, the child's months in the note
    data = batch_file(batch=result.batch, suffix=".csv", actor=clerk)
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    reference = f"B{result.batch.pk}-{t1.pk}"
    assert table == [
        ["姓名", "身份证号", "账号", "金额", "备注"],
        [
            mother.name,
            mask_id_number(decrypt(mother.id_number_enc)),
            "6230000011112222",
            "1800.00",
            f"育儿补贴 2025年1-6月 {reference}",
        ],
    ]
    with translation.override("en"):
        data = batch_file(batch=result.batch, suffix=".csv", actor=clerk)
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["Name", "ID number", "Account", "Amount", "Note"]
    assert table[1][4] == f"Childcare subsidy 2025-01 to 2025-06 {reference}"


def test_a_result_without_a_reference_column_is_matched_by_the_note(childcare, tmp_path):
    cycle, clerk, mother = childcare
    t1 = _ref("T_1")
    _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    batch = batch_create(cycle=cycle, path=None, actor=clerk).batch
    lines = list(
        csv.reader(
            io.StringIO(batch_file(batch=batch, suffix=".csv", actor=clerk).decode("utf-8-sig"))
        )
    )
    result = tmp_path / "回执.csv"
    with result.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*lines[0], "状态"])
        writer.writerow([*lines[1], "成功"])
    assert batch_reconcile(batch=batch, path=result, actor=clerk) == {"paid": 1, "failed": 0}
    assert set(Entitlement.objects.filter(batch=batch).values_list("status", flat=True)) == {"paid"}
    broken = tmp_path / "broken.csv"
    broken.write_text("姓名,备注,状态\n某,育儿补贴 2025年1-6月,成功\n", encoding="utf-8")
    with (
        translation.override("en"),
        pytest.raises(CycleError, match=r"broken.csv, row 2, column 备注: the reference is empty"),
    ):
        batch_reconcile(batch=batch, path=broken, actor=clerk)


def test_the_payees_death_stops_later_months_and_flags_those_paid_after_it(childcare, tmp_path):
    cycle, clerk, mother = childcare
    t1 = _ref("T_1")
    _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    batch = batch_create(cycle=cycle, path=None, actor=clerk).batch
    result = tmp_path / "result.csv"
    result.write_text(f"参考号,状态\nB{batch.pk}-{t1.pk},成功\n", encoding="utf-8")
    batch_reconcile(batch=batch, path=result, actor=clerk)
    # the mother dies on 2025-03-15 (recorded after the payment)
    Person.objects.filter(pk=mother.pk).update(status="dead", death_date=D(2025, 3, 15))
    assert entitlements_stop_after_death(actor=clerk) == {"stopped": 0, "flagged": 3}
    statuses = dict(Entitlement.objects.filter(person=t1).values_list("month", "status"))
    assert [statuses[D(2025, m, 1)] for m in range(1, 8)] == [
        *["paid"] * 3,
        *["recover"] * 3,
        "due",
    ]
    assert entitlements_stop_after_death(actor=clerk) == {"stopped": 0, "flagged": 0}
    mother.refresh_from_db()
    with translation.override("en"), pytest.raises(CycleError, match="has died"):
        _apply(_ref("T_2"), mother, D(2025, 1, 1), D(2025, 6, 1), clerk)


def test_months_after_the_applicants_death_are_not_paid(childcare):
    cycle, clerk, mother = childcare
    t1 = _ref("T_1")
    _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    Person.objects.filter(pk=mother.pk).update(status="dead", death_date=D(2025, 2, 10))
    result = batch_create(cycle=cycle, path=None, actor=clerk)
    assert (result.lines, result.total) == (1, Decimal("600.00"))  # January and February
    statuses = dict(Entitlement.objects.filter(person=t1).values_list("month", "status"))
    assert [statuses[D(2025, m, 1)] for m in range(1, 5)] == ["in_batch"] * 2 + ["due"] * 2


def test_the_identity_number_is_masked_as_configured(settings):
    assert mask_id_number("330122199505150018") == "330122********0018"
    settings.RENKOU_PAYMENT_ID_SHOWN = (3, 0)
    assert mask_id_number("330122199505150018") == "330" + "*" * 15
    settings.RENKOU_PAYMENT_ID_SHOWN = (18, 0)
    assert mask_id_number("330122199505150018") == "330122199505150018"


CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")
REASONS = [
    {"code": "child_born", "status": 1, "date": "2025-01-01"},
    {"code": "under_age", "status": 1, "date": "2028-01-01"},
    {"code": "registered_here", "status": 1},
    {"code": "registered_here", "status": -1},
    {"code": "child_alive", "status": 1},
    {"code": "child_alive", "status": 0, "date": "2025-04-20"},
    {"code": "child_alive", "status": -1},
    {"code": "alive", "status": 1},
    {"code": "parent_alive", "status": 0, "date": "2024-01-02"},
    {"code": "has_guardian", "status": 1},
    {"code": "has_guardian", "status": -1},
    {"code": "no_other_child", "status": 1},
    {"code": "no_other_child", "status": 0, "n": 2, "date": "2019-05-05"},
    {"code": "child_died_or_disabled", "status": 1, "variant": "died", "date": "2020-05-01"},
    {"code": "child_died_or_disabled", "status": 1},
    {"code": "mother_age", "status": 1, "n": 49, "date": "2024-03-02"},
    {"code": "mother_age", "status": -1},
    {"code": "rural", "status": 1},
    {"code": "rural", "status": -1},
    {"code": "age", "status": 1, "n": 60, "date": "2024-01-01"},
    {"code": "children", "status": 1, "variant": "one_child"},
    {"code": "children", "status": 1, "variant": "two_daughters"},
    {"code": "children", "status": 0, "variant": "none_living"},
    {"code": "children", "status": 0, "n": 3},
    {"code": "children", "status": -1},
    {"code": "certificate", "status": 1, "date": "2001-01-01"},
    {"code": "objection", "status": 0, "date": "2025-03-05"},
    {"code": "child_young", "status": 1, "n": 18, "date": "2030-01-01"},
]


def test_every_parameter_description_and_reason_is_in_the_pages_language():
    """Each parameter's description, each reason and each missing fact: English on an
    English page (no Chinese), Chinese on a Chinese page (no English word)."""
    from renkou.benefits.parameter_labels import parameter_label
    from renkou.benefits.parameters import all_parameters
    from renkou.benefits.reasons import MISSING_FACTS, render, summary

    texts: dict[str, list[str]] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            out = [parameter_label(path) for path, _d, _v in all_parameters()]
            out += [render(item) for item in REASONS]
            out += [str(label) for label, _kind in MISSING_FACTS.values()]
            out.append(summary("undecided", [{"code": "rural", "status": -1}]))
            texts[language] = out
    assert all(texts["en"]) and len(texts["en"]) == len(texts["zh-hans"])
    for english, chinese in zip(texts["en"], texts["zh-hans"], strict=True):
        assert not CJK.search(english), english
        assert CJK.search(chinese) and not LATIN.search(chinese), (english, chinese)


def test_an_application_ends_early_or_is_withdrawn_but_never_drops_a_month_sent(childcare):
    cycle, clerk, mother = childcare
    t1, j_c, k_c = _ref("T_1"), _ref("J_C"), _ref("K_C")
    sent = _apply(t1, mother, D(2025, 1, 1), D(2025, 6, 1), clerk)
    batch_create(cycle=cycle, path=None, actor=clerk)  # T_1's six months in a file
    with pytest.raises(CycleError, match="2025-06"):  # the latest month sent
        childcare_application_end(
            application=sent, last_month=D(2025, 3, 1), reason="搬走", actor=clerk
        )
    with pytest.raises(CycleError):  # a reason is needed
        childcare_application_end(application=sent, last_month=None, reason=" ", actor=clerk)
    later = _apply(j_c, mother, D(2025, 6, 1), D(2025, 12, 1), clerk)
    with pytest.raises(CycleError):  # not after the application's own last month
        childcare_application_end(
            application=later, last_month=D(2025, 12, 1), reason="x", actor=clerk
        )
    childcare_application_end(
        application=later, last_month=D(2025, 9, 1), reason="随父迁出", actor=clerk
    )
    withdrawn = _apply(k_c, mother, D(2025, 1, 1), D(2025, 2, 1), clerk)
    assert (
        childcare_application_end(
            application=withdrawn, last_month=None, reason="重复申领", actor=clerk
        )
        is None
    )
    assert not ChildcareApplication.objects.filter(child=k_c).exists()
    # the next file pays J_C's June to September alone: 4 months of 300 yuan
    result = batch_create(cycle=cycle, path=None, actor=clerk)
    assert (result.lines, result.total) == (1, Decimal("1200.00"))
    assert Payment.objects.get(batch=result.batch).person_id == j_c.pk
    log = AuditLog.objects.filter(action="benefits.childcare_application.ended").order_by("pk")
    assert [(e.reason, e.after) for e in log] == [
        ("随父迁出", {"last_month": "2025-09-01"}),
        ("重复申领", {"withdrawn": True}),
    ]
