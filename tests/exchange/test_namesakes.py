"""Birth dates weigh what they should (issue 17, item 2): a namesake born years apart is
never a match without a number, whatever the names; a homophone-typed true person with the
right birth date wins over a namesake with another date; close dates stay evidence."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.utils import translation

from renkou.exchange.evidence import evidence_lines
from renkou.exchange.linking import roster_link
from renkou.exchange.models import Outcome, RosterImport
from renkou.exchange.services import roster_import
from renkou.linkage.probabilistic import BIRTH_DATE_M, LEVELS
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.builders import TOWNSHIP_A, person, small_county, today, write_csv

EXTRA = [
    person("N1", "刘秀英", "F", "1973-04-12", 62),  # the woman of 1973
    person("N2", "陈静", "F", "2011-09-01", 72),  # the true pupil
    person("N3", "陈晶", "F", "2008-02-14", 82),  # her namesake in characters, born 2008
    person("N4", "王建国", "M", "1985-06-17", 91),
    person("N5", "赵敏", "F", "1999-11-30", 102),
]


@pytest.fixture
def county_with_namesakes(tmp_path) -> None:
    from renkou.registry.loading import registry_load

    directory = small_county(tmp_path / "county")
    with (directory / "persons.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(rows[0])
    write_csv(directory / "persons.csv", rows + EXTRA, columns=columns)
    registry_load(path=directory, actor="test", today=today())


def _linked(tmp_path: Path, rows: list[list[str]], name: str) -> RosterImport:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["学生姓名", "性别", "出生日期", "身份证号"], *rows])
    imp = roster_import(
        path=path,
        kind="school_enrolment",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    return imp


@pytest.mark.django_db
def test_a_namesake_born_years_apart_is_not_matched(county_with_namesakes, tmp_path) -> None:
    # A pupil 刘秀英 born 2011, not in the register: the register's 刘秀英 was born 1973.
    imp = _linked(tmp_path, [["刘秀英", "女", "2011-03-08", ""]], "pupils.csv")
    row = imp.rows.get()
    assert row.outcome == Outcome.MISSING and row.person is None
    with translation.override("en"):
        words = " ".join(line.text for line in evidence_lines(row.evidence, imp.kind))
    assert "Nobody in the register is similar enough" in words


@pytest.mark.django_db
def test_a_homophone_with_the_right_date_beats_a_namesake(county_with_namesakes, tmp_path) -> None:
    # 陈晶 typed for 陈静 (same pinyin chen jing), born 2011-09-01 like 陈静; the register's
    # 陈晶 has the same characters but was born 2008.
    imp = _linked(tmp_path, [["陈晶", "女", "2011-09-01", ""]], "pupils.csv")
    row = imp.rows.select_related("person").get()
    assert row.person is not None and row.person.person_ref == "N2"
    assert row.probability is not None and row.probability >= 0.5
    assert row.evidence["levels"]["name"] == "same_pinyin"
    assert row.evidence["levels"]["birth_date"] == "same"
    with translation.override("en"):
        lines = [(line.field, line.text) for line in evidence_lines(row.evidence, imp.kind)]
    assert ("Name", "roster 陈晶, register 陈静") in lines  # each side's value named
    assert any(f == "Name" and t.startswith("same sound in pinyin") for f, t in lines)
    assert any(f == "Birth date" and t.startswith("the same: for the match") for f, t in lines)


@pytest.mark.django_db
def test_close_dates_stay_evidence(county_with_namesakes, tmp_path) -> None:
    # One digit of the day wrong (王建国 1985-06-17), day and month swapped (赵敏 1999-11-30
    # cannot swap; 陈静 2011-09-01 as 2011-01-09): each is still scored as a candidate (how
    # likely depends on what EM learns of a register this small), not ruled out.
    imp = _linked(
        tmp_path,
        [
            ["王建国", "男", "1985-06-18", ""],
            ["陈静", "女", "2011-01-09", ""],
            ["刘秀英", "女", "1993-04-12", ""],  # one digit of the year: 20 years apart
        ],
        "pupils.csv",
    )
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    assert rows[2].probability is not None and rows[3].probability is not None
    if rows[3].person is not None:
        assert rows[3].person.person_ref == "N2"
        assert rows[3].evidence["levels"]["birth_date"] == "day_month_swapped"
    # A one-digit slip of the year is years apart: no candidate at all.
    assert rows[4].probability is None and rows[4].person is None
    assert rows[4].outcome == Outcome.MISSING
    m = BIRTH_DATE_M
    assert set(m) | {"same_month_day_unknown"} == set(LEVELS["birth_date"])
    assert m["day_month_swapped"] > m["different"] and m["one_digit"] > m["different"]


def _deaths(tmp_path: Path, rows: list[list[str]]) -> RosterImport:
    path = tmp_path / "deaths.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["死者姓名", "性别", "出生年月", "死亡日期"], *rows])
    imp = roster_import(
        path=path,
        kind="hospital_deaths",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    return imp


@pytest.mark.django_db
def test_a_month_only_birth_date_is_compared_on_its_month(county_with_namesakes, tmp_path) -> None:
    # 出生年月 gives 1973.04 for the register's 刘秀英 born 1973-04-12: the same year and month
    # is its own level (the day unknown), strong enough to match with her name and sex.
    # 1985.11 for 王建国 (born 1985-06-17) is months apart: no candidate. 1999.10 for 赵敏
    # (1999-11-30) is one digit of the month.
    death = (today().replace(day=1)).isoformat()
    imp = _deaths(
        tmp_path,
        [
            ["刘秀英", "女", "1973.04", death],
            ["王建国", "男", "1985.11", death],
            ["赵敏", "女", "1999.10", death],
        ],
    )
    rows = {r.row_number: r for r in imp.rows.select_related("person")}
    first = rows[2]
    assert first.person is not None and first.person.person_ref == "N1"
    assert first.evidence["levels"]["birth_date"] == "same_month_day_unknown"
    assert first.probability is not None and first.probability >= 0.9
    assert rows[3].person is None and rows[3].outcome == Outcome.MISSING
    assert rows[3].probability is None  # ruled out, not merely weak
    # One digit of the month stays evidence: scored as a candidate, not ruled out.
    assert rows[4].probability is not None
    with translation.override("en"):
        words = " ".join(line.text for line in evidence_lines(first.evidence, imp.kind))
    assert "the same year and month (the roster gives no day)" in words


def test_the_share_in_the_register_is_measured_on_numbered_rows() -> None:
    from renkou.exchange.linking import in_register_share

    assert in_register_share(10, 10) == 0.5  # too few rows to tell: Splink's own prior
    assert in_register_share(200, 190) == 0.95
    assert in_register_share(200, 199) == 0.95  # never as if nobody came from outside
    assert in_register_share(200, 20) == 0.5  # never below Splink's prior
    assert in_register_share(1000, 800) == 0.8


def test_a_lone_candidate_is_believed_more_when_rows_are_usually_in_the_register() -> None:
    from renkou.linkage.probabilistic import link

    def record(uid: int, name: str, sex: str, born: str, month_only: bool = False) -> dict:
        return {
            "unique_id": uid,
            "name": name,
            "surname": name[0],
            "given": name[1:],
            "name_pinyin": name,
            "name_initials": name[0],
            "sex": sex,
            "birth_date": born,
            "birth_swapped": None,
            "birth_month_only": month_only,
            "village": None,
        }

    names = "张王李赵刘陈杨黄周吴"
    register = [
        record(i, names[i % 10] + names[(i // 10) % 10] + str(i % 7), "MF"[i % 2],
               f"19{50 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}")
        for i in range(1, 400)
    ]  # fmt: skip
    roster = [
        record(
            10_001,
            register[41]["name"],
            register[41]["sex"],
            register[41]["birth_date"][:8] + "01",
            True,
        )
    ]
    half, _ = link(roster, register, in_register=0.5)
    most, _ = link(roster, register, in_register=0.9, model=_)
    assert [m.person_id for m in half] == [m.person_id for m in most] == [42]
    p, q = half[0].probability, most[0].probability
    # odds times 9 (0.9 / 0.1): worked out from the first figure
    assert q / (1 - q) == pytest.approx(9 * p / (1 - p), rel=1e-6)
    assert q > p


@pytest.fixture
def county_with_two_of_a_month(tmp_path) -> None:
    """The county with namesakes, and a second 刘秀英 born in the same month as the first
    (1973-04-25 beside 1973-04-12)."""
    from renkou.registry.loading import registry_load

    directory = small_county(tmp_path / "county")
    with (directory / "persons.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    second = person("N6", "刘秀英", "F", "1973-04-25", 112)
    write_csv(directory / "persons.csv", rows + EXTRA + [second], columns=list(rows[0]))
    registry_load(path=directory, actor="test", today=today())


@pytest.mark.django_db
def test_two_persons_of_the_same_name_and_month_are_left_to_a_person(
    county_with_two_of_a_month, tmp_path
) -> None:
    # 出生年月 1973.04 fits both women named 刘秀英 born that April equally: whichever the
    # pass ranks first, it must not pick one; a person chooses. With the whole date
    # (1973-04-25) only the second fits exactly: she is the candidate, without a rival.
    death = (today().replace(day=1)).isoformat()
    imp = _deaths(
        tmp_path,
        [["刘秀英", "女", "1973.04", death], ["刘秀英", "女", "1973-04-25", death]],
    )
    month_only, whole = imp.rows.select_related("person").order_by("row_number")
    assert month_only.outcome == Outcome.POSSIBLE
    assert month_only.evidence["note"] == "person_rivals"
    rivals = set(
        Person.objects.filter(pk__in=month_only.evidence["rivals"]).values_list(
            "person_ref", flat=True
        )
    )
    chosen = month_only.person.person_ref
    assert rivals | {chosen} == {"N1", "N6"} and chosen not in rivals
    with translation.override("en"):
        words = " ".join(line.text for line in evidence_lines(month_only.evidence, imp.kind))
    assert "Another person in the register fits almost as well" in words
    assert whole.person is not None and whole.person.person_ref == "N6"
    # (in a register of a dozen persons the probability itself stays below the match
    # threshold; what matters here is that the other 刘秀英 is no rival)
    assert "rivals" not in whole.evidence and whole.evidence.get("note") != "person_rivals"
