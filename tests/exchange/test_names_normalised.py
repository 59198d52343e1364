"""Names written another way (traditional characters, a split compound surname, a middle
dot, full-width letters) are compared in one normalised form and found in the register."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from renkou.exchange.linking import roster_link
from renkou.exchange.models import Outcome
from renkou.exchange.services import roster_import
from renkou.linkage.features import features
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from renkou.registry.names import name_search_keys, normalise_name, split_name
from tests.builders import TOWNSHIP_A, person, small_county, today, write_csv

# (register name, sex, birth date, sequence) of persons added to the small county.
ADDED = [
    ("P61", "陈小明", "M", "1985-06-01", 61),
    ("P62", "杨龙", "M", "1970-02-02", 63),
    ("P63", "上官海祥", "M", "1975-04-04", 65),
    ("P64", "阿依古丽买买提", "F", "1988-08-08", 66),
]


@pytest.mark.parametrize(
    ("written", "normal", "surname"),
    [
        ("陳小明", "陈小明", "陈"),
        ("張偉", "张伟", "张"),
        ("楊龍", "杨龙", "杨"),
        ("上 官海祥", "上官海祥", "上官"),
        ("歐陽 娜娜", "欧阳娜娜", "欧阳"),
        ("阿依古丽·买买提", "阿依古丽买买提", "阿"),
        ("阿依古丽•买买提", "阿依古丽买买提", "阿"),
        ("阿依古丽・买买提", "阿依古丽买买提", "阿"),
        ("张　伟", "张伟", "张"),
        ("ＡＮＮ李", "ANN李", "A"),
        ("乾坤", "乾坤", "乾"),  # 乾 qián stays: the standard list keeps it in names
    ],
)
def test_one_normal_form(written: str, normal: str, surname: str) -> None:
    assert normalise_name(written) == normal
    assert split_name(written)[0] == surname
    assert name_search_keys(written) == name_search_keys(normal)


def test_compound_surname_and_table_reading() -> None:
    # 單 is the traditional 单, read as the surname shan once simplified.
    assert name_search_keys("單田芳") == ("shantianfang", "stf")
    assert name_search_keys("上 官海祥") == ("shangguanhaixiang", "sghx")
    row = features({"unique_id": 1, "name": "上 官海祥"}, name_search_keys)
    assert (row["name"], row["surname"], row["given"]) == ("上官海祥", "上官", "海祥")


@pytest.fixture
def bigger_county(tmp_path) -> None:
    """The small county with four more persons whose names a roster writes otherwise."""
    from renkou.registry.loading import registry_load

    directory = small_county(tmp_path / "county")
    with (directory / "persons.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(rows[0])
    for ref, name, sex, born, seq in ADDED:
        rows.append(person(ref, name, sex, born, seq))
    write_csv(directory / "persons.csv", rows, columns)
    registry_load(path=directory, actor="test", today=today())


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.mark.django_db
def test_names_written_otherwise_are_found_by_the_linkage(bigger_county, tmp_path) -> None:
    assert Person.objects.filter(person_ref__in=[a[0] for a in ADDED]).count() == 4
    path = _csv(
        tmp_path / "police.csv",
        [
            ["姓名", "性别", "出生日期", "公民身份号码"],
            ["陳小明", "男", "1985-06-01", ""],
            ["張偉", "男", "1990-03-05", ""],
            ["楊龍", "男", "1970-02-02", ""],
            ["上 官海祥", "男", "1975-04-04", ""],
            ["阿依古丽·买买提", "女", "1988-08-08", ""],
            ["赵六", "女", "2019-09-09", ""],  # nobody in the register
        ],
    )
    imp = roster_import(
        path=path,
        kind="police_register",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    expected = {2: "P61", 3: "P1", 4: "P62", 5: "P63", 6: "P64"}
    for row_number, ref in expected.items():
        row = rows[row_number]
        assert row.person is not None and row.person.person_ref == ref, (row_number, row.values)
        assert row.outcome in {Outcome.MATCHED, Outcome.POSSIBLE}
    assert rows[7].person is None


@pytest.mark.django_db
def test_stored_keys_are_recomputed_from_the_normalised_name(county) -> None:
    import importlib

    from django.apps import apps

    rekey = importlib.import_module("renkou.registry.migrations.0005_rekey_normalised_names")
    Person.objects.filter(person_ref="P1").update(
        name="單 田芳", name_pinyin="dantianfang", name_initials="dtf"
    )
    untouched = dict(Person.objects.filter(person_ref="P2").values_list("name_pinyin", "name"))
    rekey.rekey(apps, None)
    p1 = Person.objects.get(person_ref="P1")
    assert (p1.name_pinyin, p1.name_initials) == ("shantianfang", "stf")
    assert dict(Person.objects.filter(person_ref="P2").values_list("name_pinyin", "name")) == (
        untouched
    )


def test_exact_pass_comparison_uses_the_normal_form_and_month_only_dates() -> None:
    from renkou.linkage.exact import compare

    person = {"name": "陈小明", "birth_date": "1985-06-17", "sex": "M"}
    same = compare({"name": "陳 小明", "birth_date": "1985-06-17"}, person, ("name", "birth_date"))
    assert same.agree == ["name", "birth_date"] and not same.conflicts
    month = {"name": "陈小明", "birth_date": "1985-06-01", "birth_date_month_only": True}
    assert compare(month, person, ("birth_date",)).agree == ["birth_date"]
    other_month = {**month, "birth_date": "1985-07-01"}
    assert "birth_date" in compare(other_month, person, ("birth_date",)).conflicts
    # Without the flag the 1st is a day like any other.
    assert "birth_date" in compare({"birth_date": "1985-06-01"}, person, ("birth_date",)).conflicts
