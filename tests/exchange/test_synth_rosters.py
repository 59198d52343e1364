"""Synthetic rosters linked back to the synthetic county they came from: quality against truth."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from renkou.exchange.linking import roster_link
from renkou.exchange.models import Outcome
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from renkou.registry.loading import registry_load
from renkou.synth.county import generate
from renkou.synth.rosters import write_rosters


@pytest.mark.django_db
def test_police_register_links_back_to_the_people_it_was_made_from(tmp_path) -> None:
    county = tmp_path / "county"
    generate(persons=3000, years=1, seed=7, out=county, end=date(2025, 6, 30), fmt="csv")
    registry_load(path=county, actor="test", today=date(2025, 6, 30))
    counts = write_rosters(county, tmp_path / "rosters", seed=7)
    assert counts["police_register"] > 250
    truth = {
        int(r["row"]): r["person_ref"]
        for r in csv.DictReader((tmp_path / "rosters" / "truth.csv").open(encoding="utf-8"))
        if r["file"] == "police_register.csv"
    }
    top = OrgUnit.objects.filter(parent__isnull=True).first()
    imp = roster_import(
        path=tmp_path / "rosters" / "police_register.csv",
        kind="police_register",
        orgunit=top,
        actor="test",
        today=date(2025, 6, 30),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    rows = list(imp.rows.select_related("person"))
    automatic = [r for r in rows if r.outcome in (Outcome.MATCHED, Outcome.CONFLICTS)]
    right = sum(1 for r in automatic if r.person.person_ref == truth[r.row_number])
    in_register = sum(1 for r in rows if truth[r.row_number])
    possible = sum(1 for r in rows if r.outcome == Outcome.POSSIBLE)
    assert right / len(automatic) >= 0.99  # precision of automatic matches
    assert right / in_register >= 0.9  # recall
    assert possible <= 0.02 * len(rows)  # rows left for a person to decide
    strangers = [r for r in rows if not truth[r.row_number]]
    assert strangers and all(r.outcome != Outcome.MATCHED for r in strangers)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["school_enrolment", "civil_marriages"])
def test_school_and_marriage_rosters_link_back(tmp_path, kind: str) -> None:
    county = tmp_path / "county"
    generate(persons=3000, years=2, seed=11, out=county, end=date(2025, 6, 30), fmt="csv")
    registry_load(path=county, actor="test", today=date(2025, 6, 30))
    counts = write_rosters(county, tmp_path / "rosters", seed=11)
    assert counts[kind] > 25
    truth = {
        int(r["row"]): r["person_ref"]
        for r in csv.DictReader((tmp_path / "rosters" / "truth.csv").open(encoding="utf-8"))
        if r["file"] == f"{kind}.csv"
    }
    assert len(truth) == counts[kind]
    top = OrgUnit.objects.filter(parent__isnull=True).first()
    imp = roster_import(
        path=tmp_path / "rosters" / f"{kind}.csv",
        kind=kind,
        orgunit=top,
        actor="test",
        today=date(2025, 6, 30),
    ).roster_import
    assert imp.rows_quarantined == 0 and imp.rows_staged == counts[kind]
    roster_link(roster_import=imp, actor="test")
    rows = list(imp.rows.select_related("person"))
    automatic = [r for r in rows if r.outcome in (Outcome.MATCHED, Outcome.CONFLICTS)]
    right = sum(1 for r in automatic if r.person.person_ref == truth[r.row_number])
    in_register = sum(1 for r in rows if truth[r.row_number])
    assert right / len(automatic) >= 0.99
    assert right / in_register >= 0.95
    assert sum(1 for r in rows if r.outcome == Outcome.POSSIBLE) <= 0.02 * len(rows)
    strangers = [r for r in rows if not truth[r.row_number]]
    assert strangers and all(r.outcome == Outcome.MISSING for r in strangers)
    if kind == "civil_marriages":
        both = [r for r in automatic if r.evidence["spouse"]]
        assert both and all(r.evidence["spouses"]["wife"] == "in_register" for r in both)
        assert all(r.outcome == Outcome.MATCHED for r in both)  # the register has the event
