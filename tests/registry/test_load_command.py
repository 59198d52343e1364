"""``renkou registry load`` and ``orgunits load`` from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.builders import ORGUNITS, person, small_county, write_csv

pytestmark = pytest.mark.django_db


def test_problems_are_written_with_row_column_and_both_languages(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    (directory / "events.csv").unlink()
    rows = [
        person("P1", "张伟", "M", "1990-03-05", 11),
        person("P2", "李丽", "F", "1990-13-05", 22, id_number=""),
    ]
    write_csv(directory / "persons.csv", rows)
    target = tmp_path / "problems.csv"
    out = io.StringIO()
    call_command(
        "registry",
        "load",
        str(directory),
        "--problems",
        str(target),
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "persons: 1 loaded" in out.getvalue() and "1 rows refused" in out.getvalue()
    with target.open(encoding="utf-8-sig") as fh:
        problems = list(csv.DictReader(fh))
    assert [(p["file"], p["row"], p["column"], p["value"], p["code"]) for p in problems] == [
        ("persons.csv", "3", "birth_date", "1990-13-05", "bad_date")
    ]
    assert "日期" in problems[0]["reason_zh"] and "invalid" in problems[0]["reason_en"]


def test_refused_file_fails_the_command_and_writes_nothing(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    (directory / "persons.csv").write_bytes(b"person_ref,name\n\xff\xfe\x81\x30\xff\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("registry", "load", str(directory), stdout=io.StringIO(), stderr=err)
    assert "persons.csv" in err.getvalue() and "encoding" in err.getvalue()
    assert OrgUnit.objects.count() == 0 and Person.objects.count() == 0


def test_parquet_persons_file_loads(tmp_path: Path) -> None:
    directory = small_county(tmp_path / "c")
    (directory / "events.csv").unlink()
    rows = [person("P1", "张伟", "M", "1990-03-05", 11)]
    (directory / "persons.csv").unlink()
    pq.write_table(pa.Table.from_pylist(rows), directory / "persons.parquet")
    call_command("registry", "load", str(directory), stdout=io.StringIO(), stderr=io.StringIO())
    assert Person.objects.get().name == "张伟"


def test_wrong_file_type_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "persons.xlsx"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(CommandError):
        call_command("registry", "load", str(bad), stdout=io.StringIO(), stderr=io.StringIO())


def test_orgunits_load_refuses_a_file_with_a_bad_row_whole(tmp_path: Path) -> None:
    rows = [*ORGUNITS, {"code": "33012210X", "name": "坏", "parent_code": "330122"}]
    path = write_csv(tmp_path / "orgunits.csv", rows)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("orgunits", "load", str(path), stdout=io.StringIO(), stderr=err)
    assert "row 10" in err.getvalue() and "code" in err.getvalue()
    assert OrgUnit.objects.count() == 0
    write_csv(path, ORGUNITS)
    out = io.StringIO()
    call_command("orgunits", "load", str(path), stdout=out)
    assert out.getvalue().startswith("8 created")
    call_command("orgunits", "load", str(path), stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("0 created, 0 updated, 8 unchanged")
