"""Exports are inert (issue 23): the notice list, the decisions list and the bank payment
file (xlsx and csv) write a name or a bank such as ``=1+1`` as text, never as a formula.

Seven rural fathers of one son each, one per payload, join the hand-built families; the
cycle is computed, noticed and approved once for the module, and each father has an account
at a bank named with his payload.
"""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import pytest

from renkou.benefits.models import Cycle
from renkou.benefits.notice import notice_write
from renkou.benefits.payments import batch_create, batch_file
from renkou.benefits.services import bank_account_set, cycle_approve, cycle_compute, cycle_notice
from renkou.core.masking import mask_name
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, client_as, person, user_with_role
from tests.inert import PAYLOADS, assert_csv_inert, assert_xlsx_inert
from tests.shared import shared_register

pytestmark = pytest.mark.django_db
D = datetime.date


def _fathers() -> list[dict[str, Any]]:
    rows = []
    for n, _payload in enumerate(PAYLOADS):
        father, son = f"IN_F{n}", f"IN_C{n}"
        rows.append(person(father, f"父{n}", "M", f"1955-0{n + 1}-15", 101))
        rows.append(person(son, f"子{n}", "M", f"1985-0{n + 1}-15", 103, father_ref=father))
    return rows


def build(base: Path) -> None:
    """The families with the payload fathers; an approved rural reward cycle of 2024."""
    load_families(base / "families", extra=_fathers())
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    for n, payload in enumerate(PAYLOADS):
        # the loader trims a name (\t=1+1 becomes =1+1); the register may hold it whole
        # from an older version or a restore, and the files must be inert whatever it holds
        Person.objects.filter(person_ref=f"IN_F{n}").update(name=payload)
        bank_account_set(
            person=Person.objects.get(person_ref=f"IN_F{n}"),
            bank=payload,
            account=f"62300000111{n:05d}",
            actor=clerk,
        )
    cycle = cycle_compute(
        programme="rural_reward", year=2024, orgunit=OrgUnit.objects.get(code=COUNTY), actor=clerk
    )
    cycle_notice(cycle=cycle, start=D(2024, 3, 1), days=7, actor=clerk, today=D(2024, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))


register_built, register = shared_register(build)


def _cycle() -> Cycle:
    return Cycle.objects.get(programme="rural_reward", year=2024)


def test_the_notice_list(register: None) -> None:
    buffer = io.BytesIO()
    assert notice_write(_cycle(), buffer) > len(PAYLOADS)
    # the notice masks names (first and last character kept): still formula-like, still text
    assert_xlsx_inert(buffer.getvalue(), [mask_name(p) for p in PAYLOADS])


def test_the_decisions_list(register: None) -> None:
    client = client_as("county_admin", COUNTY, "xian")
    response = client.get(f"/benefits/cycles/{_cycle().pk}/decisions/", {"export": "xlsx"})
    assert response.status_code == 200
    assert_xlsx_inert(response.content, PAYLOADS)


def test_the_payment_file_as_csv_and_xlsx(
    register: None, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    clerk = user_with_role("pay", "county_admin", COUNTY)
    path = tmp_path / "pay.csv"
    with django_capture_on_commit_callbacks(execute=True):  # renamed into place on commit
        result = batch_create(cycle=_cycle(), path=path, actor=clerk)
    text = path.read_bytes().decode("utf-8-sig")
    assert_csv_inert(text, PAYLOADS)
    # the bank's template (直通车) has no bank column: the name is the payload's cell
    lines = {r["备注"].rsplit(" ", 1)[1]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    for n, payload in enumerate(PAYLOADS):
        pid = Person.objects.get(person_ref=f"IN_F{n}").pk
        line = lines[f"B{result.batch.pk}-{pid}"]
        assert line["姓名"] == "'" + payload
        assert line["金额"] == "1440.00"  # a number stays as it is
    assert_xlsx_inert(batch_file(batch=result.batch, suffix=".xlsx", actor=clerk), PAYLOADS)
    again = batch_file(batch=result.batch, suffix=".csv", actor=clerk)
    assert_csv_inert(again.decode("utf-8-sig"), PAYLOADS)
