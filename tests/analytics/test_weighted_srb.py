"""The multi-year weighted sex ratio at birth (加权出生性别比) and its dated setting.

The register holds the births of the work summary that scores 2012–2014 pooled (324 boys,
335 girls) at 40 % and 2015 (84 boys, 69 girls and 3 girls reported late, in 2016) at
60 %: 38.68 + 70.00 = 108.68. The truth is the summary's printed figures and the counts
written here, not the code's formula.
"""

from __future__ import annotations

import datetime
import json
from fractions import Fraction
from pathlib import Path

import pytest

from renkou.analytics import indicators, srb_settings
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.models import stored_srb_settings
from renkou.analytics.periods import parse
from renkou.analytics.services import srb_setting_set
from renkou.analytics.snapshot import snapshot_refresh
from renkou.core.models import AuditLog
from renkou.registry.loading import registry_load
from tests.builders import COUNTY, ORGUNITS, VILLAGE_A1, person, today, write_csv

# year: (boys, girls on time, girls reported in the next year)
BIRTHS = {
    2011: (40, 30, 0),  # before the parts of 2015: must not count
    2012: (128, 141, 0),
    2013: (125, 126, 0),
    2014: (71, 68, 0),
    2015: (84, 69, 3),
    2016: (50, 50, 0),
}


