"""Damaged identity numbers (issue 17, item 1): staged, linked by their repairs and other
fields, the problem said in words; only rows with nothing to link on are quarantined."""

from __future__ import annotations

import pytest
from django.utils import translation

from renkou.core.models import AuditLog
from renkou.exchange.evidence import evidence_lines
from renkou.exchange.models import Outcome, QuarantinedRow
from tests.builders import id_number
from tests.exchange.test_linking import _csv, _linked

P1 = id_number("1990-03-05", 11)  # 张伟, M
P2 = id_number("1992-07-20", 22)  # 李丽, F, wife of 张伟, mother of 张小明 (2021-01-15)


def _transposed(number: str) -> str:
    """``number`` with the first adjacent pair of different digits after the region swapped,
    checked to be invalid (a transposition changes the check sum unless the digits agree)."""
    for i in range(6, 16):
        if number[i] != number[i + 1]:
            out = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            return out
    raise AssertionError("no pair to swap")


def _wrong_digit(number: str, position: int = 3) -> str:
    digit = str((int(number[position]) + 1) % 10)
    return number[:position] + digit + number[position + 1 :]


def _words(evidence: dict, kind: str, language: str) -> str:
    with translation.override(language):
        return " | ".join(f"{line.field}: {line.text}" for line in evidence_lines(evidence, kind))


def test_the_damaged_numbers_of_the_tests_are_invalid() -> None:
    from renkou.core.idnumber import is_valid

    for bad in (_transposed(P1), _wrong_digit(P1), P1[:15] + "000", P1[:17]):
        assert not is_valid(bad, check_region=False)


@pytest.mark.django_db
def test_person_rows_with_damaged_numbers_are_linked_to_the_right_person(county, tmp_path) -> None:
    dashes = f"{P1[:6]}-{P1[6:14]}-{P1[14:]}"
    path = _csv(
        tmp_path / "police.csv",
        [
            ["姓名", "性别", "出生日期", "公民身份号码"],
            ["张伟", "男", "1990-03-05", _transposed(P1)],
            ["张伟", "男", "1990-03-05", _wrong_digit(P1)],
            ["张伟", "男", "1990-03-05", dashes],
            ["张伟", "男", "1990-03-05", P1[:15] + "000"],  # Excel kept 15 digits
            ["张伟", "男", "1990-03-05", P1[:17]],  # the last character cut off
            ["张伟", "男", "1990-05-03", P1],  # the row's birth date: day and month swapped
            ["张伟", "男", "1990-03-05", "3.30122E+17"],  # nothing left of it: by name
            ["张伟", "男", "1990-03-05", P1[:6] + P1[8:17]],  # the old 15-digit form
        ],
    )
    imp = _linked(path, "police_register")
    assert (imp.rows_total, imp.rows_staged, imp.rows_quarantined) == (8, 8, 0)
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    problems = {
        2: "checksum",
        3: "checksum",
        4: "dashes",
        5: "excel",
        6: "too_short",
        7: "birth_mismatch",
        8: "excel",
    }
    for number, code in problems.items():
        row = rows[number]
        assert row.person is not None and row.person.person_ref == "P1", number
        assert row.id_hashes["problems"] == {"id_number": code}, number
        assert row.evidence["id_problems"] == {"id_number": code}, number
        assert P1 not in str(row.values) and P1 not in str(row.evidence), number
        assert P1[6:14] not in row.values["id_number"], number  # masked
    for number in (2, 3, 5, 6):
        assert rows[number].outcome == Outcome.MATCHED and rows[number].probability == 1.0
        assert rows[number].evidence["id_repaired"] is True
        words = _words(rows[number].evidence, imp.kind, "en")
        assert "plausible repair" in words and "Identity number on the roster" in words
        assert "身份证号" in _words(rows[number].evidence, imp.kind, "zh-hans")
    assert rows[4].outcome == Outcome.MATCHED and "dashes" in _words(rows[4].evidence, "", "en")
    # A valid number whose birth date is not the row's: linked by it, the dates conflict.
    assert rows[7].outcome == Outcome.CONFLICTS
    assert rows[7].evidence["conflicts"]["birth_date"] == ["1990-05-03", "1990-03-05"]
    assert "is not the roster's birth date" in _words(rows[7].evidence, imp.kind, "en")
    assert "出生日期" in _words(rows[7].evidence, imp.kind, "zh-hans")
    # Nothing left of the number: linked by name, birth date and sex.
    assert rows[8].evidence["pass"] == "probabilistic"
    # The 15-digit form is the 18-digit number: an exact match, no problem.
    assert rows[9].person.person_ref == "P1" and rows[9].outcome == Outcome.MATCHED
    assert "problems" not in rows[9].id_hashes and rows[9].evidence["pass"] == "exact"
    assert AuditLog.objects.filter(action="exchange.link", object_id=str(imp.pk)).exists()


@pytest.mark.django_db
def test_a_repair_that_names_someone_else_is_not_taken(county, tmp_path) -> None:
    # 李丽's number one digit off, on a row naming 张伟: the repair does not agree with it.
    path = _csv(
        tmp_path / "police.csv",
        [
            ["姓名", "性别", "出生日期", "公民身份号码"],
            ["张伟", "男", "1990-03-05", _wrong_digit(P2)],
        ],
    )
    row = _linked(path, "police_register").rows.get()
    assert row.person is None or row.person.person_ref == "P1"
    assert not row.evidence.get("id_repaired")


