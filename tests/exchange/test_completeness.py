"""Completeness of registration against hospital and police rosters: the share of the rosters'
events that the register holds, with its Wilson interval, or "not comparable" where the
rosters do not cover the unit and period asked. Expected figures are computed here by hand."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest
from django.utils import translation

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
    client_as,
    id_number,
)

pytestmark = pytest.mark.django_db

D = datetime.date
P1 = id_number("1990-03-05", 11)
P2 = id_number("1992-07-20", 22)
P5 = id_number("1995-12-31", 52, region="410102")
YEAR = (D(2025, 1, 1), D(2025, 12, 31))
Z = 1.959963984540054  # the normal 97.5 % quantile


def wilson_percent(k: int, n: int) -> tuple[float, float]:
    """The textbook Wilson score interval, in per cent to one decimal."""
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    low, high = (centre - spread) / (1 + Z * Z / n), (centre + spread) / (1 + Z * Z / n)
    return round(100 * low, 1), round(100 * high, 1)


def _apply(event: object) -> None:
    services.event_apply(event=event, actor="test", warnings_reason="测试数据")


def _birth(name: str, born: D, reported: D, mother: Person | None = None, idn: str = "") -> None:
    _apply(
        services.birth_submit(
            name=name,
            sex="M" if idn and int(idn[16]) % 2 else "F",
            birth_date=born,
            orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
            mother=mother,
            id_number=idn,
            actor="test",
            report_date=reported,
        )
    )


def _death(person: Person, died: D, reported: D) -> None:
    _apply(
        services.event_submit(
            kind="death",
            person=person,
            orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
            effective_date=died,
            source="village",
            actor="test",
            report_date=reported,
        )
    )


def _roster(tmp_path: Path, kind: str, lines: list[str], received_by: str = COUNTY) -> None:
    path = tmp_path / f"{kind}-{received_by}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unit = OrgUnit.objects.get(code=received_by)
    imp = roster_import(path=path, kind=kind, orgunit=unit, actor="test").roster_import
    roster_link(roster_import=imp, actor="test")


def _at(code: str, event: str, start: D = YEAR[0], end: D = YEAR[1]):  # type: ignore[no-untyped-def]
    return completeness(unit=OrgUnit.objects.get(code=code), event=event, start=start, end=end)


ELDERS = [id_number(f"195{i}-01-0{i + 1}", 60 + 2 * i + 1) for i in range(5)]  # five old men


@pytest.fixture
def elders(county: None) -> list[Person]:
    """Five men of village A1, born in the 1950s, with identity numbers; alive."""
    for i, idn in enumerate(ELDERS):
        born = D(1950 + i, 1, i + 1)
        _birth(f"老{i}", born, born, idn=idn)
    return [Person.objects.get(name=f"老{i}") for i in range(5)]


def test_a_one_row_police_roster_is_not_comparable_with_the_year(
    elders: list[Person], tmp_path: Path
) -> None:
    """Issue 15: three deaths in the register ÷ one police row was 300 % (35900 % with 359)."""
    _death(elders[0], D(2025, 3, 4), D(2025, 3, 10))
    _death(elders[1], D(2025, 5, 1), D(2025, 5, 2))
    _death(elders[2], D(2025, 9, 9), D(2025, 9, 20))
    _roster(tmp_path, "police_deaths", ["姓名,身份证号,死亡日期", f"老0,{ELDERS[0]},2025-03-04"])
    total = _at(COUNTY, "death")[0]
    police = total.rosters["police_deaths"]
    assert (total.in_register, police.events, police.found) == (3, 1, 1)
    assert police.share() is None and total.share("police_deaths") is None
    assert police.gap is not None and police.gap.reason == "dates"
    with translation.override("en"):
        assert str(police.gap) == (
            "The rosters received cover only 2025-03-04, not the whole period: not comparable."
        )
    with translation.override("zh-hans"):
        text = str(police.gap)
        assert "2025-03-04" in text and "不可比" in text and "not" not in text
    # The month the roster covers: one death listed, one found: 100 %, interval by hand.
    march = _at(COUNTY, "death", D(2025, 3, 1), D(2025, 3, 31))[0].share("police_deaths")
    assert march is not None and (march.part, march.whole, march.percent) == (1, 1, 100.0)
    assert (march.low, march.high) == wilson_percent(1, 1) == (20.7, 100.0)


def test_a_townships_year_roster_gives_the_share_found_with_its_wilson_interval(
    elders: list[Person], tmp_path: Path
) -> None:
    _death(elders[0], D(2025, 1, 10), D(2025, 1, 15))  # 5 days
    _death(elders[1], D(2025, 6, 1), D(2025, 8, 30))  # 90 days
    _death(elders[2], D(2025, 12, 20), D(2026, 2, 1))  # 43 days: within a year
    _death(elders[3], D(2025, 7, 7), D(2025, 7, 8))  # in the register, on no roster
    stranger = id_number("1948-08-08", 81)
    _roster(
        tmp_path,
        "hospital_deaths",
        [
            "姓名,身份证号,死亡日期",
            f"老0,{ELDERS[0]},2025-01-10",  # found
            f"老1,{ELDERS[1]},2025-06-01",  # found
            f"老1,{ELDERS[1]},2025-06-01",  # the same death again: once
            f"老2,{ELDERS[2]},2025-12-20",  # found
            f"老4,{ELDERS[4]},2025-04-04",  # alive in the register: not registered
            f"陌生人,{stranger},2025-10-10",  # not in the register at all (the township's)
        ],
        received_by=TOWNSHIP_A,
    )
    township = _at(TOWNSHIP_A, "death")[0]
    listed = township.rosters["hospital_deaths"]
    # Five deaths listed (the stranger counts at the receiving township), three found.
    assert (listed.events, listed.found, listed.not_found) == (5, 3, 2)
    assert (listed.found_30d, listed.found_1y, listed.found_later) == (1, 2, 0)
    assert listed.gap is None
    share = township.share("hospital_deaths")
    assert share is not None and share.percent == round(100 * 3 / 5, 1) == 60.0
    assert (share.low, share.high) == wilson_percent(3, 5) == (23.1, 88.2)
    assert township.in_register == 4  # the register's deaths, listed or not
    # The village inherits the township's roster: the four deaths of its people.
    village = _at(VILLAGE_A1, "death")[0]
    assert village.share("hospital_deaths") == type(share)(3, 4)
    # The county: only one township received a roster, so no figure for the county.
    county, *subs = _at(COUNTY, "death")
    assert county.share("hospital_deaths") is None
    gap = county.rosters["hospital_deaths"].gap
    assert gap is not None and gap.reason == "units" and gap.units == ("甲镇",)
    with translation.override("en"):
        assert "Only 甲镇 received rosters of this kind" in str(gap)
        assert "not cover all of 桐庐县: not comparable" in str(gap)
    by_code = {r.code: r for r in subs}
    assert by_code[TOWNSHIP_A].share("hospital_deaths") == share
    assert by_code[TOWNSHIP_B].share("hospital_deaths") is None  # nothing listed there
    assert by_code[TOWNSHIP_B].rosters["hospital_deaths"].gap is None


@pytest.fixture
def births(county: None, tmp_path: Path) -> None:
    """Two births of 李丽 (P2) in 2025 in the register, a hospital roster of the year."""
    mother = Person.objects.get(person_ref="P2")
    _birth("甲", D(2025, 1, 3), D(2025, 1, 12), mother=mother)  # 9 days
    _birth("乙", D(2025, 12, 28), D(2026, 4, 7), mother=mother)  # 100 days
    _birth("丙", D(2025, 4, 1), D(2025, 4, 2))  # no mother linked: on no roster
    _roster(
        tmp_path,
        "hospital_births",
        [
            "婴儿性别,出生日期,母亲姓名,母亲身份证号",
            f"女,2025-01-03,李丽,{P2}",  # 甲
            f"女,2025-01-03,李丽,{P2}",  # the same birth again
            f"男,2025-06-15,王芳,{P5}",  # not in the register
            f"女,2025-12-28,李丽,{P2}",  # 乙
            f"女,2024-12-31,李丽,{P2}",  # another year
        ],
    )


def test_births_found_by_delay_against_hospital_births(births: None) -> None:
    total = _at(COUNTY, "birth")[0]
    listed = total.rosters["hospital_births"]
    assert total.in_register == 3
    assert (listed.events, listed.found_30d, listed.found_1y, listed.found_later) == (3, 1, 1, 0)
    share = total.share("hospital_births")
    assert share is not None and share.percent == 66.7
    assert (share.low, share.high) == wilson_percent(2, 3)
    within = total.share("hospital_births", "found_30d")
    assert within is not None and within.percent == 33.3
    assert (within.low, within.high) == wilson_percent(1, 3)


def test_no_share_leaves_zero_to_one_hundred(births: None, elders: list[Person]) -> None:
    for event in ("birth", "death"):
        for code in (COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1):
            for row in _at(code, event):
                for kind in row.rosters:
                    for part in ("found", "found_30d", "found_1y", "found_later"):
                        s = row.share(kind, part)
                        if s is not None:
                            assert 0 <= s.low <= s.percent <= s.high <= 100


def test_completeness_page_figures_and_scope(births: None) -> None:
    admin = client_as("county_admin", COUNTY, "admin")
    page = admin.get(f"/exchange/completeness/{COUNTY}/?year=2025", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    low, high = wilson_percent(2, 3)
    assert "66.7%" in text and f"95% interval {low}–{high}%" in text
    assert "Not comparable" not in text  # the county received a roster of the whole year
    other = client_as("statistician", TOWNSHIP_B, "b")
    assert other.get(f"/exchange/completeness/{TOWNSHIP_A}/").status_code == 404
    assert other.get("/exchange/completeness/").status_code == 200


def test_the_page_says_not_comparable_in_chinese(elders: list[Person], tmp_path: Path) -> None:
    _death(elders[0], D(2025, 3, 4), D(2025, 3, 10))
    _roster(tmp_path, "police_deaths", ["姓名,身份证号,死亡日期", f"老0,{ELDERS[0]},2025-03-04"])
    admin = client_as("county_admin", COUNTY, "admin")
    zh = admin.get(f"/exchange/completeness/{COUNTY}/?year=2025", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = zh.content.decode()
    assert "不可比" in text and "2025-03-04" in text and "100.0%" not in text
    assert "not comparable" not in text.lower() and "Completeness" not in text


def test_the_page_opens_at_the_users_unit_and_latest_year(births: None) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from renkou.core.accounts import role_assign
    from tests.builders import login_as

    # A superuser who holds a role at the county: the county, not the province.
    boss = get_user_model().objects.create_superuser(username="boss", password="x-Pass-2026")
    role_assign(user=boss, role="county_admin", orgunit=OrgUnit.objects.get(code=COUNTY), actor="t")
    from django.test import Client

    page = login_as(Client(), boss).get("/exchange/completeness/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "<h1>Completeness of registration · 桐庐县</h1>" in text
    assert '<option value="2025" selected>' in text  # the latest year with births
    this_year = timezone.localdate().year
    assert f'<option value="{this_year}"' in text  # the list has the current year
    # A township's statistician: the township.
    page = client_as("statistician", TOWNSHIP_A, "a").get("/exchange/completeness/")
    assert "<h1>登记完整率 · 甲镇</h1>" in page.content.decode()


def test_twins_count_as_two_births_and_a_duplicate_row_once(county: None, tmp_path: Path) -> None:
    mother = Person.objects.get(person_ref="P2")
    for name in ("大宝", "二宝"):  # same-sex twins in the register
        _birth(name, D(2023, 5, 1), D(2023, 5, 3), mother=mother)
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
    may = completeness(
        unit=OrgUnit.objects.get(code=COUNTY),
        event="birth",
        start=D(2023, 5, 1),
        end=D(2023, 7, 31),
    )[0]
    listed = may.rosters["hospital_births"]
    assert may.in_register == 2
    assert (listed.events, listed.found) == (6, 2)  # both twins in the register


def test_same_sex_twins_by_the_mothers_number_are_left_to_a_person(
    county: None, tmp_path: Path
) -> None:
    from renkou.exchange.models import Outcome, RosterImport

    mother = Person.objects.get(person_ref="P2")
    for name in ("大宝", "二宝"):
        _birth(name, D(2023, 5, 1), D(2023, 5, 3), mother=mother)
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


def test_events_reported_from_the_worklist_count_once_applied(
    elders: list[Person], tmp_path: Path
) -> None:
    from renkou.exchange.models import RosterImport
    from renkou.exchange.worklist import worklist_report_event

    _roster(
        tmp_path,
        "hospital_deaths",
        [
            "姓名,身份证号,死亡日期",
            f"老0,{ELDERS[0]},2025-01-10",  # alive in the register: the death not reported
            f"陌生人,{id_number('1948-08-08', 81)},2025-12-05",  # not in the register
        ],
    )
    _roster(
        tmp_path,
        "hospital_births",
        [
            "婴儿性别,出生日期,母亲姓名,母亲身份证号",
            f"女,2025-01-03,李丽,{P2}",  # 李丽 has no child born then
            f"女,2025-01-03,李丽,{P2}",  # the same birth again
            f"男,2025-12-28,李丽,{P2}",  # another birth the register lacks
        ],
    )

    def shares() -> tuple[object, object]:
        deaths, births = _at(COUNTY, "death")[0], _at(COUNTY, "birth")[0]
        return deaths.share("hospital_deaths"), births.share("hospital_births")

    death, birth = shares()
    assert death is not None and (death.part, death.whole, death.percent) == (0, 2, 0.0)
    assert (death.low, death.high) == wilson_percent(0, 2) == (0.0, 65.8)
    assert birth is not None and (birth.part, birth.whole) == (0, 2)
    rows = {imp.kind: list(imp.rows.order_by("row_number")) for imp in RosterImport.objects.all()}
    reported = [
        worklist_report_event(row=rows["hospital_deaths"][0], actor="test"),
        worklist_report_event(row=rows["hospital_births"][0], actor="test"),
    ]
    death, birth = shares()
    assert (death.part, birth.part) == (0, 0)  # submitted, not applied yet: not registered
    for row in reported:
        _apply(row.event)
    death, birth = shares()
    assert (death.part, death.whole, death.percent) == (1, 2, 50.0)
    assert (death.low, death.high) == wilson_percent(1, 2)
    # The duplicate row of the reported birth still counts once, now as registered.
    assert (birth.part, birth.whole) == (1, 2)
