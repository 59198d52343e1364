"""Exports are inert (issue 23): a unit named ``=1+1`` is a text cell in the statistical
forms (xlsx; the totals are the forms' own SUM formulas and the only formulas) and a quoted
field in their CSV and in the statistics page's chart tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from renkou.orgunits.models import OrgUnit
from renkou.reports.services import report_write
from tests.analytics.hand_register import COUNTY, TOWNSHIP_A
from tests.builders import client_as
from tests.inert import PAYLOAD_IDS, PAYLOADS, assert_csv_inert, assert_xlsx_inert

pytestmark = pytest.mark.django_db
TOTALS = r"=SUM\([A-Z]+[0-9]+:[A-Z]+[0-9]+\)"


def _name(code: str, payload: str) -> None:
    # the loader trims a name (\t=1+1 becomes =1+1); the register may hold it whole from an
    # older version or a restore, and the files must be inert whatever it holds
    OrgUnit.objects.filter(code=code).update(name=payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_the_forms(register: None, tmp_path: Path, payload: str) -> None:
    _name(TOWNSHIP_A, payload)
    xlsx, text = tmp_path / "forms.xlsx", tmp_path / "forms.csv"
    report_write(
        kind="forms", code=COUNTY, period="2024", lang="en", outputs=[xlsx, text], actor="test"
    )
    assert_xlsx_inert(xlsx.read_bytes(), [payload], formulas=TOTALS)
    assert_csv_inert(text.read_bytes().decode("utf-8-sig"), [payload])


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_the_statistics_csv(register: None, payload: str) -> None:
    _name(TOWNSHIP_A, payload)
    client = client_as("county_admin", COUNTY, "xian")
    response = client.get(f"/statistics/{COUNTY}/", {"period": "2024", "csv": "srb_by_unit"})
    assert response.status_code == 200
    assert_csv_inert(response.content.decode("utf-8-sig"), [payload])
