"""Payment files, the bank's result, re-issue of failures and the disbursement rate."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from renkou.benefits.models import BankAccount, Entitlement, Payment
from renkou.benefits.payments import (
    NothingToPay,
    batch_create,
    batch_reconcile,
    disbursement_rate,
)
from renkou.benefits.services import (
    bank_account_set,
    cycle_approve,
    cycle_compute,
    cycle_notice,
)
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, VILLAGE_A1, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def approved(tmp_path):
    load_families(tmp_path / "families")
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    cycle = cycle_compute(
        programme="rural_reward", year=2024, orgunit=OrgUnit.objects.get(code=COUNTY), actor=clerk
    )
    cycle_notice(cycle=cycle, start=D(2024, 3, 1), days=7, actor=clerk, today=D(2024, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    bank_account_set(
        person=Person.objects.get(person_ref="RR_F"),
        bank="农商银行",
        account="6230 0000 1111 2222",
        actor=clerk,
    )
    bank_account_set(
        person=Person.objects.get(person_ref="G_M"),
        bank="邮储银行",
        account="6210000033334444",
        actor=clerk,
    )
    return cycle, clerk


def test_account_is_stored_only_encrypted_and_masked(approved):
    acc = BankAccount.objects.get(person__person_ref="RR_F")
    assert acc.account_masked == "************2222"
    assert "6230" not in acc.account_enc and len(acc.account_hash) == 64


def test_payment_file_then_bank_result_then_reissue(
    approved, tmp_path, django_capture_on_commit_callbacks
):
    cycle, clerk = approved
    # the file is renamed into place when the batch commits (here: the callbacks run)
    with django_capture_on_commit_callbacks(execute=True):
        first = batch_create(cycle=cycle, path=tmp_path / "pay1.csv", actor=clerk)
    assert (first.lines, first.total) == (2, Decimal("2880.00"))
    no_account = Person.objects.filter(pk__in=first.missing_account)
    assert sorted(no_account.values_list("person_ref", flat=True)) == ["B_F", "B_M"]
    rr_f, g_m = Person.objects.get(person_ref="RR_F"), Person.objects.get(person_ref="G_M")
    with (tmp_path / "pay1.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    # the bank's template (直通车), the page's language being Chinese (the default)
    assert table[0] == ["姓名", "身份证号", "账号", "金额", "备注"]
    rows = {r[4].rsplit(" ", 1)[1]: r for r in table[1:]}
    line = rows[f"B{first.batch.pk}-{rr_f.pk}"]
    assert line[2:] == [
        "6230000011112222",
        "1440.00",
        f"农村部分计划生育家庭奖励扶助 2024年1-12月 B{first.batch.pk}-{rr_f.pk}",
    ]
    assert line[0] == rr_f.name
    assert line[1][:6] == "330122" and line[1][6:14] == "********" and len(line[1]) == 18
    # the bank pays one, fails the other (its result names the lines by their reference)
    refs = [f"B{first.batch.pk}-{rr_f.pk}", f"B{first.batch.pk}-{g_m.pk}"]
    result = tmp_path / "result.csv"
    result.write_text(
        f"参考号,状态,原因\n{refs[0]},成功,\n{refs[1]},失败,账户已销户\n", encoding="utf-8"
    )
    assert batch_reconcile(batch=first.batch, path=result, actor=clerk) == {"paid": 1, "failed": 1}
    failed = Payment.objects.get(reference=refs[1])
    assert (failed.status, failed.failure_reason) == ("failed", "账户已销户")
    assert Entitlement.objects.filter(cycle=cycle, status="paid").count() == 12
    assert Entitlement.objects.filter(cycle=cycle, status="failed").count() == 12
    ((village, owed, paid, rate),) = disbursement_rate(cycle)
    # four eligible (B_M and B_F too: one child, who died in 2024), two without an account
    assert (village, owed, paid, rate) == (VILLAGE_A1, Decimal("5760"), Decimal("1440"), 0.25)
    # the failed line waits while the account is the one that failed: no file, and why
    with pytest.raises(NothingToPay) as nothing:
        batch_create(cycle=cycle, path=tmp_path / "pay2.xlsx", actor=clerk)
    assert nothing.value.waiting == [g_m.pk]
    assert not (tmp_path / "pay2.xlsx").exists()
    # the account corrected: the failed months go into the next file, as xlsx, new reference
    bank_account_set(person=g_m, bank="邮储银行", account="6210000055556666", actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        second = batch_create(cycle=cycle, path=tmp_path / "pay2.xlsx", actor=clerk)
    assert (second.lines, second.total) == (1, Decimal("1440.00"))
    sheet = CalamineWorkbook.from_path(str(tmp_path / "pay2.xlsx")).get_sheet_by_index(0)
    table = sheet.to_python()
    assert table[0][0] == "姓名" and table[1][2:4] == ["6210000055556666", 1440.0]
    assert table[1][4].endswith(f"B{second.batch.pk}-{g_m.pk}")
    assert Payment.objects.get(batch=second.batch).reference == f"B{second.batch.pk}-{g_m.pk}"
    assert Payment.objects.filter(person=g_m).count() == 2  # two lines, two references
    assert AuditLog.objects.filter(action="benefits.payment_file.exported").count() == 2
