"""The synthetic county: load-file contract, referential integrity, realism, determinism."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from renkou.synth.county import generate

PERSONS = 30_000
END = date(2025, 12, 31)
START = date(2021, 1, 1)

# The columns of docs/load-format.md, written out here so that a change to either side shows.
COLUMNS = {
    "orgunits": ["code", "name", "parent_code", "valid_from", "valid_to"],
    "households": ["household_ref", "orgunit_code", "address", "hukou_type"],
    "persons": [
        "person_ref", "id_number", "name", "sex", "birth_date", "ethnicity", "hukou_code",
        "hukou_type", "residence_code", "marital_status", "mother_ref", "father_ref",
        "birth_order", "status", "death_date", "household_ref", "relation_to_head",
    ],
    "events": [
        "event_ref", "kind", "person_ref", "effective_date", "report_date", "source",
        "orgunit_code", "from_code", "to_code", "spouse_ref",
    ],
}  # fmt: skip
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RELATIONS = {"head", "spouse", "child", "parent", "grandchild", "sibling", "in_law", "other"}


def check_id(number: str, birth: str, sex: str) -> bool:
    """GB 11643 check character, and birth date and sex agreeing with the number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    check = "10X98765432"[sum(int(c) * w for c, w in zip(number, WEIGHTS, strict=False)) % 11]
    return (
        number[17] == check
        and number[6:14] == birth.replace("-", "")
        and (int(number[16]) % 2 == 1) == (sex == "M")
    )


