"""The synthetic county loads whole: persons who left with their transfers, widowhoods."""

from __future__ import annotations

import datetime

import pytest

from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from renkou.registry.rebuild import registry_rebuild
from renkou.synth.county import generate

END = datetime.date(2025, 12, 31)


@pytest.mark.django_db
def test_the_synthetic_county_loads_with_persons_who_left_and_widowhoods(tmp_path) -> None:
    out = tmp_path / "county"
    summary = generate(persons=5000, years=5, seed=3, out=out, end=END)
    result = registry_load(path=out, actor="test", today=END)
    assert result.errors == 0, result.problems[:5]
    assert result.created["persons"] == summary["counts"]["persons"]
    assert result.created["events"] == summary["counts"]["events"]
    assert result.persons_left["dead"] == summary["counts"]["dead"]
    # living and registered elsewhere: loaded, enrolled where their hukou_out was recorded
    gone = Person.objects.filter(
        status="alive", hukou_orgunit=None, residence_orgunit=None
    ).exclude(hukou_region="")
    assert gone.exists()
    for person in gone[:20]:
        transfer = person.events.get(kind="hukou_out")
        assert transfer.payload["to_region"] == person.hukou_region
        assert person.events.get(kind="enrol").orgunit_id == transfer.orgunit_id
    assert result.persons_left["outside"] >= gone.count()
    # the file carries the widowhoods: the load adds none of its own
    assert result.widowhoods == 0
    widowhoods = Event.objects.filter(kind="widowhood")
    assert widowhoods.count() == summary["counts"]["widowhoods"] > 0
    assert all(w.historic and w.person.marital_status == "widowed" for w in widowhoods[:50])
    assert Event.objects.filter(kind="hukou_in").exists()
    assert registry_rebuild(fix=False, actor="test").differences == []