def weighted_register(directory: Path) -> None:
    """One village, births only (no mothers linked): each birth on its own day of its year."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "orgunits.csv", [{**u, "valid_to": ""} for u in ORGUNITS])
    persons, events = [], []
    for year, (boys, girls, late) in BIRTHS.items():
        sexes = ["M"] * boys + ["F"] * (girls + late)
        for day, sex in enumerate(sexes):
            born = datetime.date(year, 1, 1) + datetime.timedelta(days=day)
            reported = born + datetime.timedelta(days=3)
            if sex == "F" and day >= boys + girls:  # the late-reported girls
                reported = datetime.date(year + 1, 2, 1)
            ref = f"P{year}{day:03d}"
            persons.append(person(ref, "人", sex, born.isoformat(), 1 if sex == "M" else 2))
            events.append(
                {
                    "event_ref": f"E{ref}",
                    "kind": "birth",
                    "person_ref": ref,
                    "effective_date": born.isoformat(),
                    "report_date": reported.isoformat(),
                    "orgunit_code": VILLAGE_A1,
                    "from_code": "",
                    "to_code": "",
                }
            )
    write_csv(directory / "persons.csv", persons)
    write_csv(directory / "events.csv", events)
    result = registry_load(path=directory, actor="test", today=today())
    assert result.errors == 0, result.problems


@pytest.fixture
def snapshot(db, tmp_path):
    weighted_register(tmp_path / "load")
    snapshot_refresh(tmp_path / "snap")
    return tmp_path / "snap"


def _rows(snapshot, periods, settings=None):
    if settings is not None:
        srb_settings.use_source(lambda: settings)
    try:
        rows = indicators.compute(DuckDBEngine(), snapshot, [parse(p) for p in periods])
        return {(r[0], r[1], r[2], r[3]): r for r in rows}
    finally:
        srb_settings.use_source(stored_srb_settings)


def test_the_summary_example_comes_out_as_printed(snapshot):
    # Only 2015 is asked for: the window must reach back to 2012 by itself.
    rows = _rows(snapshot, ["2015"])
    for unit in (VILLAGE_A1, COUNTY):
        r = rows[("weighted_sex_ratio_at_birth", unit, "2015", "registered")]
        assert r[4] == 108.68
        detail = json.loads(r[10])
        parts = detail["parts"]
        assert [(p["first"], p["last"]) for p in parts] == [("2012", "2014"), ("2015", "2015")]
        assert [(p["boys"], p["girls"]) for p in parts] == [(324, 335), (84, 72)]
        assert [p["score"] for p in parts] == [38.68, 70.00]
        assert [p["weight"] for p in parts] == [40, 60]
        assert parts[0]["ratio"] == pytest.approx(96.716, abs=1e-3)
        assert parts[1]["ratio"] == pytest.approx(116.667, abs=1e-3)
        # boys and girls of all four years, births the count
        assert (r[5], r[6], r[7]) == (324 + 84, 335 + 72, 324 + 84 + 335 + 72)
    # Rounding half up would have given 108.69: the exact sum is 108.6866.
    exact = Fraction(4, 10) * Fraction(32400, 335) + Fraction(6, 10) * Fraction(8400, 72)
    assert round(float(exact), 2) == 108.69
    assert detail["exact"] == pytest.approx(float(exact))


def test_plain_srb_of_2015_counts_the_late_girls_in_their_own_year(snapshot):
    rows = _rows(snapshot, ["2015"])
    r = rows[("sex_ratio_at_birth", VILLAGE_A1, "2015", "registered")]
    assert (r[5], r[6]) == (84, 72)
    assert r[4] == pytest.approx(84 / 72 * 100)


def test_no_weighted_srb_for_months_quarters_and_halves(snapshot):
    rows = _rows(snapshot, ["201503", "2015Q1", "2014OctS1"])
    assert not [k for k in rows if k[0] == "weighted_sex_ratio_at_birth"]


def test_a_setting_from_a_date_changes_the_years_after_it_only(snapshot):
    new = srb_settings.SrbSetting(
        valid_from=datetime.date(2016, 1, 1),
        parts=srb_settings.parse_parts("Y-1=50,Y=50"),
    )
    rows = _rows(snapshot, ["2015", "2016"], srb_settings.SrbSettings((new,)))
    assert rows[("weighted_sex_ratio_at_birth", VILLAGE_A1, "2015", "registered")][4] == 108.68
    r = rows[("weighted_sex_ratio_at_birth", VILLAGE_A1, "2016", "registered")]
    # 2015 (84/72) at 50 % = 58.333… → 58.33; 2016 (50/50) at 50 % = 50.00
    assert r[4] == 108.33
    assert [p["score"] for p in json.loads(r[10])["parts"]] == [58.33, 50.00]


def test_statistical_years_pool_statistical_years(snapshot):
    rows = _rows(snapshot, ["2015Oct"])
    r = rows[("weighted_sex_ratio_at_birth", VILLAGE_A1, "2015Oct", "registered")]
    parts = json.loads(r[10])["parts"]
    assert [(p["first"], p["last"]) for p in parts] == [
        ("2012Oct", "2014Oct"),
        ("2015Oct", "2015Oct"),
    ]

    def count(first, last, sex):
        # births on day d of year y: boys first, then girls (late ones last)
        n = 0
        for year, (boys, girls, late) in BIRTHS.items():
            for day in range(boys + girls + late):
                born = datetime.date(year, 1, 1) + datetime.timedelta(days=day)
                if first <= born <= last and (day < boys) == (sex == "M"):
                    n += 1
        return n

    early = (datetime.date(2012, 10, 1), datetime.date(2015, 9, 30))
    late = (datetime.date(2015, 10, 1), datetime.date(2016, 9, 30))
    assert (parts[0]["boys"], parts[0]["girls"]) == (count(*early, "M"), count(*early, "F"))
    assert (parts[1]["boys"], parts[1]["girls"]) == (count(*late, "M"), count(*late, "F"))


def test_setting_is_stored_audited_and_read_by_date(db):
    srb_setting_set(
        valid_from=datetime.date(2016, 1, 1),
        normal_low=102.0,
        normal_high=108.0,
        parts=srb_settings.parse_parts("Y-2..Y-1=30,Y=70"),
        actor="test",
        reason="县考评方案 2016",
    )
    stored = stored_srb_settings()
    assert stored.at(datetime.date(2015, 12, 31)) == srb_settings.DEFAULT
    later = stored.at(datetime.date(2016, 6, 1))
    assert (later.normal_low, later.normal_high) == (102.0, 108.0)
    assert later.parts_text() == "Y-2..Y-1=30,Y=70"
    assert stored.for_period(parse("2015Oct")).valid_from == datetime.date(2016, 1, 1)
    audit = AuditLog.objects.filter(action="statistics.srb_setting").get()
    assert audit.before is None and audit.after["parts"][1] == {
        "first": 0,
        "last": 0,
        "percent": 70.0,
    }
    srb_setting_set(
        valid_from=datetime.date(2016, 1, 1),
        normal_low=103.0,
        normal_high=107.0,
        parts=srb_settings.parse_parts("Y-2..Y-1=30,Y=70"),
        actor="test",
        reason="band back",
    )
    changed = AuditLog.objects.filter(action="statistics.srb_setting").order_by("id").last()
    assert changed.before["normal_low"] == 102.0 and changed.after["normal_low"] == 103.0


@pytest.mark.parametrize(
    "text",
    ["Y-3..Y-1=40,Y=50", "Y-1=40,Y+1=60", "Y-1..Y-3=40,Y=60", "Y-2..Y-1=40,Y-1..Y=60", "Y=abc"],
)
def test_settings_that_cannot_hold_are_refused(text):
    with pytest.raises(srb_settings.SettingError):
        srb_settings.SrbSetting(datetime.date(2016, 1, 1), parts=srb_settings.parse_parts(text))
