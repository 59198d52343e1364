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


@pytest.mark.parametrize(
    ("changed", "ids", "expected"),
    [
        # two persons changed in place, one born (a higher id): order kept without a sort
        (
            [(3, "b"), (7, "x"), (9, "y")],
            [3, 7, 9],
            [(1, "a"), (3, "b"), (5, "c"), (7, "x"), (9, "y")],
        ),
        # a new person numbered below the others: the table is sorted again
        ([(2, "n")], [2], [(1, "a"), (2, "n"), (3, "c"), (5, "c"), (7, "d")]),
        # a person of the new events who is no longer in the register is dropped
        ([(1, "z")], [1, 5], [(1, "z"), (3, "c"), (7, "d")]),
        ([], [], [(1, "a"), (3, "c"), (5, "c"), (7, "d")]),
    ],
)
def test_changed_persons_take_their_old_rows_places(changed, ids, expected):
    import pyarrow as pa

    from renkou.analytics.snapshot import _merge_persons

    schema = pa.schema([("id", pa.int64()), ("status", pa.string())])
    old = pa.table({"id": [1, 3, 5, 7], "status": ["a", "c", "c", "d"]}, schema=schema)
    new = pa.table(
        {"status": [s for _, s in changed], "id": [i for i, _ in changed]},
        schema=pa.schema([("status", pa.string()), ("id", pa.int64())]),
    )
    merged = _merge_persons(old, new, ids)
    assert merged.schema == schema
    assert list(zip(*(merged.column(n).to_pylist() for n in ("id", "status")), strict=True)) == (
        expected
    )
