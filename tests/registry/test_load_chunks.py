"""The load in chunks: links across chunks and to later rows, and memory bounded by the chunk."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from renkou.registry.rebuild import registry_rebuild
from renkou.synth.county import generate
from tests.builders import ORGUNITS, person, today, write_csv

END = datetime.date(2025, 12, 31)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_county_loaded_in_tiny_chunks_is_the_county_loaded_whole(tmp_path: Path) -> None:
    out = tmp_path / "county"
    summary = generate(persons=3000, years=5, seed=5, out=out, end=END)
    with override_settings(RENKOU_LOAD_CHUNK_ROWS=97):
        result = registry_load(path=out, actor="test", today=END)
    assert result.errors == 0, result.problems[:5]
    assert result.created["persons"] == summary["counts"]["persons"]
    assert result.created["events"] == summary["counts"]["events"]
    assert registry_rebuild(fix=False, actor="test").differences == []
    # history numbered in the order it happened, ids in the same order
    history = list(
        Event.objects.filter(historic=True)
        .order_by("applied_seq")
        .values_list("id", "effective_date")
    )
    assert [i for i, _d in history] == sorted(i for i, _d in history)
    assert [d for _i, d in history] == sorted(d for _i, d in history)
    with override_settings(RENKOU_LOAD_CHUNK_ROWS=1000):
        again = registry_load(path=out, actor="test", today=END)
    assert again.created["persons"] == 0 and again.errors == 0
    assert again.unchanged["persons"] == summary["counts"]["persons"]


@pytest.mark.django_db
def test_a_mother_on_a_later_row_is_linked_unless_her_row_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "c"
    directory.mkdir()
    write_csv(directory / "orgunits.csv", ORGUNITS)
    rows = [
        person("C1", "王小一", "M", "2015-01-02", 21, mother_ref="M1"),
        person("C2", "王小二", "F", "2016-03-04", 20, mother_ref="M2"),
        person("M1", "李一", "F", "1988-05-06", 22),
        {**person("M2", "李二", "F", "1989-07-08", 24), "birth_date": "1989-13-40"},
        person("M1", "李一又", "F", "1988-05-06", 26),
    ]
    write_csv(directory / "persons.csv", rows)
    with override_settings(RENKOU_LOAD_CHUNK_ROWS=2):
        result = registry_load(path=directory, actor="test", today=today())
    first = Person.objects.get(person_ref="C1")
    assert first.mother.person_ref == "M1" and first.mother.name == "李一"
    second = Person.objects.get(person_ref="C2")
    assert second.mother is None
    assert second.events.get(kind="enrol").payload["state"].get("mother_id") is None
    found = {(p.code, p.row, p.column, p.severity) for p in result.problems}
    assert ("unknown_ref", 3, "mother_ref", "warning") in found
    assert ("bad_date", 5, "birth_date", "error") in found
    assert ("duplicate_key", 6, "person_ref", "error") in found
    assert registry_rebuild(fix=False, actor="test").differences == []


def _load_peak_mib(county: Path, data: Path, database: Path) -> float:
    """Peak RSS in MiB of a ``renkou registry load`` child on its own copy of ``database``."""
    shutil.copytree(database.parent, data)
    env = {
        **os.environ,
        "RENKOU_DATA_DIR": str(data),
        "RENKOU_LOAD_CHUNK_ROWS": "1000",
        "RENKOU_LOAD_SQLITE_CACHE_MIB": "8",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("RENKOU_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "renkou.cli", "registry", "load", str(county)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024


@pytest.mark.once_leg  # a load of its own on SQLite, whichever leg: once
def test_the_load_memory_is_bounded_by_its_chunk_not_by_the_county(tmp_path: Path) -> None:
    small = tmp_path / "small"
    large = tmp_path / "large"
    generate(persons=500, years=5, seed=7, out=small, end=END)
    generate(persons=25_000, years=5, seed=7, out=large, end=END)
    base = tmp_path / "base"
    base.mkdir()
    env = {**os.environ, "RENKOU_DATA_DIR": str(base), "PYTHONPATH": str(ROOT)}
    env.pop("RENKOU_DATABASE_URL", None)
    migrate = [sys.executable, "-m", "renkou.cli", "migrate", "-v0"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True)
    floor = _load_peak_mib(small, tmp_path / "a", base / "renkou.sqlite3")
    peak = _load_peak_mib(large, tmp_path / "b", base / "renkou.sqlite3")
    # Held whole, these 25,000 persons took 183 MiB above the small county's load (5 GB a
    # million); in chunks of 1,000 the load holds some 40 bytes a person beyond the chunk,
    # plus the name caches (bounded): measured 41–71 MiB.
    assert peak - floor < 110, (floor, peak)
