"""The initial load: valid rows in, bad rows reported by file/row/column, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.core.problems import InputRefused
from renkou.orgunits.models import OrgUnit
from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Household, Person
from renkou.registry.rebuild import registry_rebuild
from tests.builders import VILLAGE_A1, id_number, person, small_county, today, write_csv

pytestmark = pytest.mark.django_db


def load(path: Path):
    return registry_load(path=path, actor="test", today=today())


def test_small_county_loads_everything(tmp_path: Path) -> None:
    result = load(small_county(tmp_path / "c"))
    assert result.problems == []
    assert result.created == {"orgunits": 8, "households": 2, "persons": 5, "events": 4}
    assert OrgUnit.objects.get(code=VILLAGE_A1).level == 5
    child = Person.objects.get(person_ref="P3")
    assert child.mother.person_ref == "P2" and child.father.person_ref == "P1"
    assert child.household.number == "H1" and child.birth_order == 1
    grandma = Person.objects.get(person_ref="P4")
    assert grandma.status == "dead" and str(grandma.death_date) == "2023-05-01"
    migrant = Person.objects.get(person_ref="P5")
    assert migrant.hukou_orgunit is None and migrant.hukou_region == "410102"
    assert migrant.residence_orgunit_id == VILLAGE_A1
    assert Household.objects.get(number="H1").members.count() == 3
    marriage = Event.objects.get(external_ref="load:E4")
    assert (
        marriage.historic
        and marriage.payload["spouse_id"] == Person.objects.get(person_ref="P2").pk
    )
    assert Event.objects.filter(kind="enrol").count() == 5
    assert AuditLog.objects.filter(action="registry.load").count() == 1


def test_identity_numbers_are_not_stored_in_clear(tmp_path: Path) -> None:
    load(small_county(tmp_path / "c"))
    number = id_number("1990-03-05", 11)
    p1 = Person.objects.get(person_ref="P1")
    assert p1.id_number_masked == number[:6] + "********" + number[-4:]
    assert number not in p1.id_number_enc
    assert crypto.decrypt(p1.id_number_enc) == number
    assert Person.objects.get(id_number_hash=crypto.blind_index(number)) == p1
    payloads = " ".join(str(e.payload) for e in Event.objects.all())
    assert number not in payloads


def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    load(directory)
    counts = (Person.objects.count(), Event.objects.count(), Household.objects.count())
    audit = AuditLog.objects.count()
    second = load(directory)
    assert second.problems == []
    assert second.created == {"orgunits": 0, "households": 0, "persons": 0, "events": 0}
    assert second.unchanged == {"orgunits": 8, "households": 2, "persons": 5, "events": 4}
    assert (Person.objects.count(), Event.objects.count(), Household.objects.count()) == counts
    assert AuditLog.objects.count() == audit


def test_changed_row_for_a_loaded_reference_is_a_conflict(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    load(directory)
    write_csv(directory / "persons.csv", [person("P1", "张伟伟", "M", "1990-03-05", 11)])
    result = load(directory / "persons.csv")
    assert [(p.row, p.column, p.code) for p in result.problems] == [(2, "person_ref", "conflict")]
    assert Person.objects.get(person_ref="P1").name == "张伟"


def test_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    good = person("G1", "赵六", "M", "1980-01-01", 11)
    bad_check = person("B1", "钱七", "M", "1980-01-01", 13)
    bad_check["id_number"] = bad_check["id_number"][:-1] + (
        "0" if bad_check["id_number"][-1] != "0" else "1"
    )
    rows = [
        good,
        bad_check,
        person("B2", "孙八", "F", "1980-01-01", 11),  # odd sequence: male number, female person
        person("B3", "李九", "M", "2030-01-01", 15, id_number=""),
        person("B4", "周十", "M", "1970-01-01", 17, status="dead", death_date="1960-01-01"),
        person("B5", "吴一", "M", "1970-01-01", 19, residence_code="330122100999"),
        person("B6", "郑二", "M", "1970-02-30", 21, id_number=""),
        person("B7", "", "M", "1970-01-01", 23),
    ]
    write_csv(directory / "persons.csv", rows)
    (directory / "events.csv").unlink()
    result = load(directory)
    found = {(p.row, p.column, p.code) for p in result.problems if p.severity == "error"}
    assert found == {
        (3, "id_number", "id_invalid"),
        (4, "id_number", "id_mismatch"),
        (5, "birth_date", "future_date"),
        (6, "death_date", "death_before_birth"),
        (7, "residence_code", "unknown_orgunit"),
        (8, "birth_date", "bad_date"),
        (9, "name", "required"),
    }
    assert all(p.file == "persons.csv" and p.message_zh and p.message_en for p in result.problems)
    assert set(Person.objects.values_list("person_ref", flat=True)) == {"G1"}


def test_unknown_column_refuses_the_whole_load(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    rows = [{**person("P1", "张伟", "M", "1990-03-05", 11), "nmae": "x"}]
    write_csv(directory / "persons.csv", rows)
    with pytest.raises(InputRefused) as caught:
        load(directory)
    assert [(p.row, p.column, p.code) for p in caught.value.problems] == [
        (1, "nmae", "column_unknown")
    ]
    assert Person.objects.count() == 0 and OrgUnit.objects.count() == 0  # nothing half-written


def test_gbk_file_is_read(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    write_csv(
        directory / "persons.csv", [person("P1", "张伟", "M", "1990-03-05", 11)], encoding="gbk"
    )
    (directory / "events.csv").unlink()
    result = load(directory)
    assert result.problems == []
    assert Person.objects.get(person_ref="P1").name == "张伟"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    (directory / "persons.csv").write_text("")
    with pytest.raises(InputRefused) as caught:
        load(directory)
    assert caught.value.problems[0].code == "file_empty"
    assert OrgUnit.objects.count() == 0


def test_event_for_unknown_person_is_refused_but_the_rest_loads(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    with (directory / "events.csv").open("a", encoding="utf-8") as fh:
        fh.write("E9,death,NOPE,2023-01-01,,,330122100201,,,\n")
    result = load(directory)
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (6, "person_ref", "unknown_ref")
    ]
    assert result.created["events"] == 4


def test_rebuild_verify_agrees_after_load_and_detects_tampering(tmp_path: Path) -> None:
    load(small_county(tmp_path / "c"))
    clean = registry_rebuild(fix=False, actor="test")
    assert clean.persons == 5 and clean.differences == []
    Person.objects.filter(person_ref="P1").update(name="篡改")
    found = registry_rebuild(fix=False, actor="test")
    assert [(d.fields["name"]) for d in found.differences] == [("篡改", "张伟")]
    fixed = registry_rebuild(fix=True, actor="test")
    assert fixed.fixed == 1
    assert Person.objects.get(person_ref="P1").name == "张伟"
    assert registry_rebuild(fix=False, actor="test").differences == []
