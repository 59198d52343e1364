"""Fact files (issue 18, item 1): bank accounts, disability records, only-child certificates,
adoptions and revocations imported through the exchange's reading machinery, each bad row
refused with its row, column and reason, the rest recorded, a re-import changing nothing."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from renkou.benefits.facts_import import fact_import, is_card_number, luhn_ok
from renkou.benefits.models import Adoption, BankAccount, DisabilityRecord, OnlyChildCertificate
from renkou.benefits.models_facts import FactImport, FactProblem
from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, id_number, today, user_with_role
from tests.exchange.xlsx import write_xlsx

pytestmark = pytest.mark.django_db

P1 = id_number("1990-03-05", 11)  # 张伟, A1
P2 = id_number("1992-07-20", 22)  # 李丽, A1, mother of 张小明
P3 = id_number("2021-01-15", 31)  # 张小明, A1, child of P1 and P2
P4 = id_number("1940-02-02", 42)  # 张奶奶, A2, died 2023-05-01
STRANGER = id_number("1980-01-01", 91)  # in no register


def _card(prefix: str) -> str:
    """A 19-digit card number with a right Luhn check digit, computed here."""
    body = prefix.ljust(18, "7")
    for last in "0123456789":
        digits = [int(c) for c in body + last]
        total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
        if total % 10 == 0:
            return body + last
    raise AssertionError


GOOD_CARD = _card("621700")
BAD_CARD = GOOD_CARD[:-1] + str((int(GOOD_CARD[-1]) + 1) % 10)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _import(path: Path, kind: str, unit: str = TOWNSHIP_A):
    return fact_import(
        path=path,
        kind=kind,
        orgunit=OrgUnit.objects.get(code=unit),
        actor="test",
        today=today(),
    )


def _refused(imp: FactImport) -> list[tuple[int, str, str]]:
    return [(p.row_number, p.column, p.code) for p in imp.problems.order_by("row_number", "pk")]


def test_luhn_of_known_numbers() -> None:
    assert luhn_ok("4539578763621486") and not luhn_ok("4539578763621487")
    assert luhn_ok(GOOD_CARD) and not luhn_ok(BAD_CARD)
    assert is_card_number(GOOD_CARD) and not is_card_number("1234567890123")


def test_bank_accounts_recorded_and_each_bad_row_refused(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "accounts.csv",
        [
            ["序号", "户名", "身份证号码", "开户银行", "银行卡号", "启用日期"],
            ["1", "张伟", P1, "农商银行", GOOD_CARD, "2025-01-01"],
            ["2", "李丽", P2, "农商银行", "6228 4800 1234 5", ""],  # 15 digits: no card
            ["3", "张小明", P3, "农商银行", "622848001234567", ""],  # a child: the parent
            ["4", "张奶奶", P4, "农商银行", "622848001234568", ""],  # died
            ["5", "某人", STRANGER, "农商银行", "622848001234569", ""],  # not registered
            ["6", "张三", P1, "农商银行", GOOD_CARD, ""],  # another name
            ["7", "李丽", P2, "农商银行", BAD_CARD, ""],  # card check digit wrong
            ["8", "李丽", P2, "农商银行", "12ab", ""],  # not digits
            ["9", "张伟", P1, "农商银行", GOOD_CARD, "2025-01-01"],  # the same as row 2
        ],
    )
    result = _import(path, "bank_accounts")
    imp = result.fact_import
    assert result.created
    # file rows are numbered from the header (row 1): data row n is file row n + 1
    assert _refused(imp) == [
        (4, "身份证号码", "account_payee_minor"),
        (5, "身份证号码", "account_payee_dead"),
        (6, "身份证号码", "fact_person_unknown"),
        (7, "户名", "fact_name_mismatch"),
        (8, "银行卡号", "account_check_digit"),
        (9, "银行卡号", "account_digits"),
        (10, "银行卡号", "fact_duplicate"),
    ]
    assert (imp.rows_total, imp.rows_applied, imp.rows_unchanged, imp.rows_quarantined) == (
        9,
        2,
        0,
        7,
    )
    p1 = BankAccount.objects.get(person__id_number_hash=crypto.blind_index(P1))
    assert crypto.decrypt(p1.account_enc) == GOOD_CARD
    assert p1.account_masked == "*" * 15 + GOOD_CARD[-4:]
    assert p1.valid_from == datetime.date(2025, 1, 1) and p1.source_import == imp
    p2 = BankAccount.objects.get(person__id_number_hash=crypto.blind_index(P2))
    assert crypto.decrypt(p2.account_enc) == "6228480012345"  # its spaces dropped
    # nothing of an identity number or an account is shown in clear in a refusal
    for p in FactProblem.objects.all():
        assert P1 not in p.value and STRANGER not in p.value and BAD_CARD not in p.value
    minor = imp.problems.get(code="account_payee_minor")
    assert "张*明" in minor.reason_zh and "parent" in minor.reason_en
    log = AuditLog.objects.get(action="benefits.facts.imported")
    assert log.after["recorded"] == 2 and log.after["refused"] == 7
    assert GOOD_CARD not in str(log.after)


def test_the_same_file_again_and_the_same_facts_in_another_file_change_nothing(
    county, tmp_path
) -> None:
    rows = [["姓名", "身份证号", "开户行", "账号"], ["张伟", P1, "农商银行", GOOD_CARD]]
    first = _import(_csv(tmp_path / "a.csv", rows), "bank_accounts")
    again = _import(_csv(tmp_path / "a-copy.csv", rows), "bank_accounts")
    assert (again.created, again.fact_import.pk) == (False, first.fact_import.pk)
    xlsx = _import(write_xlsx(tmp_path / "a.xlsx", rows), "bank_accounts")
    assert xlsx.created
    assert (xlsx.fact_import.rows_applied, xlsx.fact_import.rows_unchanged) == (0, 1)
    assert BankAccount.objects.count() == 1
    # a new account replaces the old one
    rows[1][3] = "622848001234567"
    changed = _import(_csv(tmp_path / "b.csv", rows), "bank_accounts").fact_import
    assert changed.rows_applied == 1
    assert crypto.decrypt(BankAccount.objects.get().account_enc) == "622848001234567"


def test_two_accounts_for_one_person_in_one_file_are_both_refused(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "accounts.csv",
        [
            ["姓名", "身份证号", "开户行", "账号"],
            ["张伟", P1, "农商银行", GOOD_CARD],
            ["李丽", P2, "农商银行", "622848001234567"],
            ["张伟", P1, "农商银行", "622848001234568"],
        ],
    )
    imp = _import(path, "bank_accounts").fact_import
    assert _refused(imp) == [(2, "账号", "fact_conflict"), (4, "账号", "fact_conflict")]
    assert imp.rows_applied == 1
    assert list(BankAccount.objects.values_list("person__name", flat=True)) == ["李丽"]
    with translation.override("en"):
        assert "row 4" in imp.problems.get(row_number=2).reason_en


def test_persons_outside_the_area_are_refused(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "a.csv",
        [["姓名", "身份证号", "开户行", "账号"], ["张伟", P1, "农商", GOOD_CARD]],
    )
    imp = _import(path, "bank_accounts", unit=TOWNSHIP_B).fact_import
    assert _refused(imp) == [(2, "身份证号", "fact_person_outside")]
    assert BankAccount.objects.count() == 0


def test_a_file_without_a_required_column_leaves_nothing(county, tmp_path) -> None:
    path = _csv(tmp_path / "a.csv", [["姓名", "身份证号", "账号"], ["张伟", P1, GOOD_CARD]])
    with pytest.raises(InputRefused) as refused:
        _import(path, "bank_accounts")
    (p,) = refused.value.problems
    assert (p.code, p.column) == ("roster_column_missing", "bank")
    assert "开户银行" in p.message_zh
    assert FactImport.objects.count() == 0 and BankAccount.objects.count() == 0


def test_disability_records(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "disability.csv",
        [
            ["姓名", "身份证号", "残疾等级", "残疾证号", "发证日期", "有效期至", "来源"],
            ["张伟", P1, "二级", "D1", "2020-01-01", "", "县残联"],
            ["李丽", P2, "5", "D2", "2020-01-01", "", ""],  # no grade 5
            ["李丽", P2, "3", "D3", "2022-01-01", "2021-01-01", ""],  # ends before it starts
            ["张伟", P1, "2级", "D1", "2020-01-01", "", "县残联"],  # the same as row 2
        ],
    )
    imp = _import(path, "disability_records").fact_import
    assert _refused(imp) == [
        (3, "残疾等级", "grade_invalid"),
        (4, "有效期至", "dates_order"),
        (5, "残疾等级", "fact_duplicate"),
    ]
    record = DisabilityRecord.objects.get()
    assert (record.grade, record.certificate_number, record.source) == (2, "D1", "县残联")
    # the record ended by a later file: the same record, its end date set
    ended = _csv(
        tmp_path / "ended.csv",
        [
            ["姓名", "身份证号", "残疾等级", "残疾证号", "发证日期", "有效期至"],
            ["张伟", P1, "2", "D1", "2020-01-01", "2024-12-31"],
        ],
    )
    imp2 = _import(ended, "disability_records").fact_import
    assert imp2.rows_applied == 1
    record.refresh_from_db()
    assert record.valid_until == datetime.date(2024, 12, 31) and record.source == "县残联"
    assert DisabilityRecord.objects.count() == 1


def test_only_child_certificates_one_child_per_certificate(county, tmp_path) -> None:
    # 张伟 adopted 张奶奶 (as the register may say of anyone): a second child of his
    p1, p4 = (Person.objects.get(name=n) for n in ("张伟", "张奶奶"))
    Adoption.objects.create(parent=p1, child=p4, adopted_on=datetime.date(2000, 1, 1))
    path = _csv(
        tmp_path / "certificates.csv",
        [
            ["持证人姓名", "持证人身份证号", "子女姓名", "子女身份证号", "光荣证编号", "发证日期"],
            ["李丽", P2, "张小明", P3, "C-1", "2021-06-01"],
            ["张伟", P1, "张小明", P3, "C-1", "2021-06-01"],  # the other parent: kept
            ["张伟", P1, "李丽", P2, "C-2", "2021-06-01"],  # not his child
            ["李丽", P2, "张小明", P3, "C-9", "2021-06-01"],
            ["张伟", P1, "张伟", P1, "C-8", "2021-06-01"],  # himself: not his child
            ["张伟", P1, "张奶奶", P4, "C-9", "2021-06-01"],  # C-9 for another child too
        ],
    )
    imp = _import(path, "only_child_certificates").fact_import
    assert _refused(imp) == [
        (4, "子女身份证号", "certificate_not_parent"),
        (5, "光荣证编号", "fact_conflict"),
        (6, "子女身份证号", "certificate_not_parent"),
        (7, "光荣证编号", "fact_conflict"),
    ]
    assert sorted(OnlyChildCertificate.objects.values_list("holder__name", "number")) == [
        ("张伟", "C-1"),
        ("李丽", "C-1"),
    ]


def test_a_certificate_number_recorded_for_another_child_is_refused(county, tmp_path) -> None:
    p1, p3 = (Person.objects.get(name=n) for n in ("张伟", "张小明"))
    OnlyChildCertificate.objects.create(holder=p1, child=p1, number="C-7", issued_on=today())
    path = _csv(
        tmp_path / "c.csv",
        [
            ["持证人姓名", "持证人身份证号", "子女姓名", "子女身份证号", "证号", "发证日期"],
            ["李丽", P2, "张小明", P3, "C-7", "2021-06-01"],
        ],
    )
    imp = _import(path, "only_child_certificates").fact_import
    assert _refused(imp) == [(2, "证号", "certificate_other_child")]
    assert not OnlyChildCertificate.objects.filter(child=p3).exists()


def test_adoptions_and_revocations(county, tmp_path) -> None:
    adoptions = _csv(
        tmp_path / "adoptions.csv",
        [
            ["收养人姓名", "收养人身份证号", "被收养人姓名", "被收养人身份证号", "收养日期"],
            ["张伟", P1, "张小明", P3, "2021-03-01"],
            ["张伟", P1, "张伟", P1, "2021-03-01"],  # himself
            ["张小明", P3, "张伟", P1, "2021-03-01"],  # an older child
        ],
    )
    imp = _import(adoptions, "adoptions").fact_import
    assert _refused(imp) == [
        (3, "被收养人身份证号", "adoption_same_person"),
        (4, "被收养人身份证号", "adoption_child_older"),
    ]
    assert Adoption.objects.get().adopted_on == datetime.date(2021, 3, 1)

    p2, p3 = (Person.objects.get(name=n) for n in ("李丽", "张小明"))
    OnlyChildCertificate.objects.create(holder=p2, child=p3, number="C-1", issued_on=today())
    revoked = _csv(
        tmp_path / "revoked.csv",
        [
            ["光荣证编号", "持证人身份证号", "注销日期", "注销原因"],
            ["C-1", P2, "2025-03-01", "再生育"],
            ["C-404", "", "2025-03-01", ""],  # no such certificate
        ],
    )
    imp = _import(revoked, "certificate_revocations").fact_import
    assert _refused(imp) == [(3, "光荣证编号", "certificate_unknown")]
    assert OnlyChildCertificate.objects.get().revoked_on == datetime.date(2025, 3, 1)
    same = _csv(tmp_path / "same.csv", [["光荣证编号", "注销日期"], ["C-1", "2025-03-01"]])
    imp = _import(same, "certificate_revocations").fact_import
    assert (imp.rows_unchanged, imp.rows_applied, imp.rows_quarantined) == (1, 0, 0)
    other = _csv(tmp_path / "other.csv", [["光荣证编号", "注销日期"], ["C-1", "2025-04-01"]])
    imp = _import(other, "certificate_revocations").fact_import
    assert _refused(imp) == [(2, "注销日期", "certificate_revoked_other_day")]
    both = _csv(
        tmp_path / "both.csv",
        [["光荣证编号", "注销日期"], ["C-1", "2025-03-01"], ["C-1", "2025-04-01"]],
    )
    imp = _import(both, "certificate_revocations").fact_import
    assert _refused(imp) == [(2, "注销日期", "fact_conflict"), (3, "注销日期", "fact_conflict")]
    assert OnlyChildCertificate.objects.get().revoked_on == datetime.date(2025, 3, 1)


def test_the_command_imports_a_file_and_lists_its_refused_rows(county, tmp_path) -> None:
    user_with_role("clerk", "county_admin", COUNTY)
    path = _csv(
        tmp_path / "accounts.csv",
        [
            ["姓名", "身份证号", "开户行", "账号"],
            ["张伟", P1, "农商", GOOD_CARD],
            ["某", STRANGER, "农商", GOOD_CARD],
        ],
    )
    out, err = io.StringIO(), io.StringIO()
    args = ("benefits", "import", "bank_accounts", str(path), "--area", TOWNSHIP_A, "--as", "clerk")
    call_command(*args, stdout=out, stderr=err)
    text = out.getvalue()
    assert "2 rows, 1 recorded, 0 already recorded, 1 refused" in text
    assert "row 3, 身份证号:" in text and "not in the register" in text
    assert "100%" in err.getvalue()
    again = io.StringIO()
    call_command(*args, stdout=again)
    assert "imported before" in again.getvalue()
    with pytest.raises(CommandError, match="may not run benefit cycles"):
        user_with_role("rep", "reporter", TOWNSHIP_A)
        call_command(
            "benefits", "import", "bank_accounts", str(path), "--area", TOWNSHIP_A, "--as", "rep"
        )
