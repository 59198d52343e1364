"""Snapshots: incremental refresh by applied sequence equals a rebuild from scratch."""

from __future__ import annotations

import datetime

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from renkou.analytics.snapshot import read_events, read_manifest, snapshot_refresh
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.models import Person
from tests.builders import VILLAGE_A1, VILLAGE_B1

pytestmark = pytest.mark.django_db


def _tables(directory):
    return (
        pq.read_table(directory / "persons.parquet"),
        read_events(directory),
        pq.read_table(directory / "orgunits.parquet"),
    )


def test_incremental_refresh_equals_rebuild(county, tmp_path):
    inc = tmp_path / "inc"
    first = snapshot_refresh(inc)
    assert first.first_seq == 1
    assert first.events == 9  # 5 enrolments + 4 historic events
    persons, events, _units = _tables(inc)
    assert persons.num_rows == 5
    # a historic move keeps where from and where to; an enrolment the enrolled places
    move = events.filter(pc.equal(events["kind"], "move_in")).to_pylist()[0]
    assert (move["residence_from"], move["residence_to"]) == ("R410102", VILLAGE_A1)
    p5 = Person.objects.get(person_ref="P5")
    enrol = next(e for e in events.to_pylist() if e["kind"] == "enrol" and e["person_id"] == p5.pk)
    assert (enrol["hukou_to"], enrol["residence_to"]) == ("R410102", VILLAGE_A1)

    # nothing new: nothing written
    assert snapshot_refresh(inc).events == 0

    p1 = Person.objects.get(person_ref="P1")
    move = services.event_submit(
        kind="move_out",
        person=p1,
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        effective_date=datetime.date(2025, 8, 1),
        source="village",
        actor="test",
        payload={"to_orgunit": VILLAGE_B1},
    )
    services.event_apply(event=move, actor="test")
    second = snapshot_refresh(inc)
    assert (second.first_seq, second.last_seq, second.events) == (10, 10, 1)
    assert second.person_ids == [p1.pk]
    assert read_manifest(inc)["last_seq"] == 10
    persons, events, _ = _tables(inc)
    row = persons.filter(pc.equal(persons["id"], p1.pk)).to_pylist()[0]
    assert row["residence"] == VILLAGE_B1
    assert events.num_rows == 10

    full = tmp_path / "full"
    snapshot_refresh(full, full=True)
    for a, b in zip(_tables(inc), _tables(full), strict=True):
        assert a.equals(b)
