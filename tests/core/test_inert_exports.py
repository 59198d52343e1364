"""Exports are inert (issue 23): formula payloads planted in names, usernames, reasons and
roster cells come out as text in every xlsx and as ``'``-quoted text in every CSV.

The benefit files are in tests/benefits/test_inert_files.py, the forms and the statistics
CSV in tests/reports/test_inert_forms.py.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from renkou.core import cells
from renkou.core.audit import audit_record
from renkou.core.problems import problem, write_problems
from renkou.exchange.linking import roster_link
from renkou.exchange.models import RosterRow
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.builders import COUNTY, TOWNSHIP_A, client_as, id_number, today, user_with_role
from tests.inert import (
    PAYLOAD_IDS,
    PAYLOADS,
    assert_csv_inert,
    assert_xlsx_inert,
    csv_fields,
)

P1 = id_number("1990-03-05", 11)  # 张伟 of the small county


def test_the_cells_module_writes_text_as_text_and_numbers_as_numbers() -> None:
    buffer = io.BytesIO()
    book = cells.workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("t")
    cells.write_row(sheet, 0, 0, [*PAYLOADS, "http://x", -3, 2.5, Decimal("1.50"), None])
    book.close()
    assert_xlsx_inert(buffer.getvalue(), [*PAYLOADS, "http://x"])
    ws = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    numbers = [(c.value, c.data_type) for c in ws[1][8:11]]
    assert numbers == [(-3, "n"), (2.5, "n"), (1.5, "n")]
    assert ws._hyperlinks == []  # a URL is text, not a link

    out = io.StringIO()
    writer = cells.CsvWriter(out)
    writer.writerow([*PAYLOADS, -3, "-3", Decimal("1.50"), None, "张伟", "a=b"])
    # a number stays a number (-3); the text "-3" could be a formula and is quoted
    assert csv_fields(out.getvalue()) == [
        "'=1+1",
        '\'=HYPERLINK("http://x","y")',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(1)",
        "'\t=1+1",
        "'\r=1+1",
        "-3",
        "'-3",
        "1.50",
        "",
        "张伟",
        "a=b",
    ]
    out = io.StringIO()
    by_name = cells.CsvDictWriter(out, fieldnames=["name", "n"])
    by_name.writeheader()
    by_name.writerows([{"name": p, "n": -1} for p in PAYLOADS])
    assert_csv_inert(out.getvalue(), PAYLOADS)
    assert csv_fields(out.getvalue())[:4] == ["name", "n", "'=1+1", "-1"]


def test_the_problems_file(tmp_path: Path) -> None:
    problems = [
        problem("bad_date", file="persons.csv", row=n, column="birth_date", value=p)
        for n, p in enumerate(PAYLOADS, start=2)
    ]
    path = tmp_path / "problems.csv"
    assert write_problems(path, problems) == len(PAYLOADS)
    text = path.read_bytes().decode("utf-8-sig")  # as written: a lone \r stays \r
    assert_csv_inert(text, PAYLOADS)
    assert csv_fields(text)[8:12] == ["persons.csv", "2", "birth_date", "'=1+1"]


@pytest.mark.django_db
def test_the_audit_export(county: None) -> None:
    for p in PAYLOADS:
        audit_record(actor="test", action="person.view", object_type="person", reason=p)
    response = client_as("auditor", COUNTY, "aud").get("/audit/", {"export": "xlsx"})
    assert response.status_code == 200
    assert_xlsx_inert(response.content, PAYLOADS)


@pytest.mark.django_db
def test_the_users_export(county: None) -> None:
    for p in PAYLOADS:  # usernames as an old account or the command line may hold them
        user_with_role(p, "statistician", TOWNSHIP_A)
    response = client_as("county_admin", COUNTY, "xian").get("/staff/users.xlsx")
    assert response.status_code == 200
    assert_xlsx_inert(response.content, PAYLOADS)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_the_quality_report_csv(county: None, payload: str) -> None:
    # the loader trims a name; a name as a restored or older register may hold it
    OrgUnit.objects.filter(code=TOWNSHIP_A).update(name=payload)
    out = io.StringIO()
    call_command("quality", "report", "--orgunit", COUNTY, "--format", "csv", stdout=out)
    assert_csv_inert(out.getvalue(), [payload])


def _roster(path: Path) -> Path:
    """A deaths roster: each payload as the name of a good row and of a row dated in the
    future (quarantined)."""
    lines = [["姓名", "身份证号", "性别", "死亡日期"]]
    for n, p in enumerate(PAYLOADS):
        lines.append([p, id_number("1950-01-01", 2 * n + 1), "男", "2025-06-01"])
    for n, p in enumerate(PAYLOADS):
        lines.append([p, id_number("1951-01-01", 2 * n + 1), "男", "2030-01-01"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    return path


@pytest.mark.django_db
def test_roster_cells_are_kept_as_text_and_exported_inert(county: None, tmp_path: Path) -> None:
    imp = roster_import(
        path=_roster(tmp_path / "deaths.csv"),
        kind="hospital_deaths",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    assert (imp.rows_staged, imp.rows_quarantined) == (7, 7)
    # what the reader keeps: the cell without the whitespace around it, as text
    # (\t=1+1 and \r=1+1 become =1+1); only the exports below make it inert
    kept = [p.strip() for p in PAYLOADS]
    names = list(RosterRow.objects.filter(roster_import=imp).order_by("row_number"))
    assert [r.values["name"] for r in names] == kept
    reviewer = client_as("statistician", TOWNSHIP_A, "stat")
    quarantine = reviewer.get(f"/exchange/imports/{imp.pk}/quarantine.csv")
    assert quarantine.status_code == 200
    assert_csv_inert(quarantine.content.decode("utf-8-sig"), kept)
    quarantine = reviewer.get(f"/exchange/imports/{imp.pk}/quarantine.xlsx")
    assert_xlsx_inert(quarantine.content, kept)
    roster_link(roster_import=imp, actor="test")  # each row: missing from the register
    worklist = reviewer.get(f"/exchange/imports/{imp.pk}/worklist/", {"export": "xlsx"})
    assert worklist.status_code == 200
    assert_xlsx_inert(worklist.content, kept)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_the_worklist_csv_of_the_command_line(county: None, tmp_path: Path, payload: str) -> None:
    # the person's reference, from the office's load file, as a restored register may hold it
    Person.objects.filter(person_ref="P1").update(person_ref=payload)
    path = tmp_path / "deaths.csv"
    path.write_text(f"姓名,身份证号,性别,死亡日期\n张伟,{P1},男,2025-06-01\n", encoding="utf-8")
    imp = roster_import(
        path=path,
        kind="hospital_deaths",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
        today=today(),
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    out = io.StringIO()
    call_command("exchange", "worklist", str(imp.pk), "--format", "csv", stdout=out)
    assert_csv_inert(out.getvalue(), [payload])
