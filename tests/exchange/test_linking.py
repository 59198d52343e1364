"""The exact pass and the worklist, and the command line, on the small county."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from renkou.core.models import AuditLog
from renkou.exchange.linking import roster_link
from renkou.exchange.models import Outcome, RosterImport
from renkou.exchange.selectors import worklist
from renkou.exchange.services import roster_import
from renkou.linkage.exact import compare, day_month_swapped, link_by_key
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number, today

P1 = id_number("1990-03-05", 11)  # 张伟, M, alive
P2 = id_number("1992-07-20", 22)  # 李丽, mother of 张小明 (M, 2021-01-15)
P4 = id_number("1940-02-02", 42)  # 张奶奶, dead 2023-05-01
STRANGER = id_number("1980-08-08", 81)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _linked(path: Path, kind: str) -> RosterImport:
    imp = roster_import(
        path=path,
        kind=kind,
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    return imp


def _outcomes(imp: RosterImport) -> dict[int, tuple[str, str]]:
    return {e["row"]: (e["outcome"], e["person_ref"]) for e in worklist(imp)}


def test_pure_helpers() -> None:
    assert link_by_key([(1, "a"), (2, "b"), (3, "")], {"a": 10, "": 99}) == {1: 10}
    assert day_month_swapped(date(2020, 3, 7), date(2020, 7, 3))
    assert not day_month_swapped(date(2020, 3, 7), date(2020, 3, 7))
    result = compare(
        {"sex": "M", "birth_date": "2020-03-07"},
        {"sex": "M", "birth_date": "2020-07-03"},
        ("sex", "birth_date"),
    )
    assert result.agree == ["sex"] and result.notes == {"birth_date": "day_month_swapped"}


@pytest.mark.django_db
def test_deaths_matched_unreported_missing_and_pending(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "deaths.csv",
        [
            ["姓名", "身份证号", "性别", "死亡日期"],
            ["张奶奶", P4, "女", "2023-05-01"],
            ["张伟", P1, "男", "2025-06-01"],
            ["陌生人", STRANGER, "男", "2025-06-02"],
            ["无证人", "", "男", "2025-06-03"],
        ],
    )
    imp = _linked(path, "hospital_deaths")
    assert _outcomes(imp) == {
        2: (Outcome.MATCHED, "P4"),
        3: (Outcome.CONFLICTS, "P1"),  # alive in the register: a death not reported
        4: (Outcome.MISSING, ""),
        5: (Outcome.MISSING, ""),  # no number, and nobody like him in the register
    }
    row = imp.rows.get(row_number=3)
    assert row.probability == 1.0
    assert row.evidence["conflicts"] == {"death_date": ["2025-06-01", ""]}
    assert imp.rows.get(row_number=2).evidence["agree"] == ["name", "sex", "death_date"]
    assert AuditLog.objects.filter(action="exchange.link", object_id=str(imp.pk)).exists()


@pytest.mark.django_db
def test_births_found_through_the_mother(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "births.csv",
        [
            ["出生医学证明编号", "婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"],
            ["O1", "男", "2021-01-15", "李丽", P2],
            ["O2", "女", "2021-01-15", "李丽", P2],
            ["O3", "男", "2021-15-01", "李丽", P2],
            ["O4", "男", "2021-01-01", "李丽", P2],
            ["O5", "男", "2025-05-01", "某某", ""],
        ],
    )
    imp = _linked(path, "hospital_births")
    outcomes = _outcomes(imp)
    assert outcomes[2] == (Outcome.MATCHED, "P3")
    assert outcomes[3] == (Outcome.CONFLICTS, "P3")
    assert 4 not in outcomes  # 2021-15-01 is not a date: quarantined
    assert outcomes[5] == (Outcome.MISSING, "")  # the mother has no child born that day
    assert outcomes[6] == (Outcome.MISSING, "")  # no child of a mother called 某某 then
    assert imp.rows.get(row_number=3).evidence["conflicts"] == {"sex": ["F", "M"]}


@pytest.mark.django_db
def test_transposed_birth_date_of_a_child_is_a_conflict(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "births.csv",
        [["婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"], ["男", "2021-01-15", "李丽", P2]],
    )
    assert _outcomes(_linked(path, "hospital_births"))[2][0] == Outcome.MATCHED
    swapped = _csv(
        tmp_path / "swapped.csv",
        [["婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"], ["男", "2021-01-01", "李丽", P2]],
    )
    # 2021-01-01 vs 2021-01-15 is no transposition: the birth is not in the register
    assert _outcomes(_linked(swapped, "hospital_births"))[2][0] == Outcome.MISSING


@pytest.mark.django_db
def test_command_line_import_link_worklist(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "police.csv",
        [
            ["姓名", "性别", "出生日期", "公民身份号码"],
            ["张伟", "男", "1990-03-05", P1],
            ["x", "男", "1990-13-05", ""],
        ],
    )
    out = io.StringIO()
    call_command(
        "exchange",
        "import",
        "--kind",
        "police_register",
        "--orgunit",
        TOWNSHIP_A,
        str(path),
        stdout=out,
    )
    assert "2 rows, 1 staged, 1 quarantined" in out.getvalue()
    imp = RosterImport.objects.get()
    again = io.StringIO()
    call_command(
        "exchange",
        "import",
        "--kind",
        "police_register",
        "--orgunit",
        TOWNSHIP_A,
        str(path),
        stdout=again,
    )
    assert "already imported" in again.getvalue()
    call_command("exchange", "link", str(imp.pk), stdout=io.StringIO())
    listing = io.StringIO()
    call_command("exchange", "worklist", str(imp.pk), "--format", "json", stdout=listing)
    assert json.loads(listing.getvalue()) == [
        {"row": 2, "outcome": "matched", "probability": 1.0, "person_ref": "P1", "conflicts": ""}
    ]
    call_command(
        "exchange", "quarantine", str(imp.pk), str(tmp_path / "q.csv"), stdout=io.StringIO()
    )
    assert "1990-13-05" in (tmp_path / "q.csv").read_text(encoding="utf-8-sig")


@pytest.mark.django_db
def test_rows_without_number_are_linked_probabilistically(county, tmp_path) -> None:
    path = _csv(
        tmp_path / "school.csv",
        [
            ["学生姓名", "性别", "出生日期", "身份证号"],
            ["章小明", "男", "2021-01-15", ""],  # homophone typo of 张小明 (P3)
            ["赵六", "女", "2019-09-09", ""],
        ],
    )
    imp = _linked(path, "school_enrolment")
    rows = {r.row_number: r for r in imp.rows.all()}
    assert rows[2].person.person_ref == "P3"
    assert rows[2].outcome in {Outcome.MATCHED, Outcome.POSSIBLE}
    assert rows[2].probability > 0.5
    assert rows[2].evidence["pass"] == "probabilistic"
    assert rows[2].evidence["weights"]["birth_date"] > 0
    # Issue 17: one name comparison with levels (no separate surname and given name,
    # which counted the same agreement three times).
    assert set(rows[2].evidence["weights"]) == {"name", "birth_date", "sex", "village"}
    assert rows[3].outcome == Outcome.MISSING and rows[3].person is None
    assert imp.linkage_model["passes"] == ["exact", "probabilistic"]
    assert imp.linkage_model["splink"]["comparisons"]


@pytest.mark.django_db
def test_worklist_actions_go_through_the_register_services(county, tmp_path) -> None:
    from renkou.exchange.worklist import (
        worklist_confirm,
        worklist_correct,
        worklist_dismiss,
        worklist_report_death,
    )
    from renkou.registry.models import Event, Person
    from renkou.registry.validation import EventRefused

    path = _csv(
        tmp_path / "deaths.csv",
        [
            ["姓名", "身份证号", "死亡日期"],
            ["张奶奶", P4, "2023-05-01"],
            ["张伟", P1, "2025-06-01"],
            ["李莉", P2, "2025-06-02"],
            ["陌生人", STRANGER, "2025-06-02"],
        ],
    )
    imp = _linked(path, "hospital_deaths")
    rows = {r.row_number: r for r in imp.rows.all()}

    assert worklist_confirm(row=rows[2], actor="test").decision == "confirmed"
    with pytest.raises(EventRefused):
        worklist_confirm(row=rows[2], actor="test")  # decided once only

    decided = worklist_report_death(row=rows[3], actor="test")
    event = Event.objects.get(pk=decided.event_id)
    assert (event.kind, event.status, event.source) == ("death", "submitted", "hospital")
    assert event.person.person_ref == "P1" and str(event.effective_date) == "2025-06-01"

    worklist_correct(row=rows[4], actor="test", fields=["name"])
    assert Person.objects.get(person_ref="P2").name == "李莉"

    with pytest.raises(EventRefused):
        worklist_dismiss(row=rows[5], actor="test", reason=" ")
    assert worklist_dismiss(row=rows[5], actor="test", reason="外县人员").decision == "dismissed"
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        "exchange.worklist.confirmed",
        "exchange.worklist.event",
        "exchange.worklist.corrected",
        "exchange.worklist.dismissed",
        "event.submit",
    } <= actions


@pytest.mark.django_db
def test_a_marriage_the_register_lacks_is_reported_for_both_spouses(county, tmp_path) -> None:
    from renkou.exchange.worklist import missing_event, worklist_report_event
    from renkou.registry.models import Event

    path = _csv(
        tmp_path / "marriages.csv",
        [
            ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期", "登记类别"],
            ["张伟", P1, "李丽", P2, "2025-05-20", "结婚登记"],
            ["陌生人", STRANGER, "某某", id_number("1985-01-01", 82), "2025-05-21", "结婚登记"],
        ],
    )
    imp = _linked(path, "civil_marriages")
    rows = {r.row_number: r for r in imp.rows.select_related("roster_import")}
    row = rows[2]
    assert row.outcome == Outcome.CONFLICTS and row.person.person_ref == "P1"
    assert missing_event(row) == "marriage"
    assert missing_event(rows[3]) == ""  # neither spouse is in the register

    decided = worklist_report_event(row=row, actor="test")
    assert decided.decision == "event"
    events = Event.objects.filter(kind="marriage", effective_date=date(2025, 5, 20))
    spouses = {e.person.person_ref: e.payload.get("spouse_id") for e in events}
    assert set(spouses) == {"P1", "P2"}
    assert all(e.status == "submitted" and e.source == "civil_affairs" for e in events)
    p1, p2 = (events.get(person__person_ref=r).person_id for r in ("P1", "P2"))
    assert spouses == {"P1": p2, "P2": p1}
    assert decided.event.person.person_ref == "P1"