@pytest.mark.django_db
@pytest.mark.parametrize("spread", [False, True], ids=["here", "in-workers"])
def test_only_rows_with_nothing_to_link_on_are_quarantined(
    county, tmp_path, monkeypatch, spread
) -> None:
    if spread:  # a row a batch, validated in worker processes from the second one: the
        # second row's repair names a register person, which only this process can ask
        monkeypatch.setattr("renkou.exchange.reading.BATCH_ROWS", 1)
        monkeypatch.setattr("renkou.exchange.services.PARALLEL_AFTER_ROWS", 0)
    path = _csv(
        tmp_path / "deaths.csv",
        [
            ["姓名", "公民身份号码", "死亡日期"],
            ["张奶奶", "3.30122E+17", "2023-05-01"],  # police deaths: no birth date, no repair
            ["张奶奶", _transposed(id_number("1940-02-02", 42)), "2023-05-01"],
        ],
    )
    imp = _linked(path, "police_deaths")
    assert (imp.rows_staged, imp.rows_quarantined) == (1, 1)
    assert QuarantinedRow.objects.get(roster_import=imp).code == "id_as_number"
    row = imp.rows.get()
    assert row.person.person_ref == "P4" and row.evidence["id_repaired"] is True


@pytest.mark.django_db
def test_a_birth_with_a_damaged_mother_number_is_linked(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "births.csv",
        [
            ["婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"],
            ["男", "2021-01-15", "李丽", _transposed(P2)],
        ],
    )
    row = _linked(path, "hospital_births").rows.select_related("person").get()
    assert row.person.person_ref == "P3" and row.outcome == Outcome.MATCHED
    assert row.evidence["id_problems"] == {"mother_id": "checksum"}
    assert "Mother's identity number on the roster" in _words(row.evidence, "hospital_births", "en")


@pytest.mark.django_db
def test_a_marriage_with_one_bad_spouse_number_is_linked(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "marriages.csv",
        [
            ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期", "登记类别"],
            ["张伟", _wrong_digit(P1, 10), "李丽", P2, "2019-10-01", "结婚登记"],
            ["张伟", P1, "李丽", _transposed(P2), "2019-10-01", "结婚登记"],
            ["张伟", "3.30122E+17", "李丽", "3.30122E+17", "2019-10-01", "结婚登记"],
        ],
    )
    imp = _linked(path, "civil_marriages")
    assert (imp.rows_staged, imp.rows_quarantined) == (2, 1)
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    # The husband repaired: he is the row's person, his wife the spouse.
    assert rows[2].person.person_ref == "P1" and rows[2].outcome == Outcome.MATCHED
    assert rows[2].evidence["spouses"] == {"husband": "in_register", "wife": "in_register"}
    assert rows[2].evidence["id_problems"] == {"husband_id": "checksum"}
    assert rows[2].evidence["id_repaired"] is True
    # The wife repaired: found as the spouse.
    assert rows[3].person.person_ref == "P1" and rows[3].outcome == Outcome.MATCHED
    assert rows[3].evidence["spouse"] == rows[2].evidence["spouse"]
    assert "Wife's identity number on the roster" in _words(rows[3].evidence, imp.kind, "en")


@pytest.mark.django_db
def test_a_spouse_number_beyond_repair_is_found_through_the_registered_marriage(
    county, tmp_path
) -> None:
    # The register records 张伟's marriage of 2019-10-01 naming 李丽 as his spouse (on him
    # only). A number cut by Excel cannot be repaired: the spouse is found through the
    # other's registered marriage when sex and name (or its sound) agree, never otherwise.
    excel = "3.30122E+17"
    path = _csv(
        tmp_path / "marriages.csv",
        [
            ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期", "登记类别"],
            ["张伟", P1, "李莉", excel, "2019-10-01", "结婚登记"],  # 莉 for 丽: same sound
            ["张伟", excel, "李丽", P2, "2019-10-01", "结婚登记"],  # his event names her
            ["张伟", P1, "王芳", excel, "2019-10-01", "结婚登记"],  # another name: not her
            ["张伟", P1, "李丽", excel, "2020-10-01", "结婚登记"],  # no marriage that day
        ],
    )
    imp = _linked(path, "civil_marriages")
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    from renkou.registry.models import Person

    p1, p2 = (Person.objects.get(person_ref=ref).pk for ref in ("P1", "P2"))
    first = rows[2]
    assert first.person_id == p1 and first.evidence["spouse"] == p2
    assert first.evidence["spouses"] == {"husband": "in_register", "wife": "through_spouse"}
    assert first.outcome == Outcome.MATCHED  # the register knows the marriage
    assert "the spouse's registered marriage names this person" in _words(
        first.evidence, imp.kind, "en"
    )
    assert "配偶" in _words(first.evidence, imp.kind, "zh-hans")
    # The husband through his wife: the marriage is recorded on him, naming her.
    second = rows[3]
    assert second.person_id == p1 and second.evidence["spouse"] == p2
    assert second.evidence["spouses"] == {"husband": "through_spouse", "wife": "in_register"}
    assert second.outcome == Outcome.MATCHED
    for n in (4, 5):
        assert rows[n].person_id == p1 and rows[n].evidence["spouse"] is None
        assert rows[n].evidence["spouses"]["wife"] == "not_in_register"
    assert rows[5].outcome == Outcome.CONFLICTS  # the register has no marriage that day
