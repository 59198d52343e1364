"""Completeness of registration against hospital and police rosters, by area and delay."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from renkou.exchange.completeness import completeness
from renkou.exchange.linking import roster_link
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    client_as,
    id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date
P1 = id_number("1990-03-05", 11)
P2 = id_number("1992-07-20", 22)
P5 = id_number("1995-12-31", 52, region="410102")
YEAR = (D(2025, 1, 1), D(2025, 12, 31))


def _birth(name: str, village: str, born: D, reported: D) -> None:
    event = services.birth_submit(
        name=name,
        sex="F",
        birth_date=born,
        orgunit=OrgUnit.objects.get(code=village),
        actor="test",
        report_date=reported,
    )
    services.event_apply(event=event, actor="test", warnings_reason="测试数据")


def _roster(tmp_path: Path, kind: str, lines: list[str]) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    county = OrgUnit.objects.get(code=COUNTY)
    imp = roster_import(path=path, kind=kind, orgunit=county, actor="test").roster_import
    roster_link(roster_import=imp, actor="test")


@pytest.fixture
def registered(county: None, tmp_path: Path) -> None:
    _birth("甲", VILLAGE_A1, D(2025, 3, 1), D(2025, 3, 10))  # 9 days
    _birth("乙", VILLAGE_A2, D(2025, 1, 5), D(2025, 4, 20))  # 105 days
    _birth("丙", VILLAGE_A1, D(2025, 1, 2), D(2026, 3, 1))  # 423 days
    _birth("丁", VILLAGE_A1, D(2024, 12, 30), D(2025, 1, 2))  # another year
    death = services.event_submit(
        kind="death",
        person=Person.objects.get(person_ref="P1"),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=D(2025, 6, 1),
        source="village",
        actor="test",
        report_date=D(2025, 6, 5),
    )
    services.event_apply(event=death, actor="test", warnings_reason="测试数据")
    _roster(
        tmp_path,
        "hospital_births",
        [
            "婴儿性别,出生日期,母亲姓名,母亲身份证号",
            f"女,2025-03-01,李丽,{P2}",  # P2's home: A1
            f"女,2025-03-01,李丽,{P2}",  # the same birth again
            f"男,2025-05-05,王芳,{P5}",  # P5's home: A1
            "男,2025-07-01,某某,",  # nobody to place it by: the county
            f"女,2024-12-31,李丽,{P2}",  # another year
        ],
    )
    _roster(tmp_path, "hospital_deaths", ["姓名,身份证号,死亡日期", f"张伟,{P1},2025-06-01"])
    _roster(
        tmp_path,
        "police_deaths",
        [
            "姓名,身份证号,死亡日期",
            f"张伟,{P1},2025-06-01",
            f"陌生人,{id_number('1950-01-01', 13)},2025-08-08",
        ],
    )


def test_births_by_delay_against_hospital_births(registered: None) -> None:
    rows = completeness(
        unit=OrgUnit.objects.get(code=COUNTY), event="birth", start=YEAR[0], end=YEAR[1]
    )
    total, by_code = rows[0], {r.code: r for r in rows[1:]}
    assert (total.registered_30d, total.registered_1y, total.registered_later) == (1, 1, 1)
    assert total.roster == {"hospital_births": 3}
    assert total.rate("hospital_births") == 100.0
    assert total.rate("hospital_births", "registered_30d") == 33.3
    a, b = by_code[TOWNSHIP_A], by_code[TOWNSHIP_B]
    assert (a.registered, a.roster["hospital_births"], a.rate("hospital_births")) == (3, 2, 150.0)
    assert (b.registered, b.roster["hospital_births"], b.rate("hospital_births")) == (0, 0, None)


def test_deaths_against_hospital_and_police(registered: None) -> None:
    total = completeness(
        unit=OrgUnit.objects.get(code=COUNTY), event="death", start=YEAR[0], end=YEAR[1]
    )[0]
    assert total.registered == 1
    assert total.roster == {"hospital_deaths": 1, "police_deaths": 2}
    assert (total.rate("hospital_deaths"), total.rate("police_deaths")) == (100.0, 50.0)
    village = completeness(
        unit=OrgUnit.objects.get(code=VILLAGE_A2), event="death", start=YEAR[0], end=YEAR[1]
    )[0]
    assert (village.registered, village.roster) == (0, {"hospital_deaths": 0, "police_deaths": 0})


def test_completeness_page_is_scoped(registered: None) -> None:
    admin = client_as("county_admin", COUNTY, "admin")
    page = admin.get(f"/exchange/completeness/{COUNTY}/?year=2025", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Registered within 30 days" in text and "150.0%" in text and "50.0%" in text
    other = client_as("statistician", TOWNSHIP_B, "b")
    assert other.get(f"/exchange/completeness/{TOWNSHIP_A}/").status_code == 404
    assert other.get("/exchange/completeness/").status_code == 200


def test_twins_count_as_two_births_and_a_duplicate_row_once(county: None, tmp_path: Path) -> None:
    mother = Person.objects.get(person_ref="P2")
    for name in ("大宝", "二宝"):  # same-sex twins in the register
        event = services.birth_submit(
            name=name,
            sex="F",
            birth_date=D(2023, 5, 1),
            orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
            mother=mother,
            actor="test",
            report_date=D(2023, 5, 3),
        )
        services.event_apply(event=event, actor="test", warnings_reason="测试数据")
    _roster(
        tmp_path,
        "hospital_births",
        [
            "出生医学证明编号,婴儿性别,出生日期,婴儿姓名,母亲姓名,母亲身份证号",
            f"C1,女,2023-05-01,,李丽,{P2}",  # twins by the mother's number: certificates tell
            f"C2,女,2023-05-01,,李丽,{P2}",
            f"C1,女,2023-05-01,,李丽,{P2}",  # a duplicate row of the first twin
            f",男,2023-06-01,小明,王芳,{P5}",  # twins the register lacks: named
            f",男,2023-06-01,小亮,王芳,{P5}",
            f",男,2023-06-01,小明,王芳,{P5}",  # duplicate
            ",女,2023-07-01,,某某,",  # twins without a number, certificate or name: once
            ",男,2023-07-01,,某某,",  # the other twin is a boy: a second birth
            ",女,2023-07-01,,某某,",  # the same as the first row
        ],
    )
    total = completeness(
        unit=OrgUnit.objects.get(code=COUNTY),
        event="birth",
        start=D(2023, 1, 1),
        end=D(2023, 12, 31),
    )[0]
    assert total.registered == 2
    assert total.roster == {"hospital_births": 6}


def test_same_sex_twins_by_the_mothers_number_are_left_to_a_person(
    county: None, tmp_path: Path
) -> None:
    from renkou.exchange.models import Outcome, RosterImport

    mother = Person.objects.get(person_ref="P2")
    for name in ("大宝", "二宝"):
        event = services.birth_submit(
            name=name,
            sex="F",
            birth_date=D(2023, 5, 1),
            orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
            mother=mother,
            actor="test",
            report_date=D(2023, 5, 3),
        )
        services.event_apply(event=event, actor="test", warnings_reason="测试数据")
    _roster(
        tmp_path,
        "hospital_births",
        [
            "婴儿性别,出生日期,婴儿姓名,母亲姓名,母亲身份证号",
            f"女,2023-05-01,,李丽,{P2}",
            f"女,2023-05-01,二宝,李丽,{P2}",
        ],
    )
    rows = list(RosterImport.objects.get().rows.order_by("row_number").select_related("person"))
    assert rows[0].outcome == Outcome.POSSIBLE and rows[0].evidence["note"] == "twins"
    assert rows[1].outcome == Outcome.MATCHED and rows[1].person.name == "二宝"
