"""Header mapping and cell validation: pure functions, no database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.exchange import values as v
from renkou.exchange.kinds import KINDS, map_headers
from tests.builders import id_number

TODAY = date(2025, 6, 30)


def test_headers_in_any_order_with_synonyms_are_mapped() -> None:
    headers = ["民族", "公民身份号码", "出生年月", "名字", "性别", "备注"]
    mapping = map_headers(KINDS["police_register"], headers)
    assert mapping.columns == {
        "name": 3,
        "id_number": 1,
        "sex": 4,
        "birth_date": 2,
        "ethnicity": 0,
    }
    assert not mapping.unsure
    assert mapping.ignored == ["备注"]


def test_baby_sex_is_not_taken_by_the_plain_synonym() -> None:
    headers = ["母亲姓名", "性别", "婴儿性别", "出生日期", "母亲身份证号"]
    mapping = map_headers(KINDS["hospital_births"], headers)
    assert mapping.columns["sex"] == 2
    assert mapping.columns["mother_id"] == 4


def test_header_by_containment_is_unsure_and_missing_required_is_listed() -> None:
    mapping = map_headers(KINDS["police_deaths"], ["* 姓 名：", "死者身份证号码(18位)"])
    assert mapping.columns == {"name": 0, "id_number": 1}
    assert mapping.guessed == ["id_number"]
    assert mapping.missing == ["death_date"]
    assert mapping.unsure


@pytest.mark.parametrize(
    "text",
    ["2021-03-07", "2021/3/7", "2021.03.07", "20210307", "2021年3月7日", "2021-03-07 08:30"],
)
def test_dates_as_text_in_five_formats(text: str) -> None:
    assert v.a_date(text, today=TODAY) == date(2021, 3, 7)


@settings(deadline=None)  # timing varies on a shared machine
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_every_date_format_reads_back(d: date) -> None:
    for text in (d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日"):
        assert v.a_date(text, today=TODAY) == d


@pytest.mark.parametrize("text", ["2021-02-30", "07/03/2021", "yesterday", "2026-01-01"])
def test_bad_or_future_dates_are_refused(text: str) -> None:
    with pytest.raises(v.CellProblem) as info:
        v.a_date(text, today=TODAY)
    assert info.value.code in {"roster_bad_date", "future_date"}


def test_identity_number_with_trailing_space_is_read() -> None:
    number = id_number("1990-03-05", 11)
    assert v.id_number(number + " ").number == number


@pytest.mark.parametrize("value", ["1.10105E+17", 1.1010519900305e17, "3.30122E17"])
def test_identity_number_in_scientific_notation_is_refused_clearly(value: object) -> None:
    with pytest.raises(v.CellProblem) as info:
        v.id_number(value)
    assert info.value.code == "id_as_number"


def test_sex_codes() -> None:
    assert [v.sex(x) for x in ("男", "女", "1", "2", "F")] == ["M", "F", "M", "F", "F"]
    assert v.sex("未知") == ""  # read as unknown (issue 17)
    with pytest.raises(v.CellProblem):
        v.sex("男女")
