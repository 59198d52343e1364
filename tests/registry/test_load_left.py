"""The load takes persons who left (dead, emigrated, living and registered elsewhere) with
their events, counts them, and records the widowhoods their deaths caused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command

from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from renkou.registry.rebuild import registry_rebuild
from tests.builders import VILLAGE_A1, VILLAGE_A2, id_number, person, small_county, today, write_csv

pytestmark = pytest.mark.django_db

EVENT_COLUMNS = [
    "event_ref", "kind", "person_ref", "effective_date", "report_date", "source",
    "orgunit_code", "from_code", "to_code", "spouse_ref",
]  # fmt: skip


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def add_rows(directory: Path, name: str, rows: list[dict], columns: list[str] | None = None):
    path = directory / f"{name}.csv"
    write_csv(path, read_rows(path) + rows, columns)


def persons_who_left(directory: Path) -> Path:
    """The small county plus one emigrated person, one who moved away and transferred
    the hukou out (living and registered elsewhere), and one elsewhere with no event here."""
    small_county(directory)
    add_rows(
        directory,
        "persons",
        [
            person(
                "L1",
                "陈出",
                "M",
                "1980-04-04",
                15,
                status="emigrated",
                hukou_code="310101",
                residence_code="310101",
            ),
            person(
                "L2",
                "林外",
                "F",
                "1988-08-08",
                28,
                hukou_code="440305",
                residence_code="440305",
            ),
            person(
                "L3",
                "何无",
                "M",
                "1970-01-01",
                19,
                hukou_code="440305",
                residence_code="440305",
            ),
        ],
    )
    add_rows(
        directory,
        "events",
        [
            {
                "event_ref": "E5",
                "kind": "move_out",
                "person_ref": "L2",
                "effective_date": "2020-03-01",
                "orgunit_code": VILLAGE_A1,
                "from_code": VILLAGE_A1,
                "to_code": "440305",
            },
            {
                "event_ref": "E6",
                "kind": "hukou_out",
                "person_ref": "L2",
                "effective_date": "2022-09-01",
                "orgunit_code": VILLAGE_A2,
                "from_code": VILLAGE_A1,
                "to_code": "440305",
            },
            {
                "event_ref": "E7",
                "kind": "hukou_out",
                "person_ref": "L1",
                "effective_date": "2021-05-05",
                "orgunit_code": VILLAGE_A1,
                "from_code": VILLAGE_A1,
                "to_code": "310101",
            },
        ],
        EVENT_COLUMNS,
    )
    return directory


def test_persons_who_left_are_loaded_with_their_events_and_counted(tmp_path: Path) -> None:
    result = registry_load(path=persons_who_left(tmp_path / "c"), actor="test", today=today())
    # P4 died in 2023, L1 emigrated, L2 lives (and is registered) elsewhere; P5 is registered
    # elsewhere but lives here, so she has not left
    assert result.created["persons"] == 7 and result.created["events"] == 7
    assert result.persons_left == {"dead": 1, "emigrated": 1, "outside": 1}
    assert [(p.row, p.code) for p in result.problems] == [(9, "outside_area")]  # L3
    gone = Person.objects.get(person_ref="L2")
    assert gone.hukou_orgunit is None and gone.residence_orgunit is None
    assert (gone.hukou_region, gone.residence_region) == ("440305", "440305")
    # recorded where the latest event of theirs was
    enrol = Event.objects.get(external_ref="enrol:L2")
    assert enrol.orgunit_id == VILLAGE_A2
    assert [e.kind for e in gone.events.filter(historic=True).order_by("effective_date")] == [
        "move_out",
        "hukou_out",
    ]
    emigrated = Person.objects.get(person_ref="L1")
    assert emigrated.status == "emigrated" and emigrated.hukou_region == "310101"
    assert not Person.objects.filter(person_ref="L3").exists()
    assert registry_rebuild(fix=False, actor="test").differences == []
    again = registry_load(path=tmp_path / "c", actor="test", today=today())
    assert again.created["persons"] == 0 and again.unchanged["persons"] == 7
    assert again.created["events"] == 0 and again.unchanged["events"] == 7


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "loaded 7 persons, of whom 1 dead, 1 emigrated, 1 living outside the county"),
        ("zh-hans", "导入 7 人，其中死亡 1 人、迁出 1 人、居住在县外 1 人"),
    ],
)
def test_the_command_says_how_many_had_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str, line: str
) -> None:
    directory = persons_who_left(tmp_path / "c")
    problems = tmp_path / "problems.csv"
    call_command("registry", "load", str(directory), "--language", language, "--problems", problems)
    assert line in capsys.readouterr().out
    assert [r["row"] for r in read_rows(problems)] == ["9"]


def married_couple_dies(directory: Path, *extra: dict) -> Path:
    """The small county where 张伟 (P1, married to P2 on 2019-10-01) died on 2024-02-02."""
    small_county(directory)
    rows = read_rows(directory / "persons.csv")
    for row in rows:
        if row["person_ref"] == "P1":
            row.update(status="dead", death_date="2024-02-02", household_ref="")
            row.update(relation_to_head="")
        if row["person_ref"] == "P2":
            row.update(marital_status="widowed", relation_to_head="head")
    write_csv(directory / "persons.csv", rows)
    death = {
        "event_ref": "E9",
        "kind": "death",
        "person_ref": "P1",
        "effective_date": "2024-02-02",
        "report_date": "2024-02-05",
        "source": "hospital",
        "orgunit_code": VILLAGE_A1,
    }
    add_rows(directory, "events", [death, *extra], EVENT_COLUMNS)
    return directory


def test_a_loaded_death_of_a_married_man_widows_his_wife(tmp_path: Path) -> None:
    directory = married_couple_dies(tmp_path / "c")
    result = registry_load(path=directory, actor="test", today=today())
    assert result.problems == [] and result.widowhoods == 1
    assert result.created["events"] == 5  # the file's rows; the widowhood is counted apart
    widowhood = Event.objects.get(kind="widowhood")
    wife, husband = Person.objects.get(person_ref="P2"), Person.objects.get(person_ref="P1")
    assert widowhood.person == wife and widowhood.historic and widowhood.status == "applied"
    assert str(widowhood.effective_date) == "2024-02-02" and widowhood.source == "hospital"
    assert widowhood.payload == {"spouse_id": husband.pk, "death_event_ref": "load:E9"}
    death = Event.objects.get(external_ref="load:E9")
    assert widowhood.applied_seq > death.applied_seq
    assert registry_rebuild(fix=False, actor="test").differences == []
    again = registry_load(path=directory, actor="test", today=today())
    assert again.widowhoods == 0 and again.created["events"] == 0 and again.problems == []
    assert Event.objects.filter(kind="widowhood").count() == 1


def test_a_widowhood_in_the_file_is_taken_and_not_recorded_twice(tmp_path: Path) -> None:
    widowhood = {
        "event_ref": "E10",
        "kind": "widowhood",
        "person_ref": "P2",
        "effective_date": "2024-02-02",
        "orgunit_code": VILLAGE_A1,
        "spouse_ref": "P1",
    }
    result = registry_load(
        path=married_couple_dies(tmp_path / "c", widowhood), actor="test", today=today()
    )
    assert result.problems == [] and result.widowhoods == 0
    [event] = Event.objects.filter(kind="widowhood")
    assert event.external_ref == "load:E10"
    assert event.payload["spouse_id"] == Person.objects.get(person_ref="P1").pk


def test_a_divorce_before_the_death_means_no_widowhood(tmp_path: Path) -> None:
    divorce = {
        "event_ref": "E8",
        "kind": "divorce",
        "person_ref": "P2",
        "effective_date": "2022-02-02",
        "orgunit_code": VILLAGE_A1,
        "spouse_ref": "P1",
    }
    result = registry_load(
        path=married_couple_dies(tmp_path / "c", divorce), actor="test", today=today()
    )
    assert result.widowhoods == 0
    assert not Event.objects.filter(kind="widowhood").exists()


def test_id_numbers_of_persons_registered_elsewhere_are_checked_as_any(tmp_path: Path) -> None:
    small_county(tmp_path / "c")
    number = id_number("1988-08-08", 28, region="440305")
    add_rows(
        tmp_path / "c",
        "persons",
        [
            person(
                "L2",
                "林外",
                "F",
                "1988-08-08",
                28,
                id_number=number,
                status="dead",
                death_date="2024-01-01",
                hukou_code="440305",
                residence_code="440305",
            )
        ],
    )
    add_rows(
        tmp_path / "c",
        "events",
        [
            {
                "event_ref": "E5",
                "kind": "death",
                "person_ref": "L2",
                "effective_date": "2024-01-01",
                "orgunit_code": VILLAGE_A1,
            },
        ],
        EVENT_COLUMNS,
    )
    result = registry_load(path=tmp_path / "c", actor="test", today=today())
    assert result.problems == []
    assert result.persons_left == {"dead": 2, "emigrated": 0, "outside": 0}
    assert Person.objects.get(person_ref="L2").id_number_masked.startswith("440305")