def age(birth: str, on: str) -> int:
    """Completed years on a date, both ISO strings."""
    b, d = date.fromisoformat(birth), date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 30,000-person county, its summary and its tables as lists of dicts."""
    out = tmp_path_factory.mktemp("county")
    summary = generate(persons=PERSONS, years=5, seed=7, out=out, end=END)
    with (out / "orgunits.csv").open(encoding="utf-8", newline="") as fh:
        orgunits = list(csv.DictReader(fh))
    tables = {
        name: pq.read_table(out / f"{name}.parquet") for name in ("households", "persons", "events")
    }
    return {
        "out": out,
        "summary": summary,
        "orgunits": orgunits,
        "tables": tables,
        **{name: t.to_pylist() for name, t in tables.items()},
    }


def test_files_have_exactly_the_contract_columns(county: dict) -> None:
    assert sorted(p.name for p in county["out"].iterdir()) == [
        "events.parquet", "households.parquet", "orgunits.csv", "persons.parquet", "summary.json",
    ]  # fmt: skip
    assert list(county["orgunits"][0]) == COLUMNS["orgunits"]
    for name in ("households", "persons", "events"):
        assert county["tables"][name].column_names == COLUMNS[name]
    assert json.loads((county["out"] / "summary.json").read_text("utf-8")) == county["summary"]


def test_person_count_and_unique_keys(county: dict) -> None:
    persons = county["persons"]
    assert abs(len(persons) - PERSONS) <= PERSONS // 100
    assert len({p["person_ref"] for p in persons}) == len(persons)
    assert len({h["household_ref"] for h in county["households"]}) == len(county["households"])
    assert len({e["event_ref"] for e in county["events"]}) == len(county["events"])
    ids = [p["id_number"] for p in persons if p["id_number"]]
    assert len(set(ids)) == len(ids)


def test_identity_numbers_are_valid(county: dict) -> None:
    for p in county["persons"]:
        if p["id_number"]:
            assert check_id(p["id_number"], p["birth_date"], p["sex"]), p
    # (an in-migrant's child keeps the number issued at home when the family settles here)
    settled = {e["person_ref"] for e in county["events"] if e["kind"] == "hukou_in"}
    natives_born_here = [
        p for p in county["persons"]
        if p["id_number"] and len(p["hukou_code"]) == 12 and p["birth_date"] >= "2021-01-01"
        and p["person_ref"] not in settled
    ]  # fmt: skip
    assert natives_born_here
    assert all(p["id_number"].startswith("330122") for p in natives_born_here)


def test_newborns_of_the_last_year_often_lack_an_identity_number(county: dict) -> None:
    newborns = [p for p in county["persons"] if p["birth_date"] > "2024-12-31"]
    missing = sum(1 for p in newborns if not p["id_number"])
    assert 0.35 < missing / len(newborns) < 0.65
    older = [p for p in county["persons"] if p["birth_date"] <= "2024-12-31"]
    assert all(p["id_number"] for p in older)


def test_references_point_at_existing_rows(county: dict) -> None:
    units = {u["code"]: u for u in county["orgunits"]}
    for u in county["orgunits"]:
        if u["parent_code"]:
            assert u["code"].startswith(u["parent_code"]) and u["parent_code"] in units
        assert len(u["code"]) in (2, 4, 6, 9, 12)
    villages = {c for c, u in units.items() if len(c) == 12 and not u["valid_to"]}
    persons = {p["person_ref"]: p for p in county["persons"]}
    households = {h["household_ref"] for h in county["households"]}
    assert all(h["orgunit_code"] in villages for h in county["households"])
    for p in persons.values():
        for key in ("mother_ref", "father_ref"):
            assert p[key] is None or p[key] in persons
        assert p["household_ref"] is None or p["household_ref"] in households
        for key in ("hukou_code", "residence_code"):
            assert p[key] in villages or (len(p[key]) == 6 and not p[key].startswith("330122"))
    for e in county["events"]:
        assert e["person_ref"] in persons
        assert e["spouse_ref"] is None or e["spouse_ref"] in persons
        assert e["orgunit_code"] in villages


def test_values_are_in_the_contract_vocabularies(county: dict) -> None:
    for p in county["persons"]:
        assert p["sex"] in ("M", "F")
        assert p["status"] in ("alive", "dead")
        assert p["marital_status"] in ("single", "married", "divorced", "widowed")
        assert p["hukou_type"] in ("rural", "urban")
        assert p["relation_to_head"] is None or p["relation_to_head"] in RELATIONS
        assert len(p["ethnicity"]) == 2 and p["ethnicity"].isdigit()
        assert 2 <= len(p["name"]) <= 4
        assert (p["status"] == "dead") == (p["death_date"] is not None)
        # no household here: the dead, and those whose registration left the county
        left = len(p["hukou_code"]) == 6 and len(p["residence_code"]) == 6
        assert (p["status"] == "dead" or left) == (p["household_ref"] is None)
    kinds = {
        "birth", "death", "move_in", "move_out", "marriage", "divorce",
        "hukou_in", "hukou_out", "widowhood",
    }  # fmt: skip
    sources = {"village", "hospital", "police", "school", "civil_affairs", "api", "load"}
    assert {e["kind"] for e in county["events"]} == kinds
    assert {e["source"] for e in county["events"]} <= sources


def test_households_have_one_head_and_plausible_members(county: dict) -> None:
    heads: dict[str, int] = defaultdict(int)
    for p in county["persons"]:
        if p["relation_to_head"] == "head":
            heads[p["household_ref"]] += 1
    assert all(heads[h["household_ref"]] == 1 for h in county["households"])


def test_events_are_consistent_with_the_persons(county: dict) -> None:
    persons = {p["person_ref"]: p for p in county["persons"]}
    start, end = START.isoformat(), END.isoformat()
    births = set()
    late = 0
    for e in county["events"]:
        p = persons[e["person_ref"]]
        assert start <= e["effective_date"] <= end
        assert e["effective_date"] <= e["report_date"] <= end
        late += (
            date.fromisoformat(e["report_date"]) - date.fromisoformat(e["effective_date"])
        ).days > 30
        assert e["effective_date"] >= p["birth_date"]
        assert p["death_date"] is None or e["effective_date"] <= p["death_date"]
        if e["kind"] == "birth":
            births.add(e["person_ref"])
            assert e["effective_date"] == p["birth_date"]
        elif e["kind"] == "death":
            assert e["effective_date"] == p["death_date"]
        elif e["kind"] in ("move_in", "move_out", "hukou_in", "hukou_out"):
            assert e["from_code"] and e["to_code"] and e["from_code"] != e["to_code"]
        elif e["kind"] == "widowhood":
            # the spouse died that day, and the survivor is widowed for good (no remarriage
            # is simulated)
            spouse = persons[e["spouse_ref"]]
            assert spouse["death_date"] == e["effective_date"] and spouse["sex"] != p["sex"]
            assert p["marital_status"] == "widowed"
        elif e["kind"] == "marriage":
            legal = 22 if p["sex"] == "M" else 20
            assert age(p["birth_date"], e["effective_date"]) >= legal
            assert persons[e["spouse_ref"]]["sex"] != p["sex"]
    assert late / len(county["events"]) < 0.15
    born_in_window = {p["person_ref"] for p in persons.values() if p["birth_date"] >= start}
    assert births == born_in_window
    dead = {p["person_ref"] for p in persons.values() if p["status"] == "dead"}
    assert dead == {e["person_ref"] for e in county["events"] if e["kind"] == "death"}


def test_hukou_transfers_go_both_ways_and_leave_the_registered_place(county: dict) -> None:
    persons = {p["person_ref"]: p for p in county["persons"]}
    transfers = sorted(
        (e for e in county["events"] if e["kind"] in ("hukou_in", "hukou_out")),
        key=lambda e: e["effective_date"],
    )
    kinds = defaultdict(int)
    latest = {}
    for e in transfers:
        ours_from, ours_to = len(e["from_code"]) == 12, len(e["to_code"]) == 12
        kinds[(e["kind"], ours_from, ours_to)] += 1
        # hukou_out is recorded by the village left, hukou_in by the village joined
        assert e["orgunit_code"] == (e["from_code"] if e["kind"] == "hukou_out" else e["to_code"])
        latest[e["person_ref"]] = e["to_code"]
    assert set(kinds) == {
        ("hukou_out", True, False),  # out of the county
        ("hukou_out", True, True),  # to another village of ours
        ("hukou_in", False, True),  # in from elsewhere
    }
    assert all(n >= 20 for n in kinds.values()), kinds
    assert all(persons[ref]["hukou_code"] == code for ref, code in latest.items())
    # a few per thousand persons a year each way, as in a rural county
    rates = county["summary"]["hukou_transfer_rates_permille"]
    assert 0.5 <= rates["in"] <= 5 and 0.5 <= rates["out"] <= 5
    assert 0.5 <= rates["between_villages"] <= 6
    gone = [
        p for p in persons.values()
        if p["status"] == "alive" and len(p["hukou_code"]) == 6 and len(p["residence_code"]) == 6
    ]  # fmt: skip
    assert gone and county["summary"]["left_county_share_pct"] > 0


def test_deaths_of_the_married_widow_their_spouses(county: dict) -> None:
    persons = {p["person_ref"]: p for p in county["persons"]}
    widowhoods = [e for e in county["events"] if e["kind"] == "widowhood"]
    married = {
        e["person_ref"]: e["spouse_ref"] for e in county["events"] if e["kind"] == "marriage"
    }
    divorced = {e["person_ref"] for e in county["events"] if e["kind"] == "divorce"}
    # couples married in the window: when one dies first, the other is widowed that day
    expected = {
        (survivor, persons[late]["death_date"])
        for survivor, late in married.items()
        if survivor not in divorced
        and persons[late]["death_date"] is not None
        and (persons[survivor]["death_date"] or "9999") > persons[late]["death_date"]
    }
    found = {(e["person_ref"], e["effective_date"]) for e in widowhoods}
    assert expected and expected <= found
    assert len(widowhoods) == county["summary"]["counts"]["widowhoods"]
    assert len({e["person_ref"] for e in widowhoods}) == len(widowhoods)


def test_mothers_and_birth_orders_are_consistent(county: dict) -> None:
    persons = {p["person_ref"]: p for p in county["persons"]}
    children: dict[str, list[dict]] = defaultdict(list)
    for p in persons.values():
        if p["mother_ref"]:
            mother = persons[p["mother_ref"]]
            assert mother["sex"] == "F"
            assert 15 <= age(mother["birth_date"], p["birth_date"]) <= 49
            children[p["mother_ref"]].append(p)
        if p["father_ref"]:
            assert persons[p["father_ref"]]["sex"] == "M"
    for kids in children.values():
        kids.sort(key=lambda k: k["birth_date"])
        assert [int(k["birth_order"]) for k in kids] == list(range(1, len(kids) + 1))


def test_statistics_are_realistic(county: dict) -> None:
    s = county["summary"]
    assert 1.0 <= s["total_fertility_rate"] <= 1.4
    assert 104 <= s["sex_ratio_at_birth"] <= 116
    assert 27.5 <= s["mean_maternal_age"] <= 30.5
    assert 6 <= s["crude_death_rate_permille"] <= 9
    assert 2.3 <= s["persons_per_household"] <= 2.9
    assert 15 <= s["floating_share_pct"] <= 25
    assert 94 <= s["ethnic_shares_pct"]["01"] <= 98
    shares = s["parity_shares_pct"]
    assert 35 <= shares["1"] <= 55 and 30 <= shares["2"] <= 50 and 8 <= shares["3+"] <= 22
    assert s["counts"]["persons"] == len(county["persons"])


def test_same_seed_same_bytes_other_seed_differs(county: dict, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate(persons=PERSONS, years=5, seed=7, out=again, end=END)
    generate(persons=PERSONS, years=5, seed=8, out=other, end=END)
    for name in (
        "orgunits.csv",
        "households.parquet",
        "persons.parquet",
        "events.parquet",
        "summary.json",
    ):
        assert (again / name).read_bytes() == (county["out"] / name).read_bytes(), name
    assert (other / "persons.parquet").read_bytes() != (again / "persons.parquet").read_bytes()


def test_csv_format_and_stale_files(tmp_path: Path) -> None:
    generate(persons=3_000, years=2, seed=1, out=tmp_path, fmt="parquet")
    summary = generate(
        persons=3_000, years=2, seed=1, out=tmp_path, fmt="csv", end=date(2024, 6, 30)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.csv", "households.csv", "orgunits.csv", "persons.csv", "summary.json",
    ]  # fmt: skip
    assert summary["window"] == {"start": "2022-07-01", "end": "2024-06-30"}
    for name in ("households", "persons", "events"):
        with (tmp_path / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == COLUMNS[name]
    assert len(rows) == summary["counts"]["events"]


def test_management_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    from renkou.synth.management.commands.synth import Command

    args = ["county", "--persons", "2000", "--years", "3", "--seed", "5", "--out", str(tmp_path)]
    call_command(Command(), *args, "--format", "csv", "--end", "2025-06-30")
    printed = json.loads(capsys.readouterr().out)
    assert printed["parameters"]["end"] == "2025-06-30"
    assert (tmp_path / "persons.csv").exists()
