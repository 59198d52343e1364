"""``renkou benefits`` commands: the cycle step by step, and the parameter listing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from python_calamine import CalamineWorkbook

from renkou.benefits.models import Cycle
from tests.benefits.families import load_families
from tests.builders import COUNTY, VILLAGE_A1, user_with_role

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("benefits", *args, stdout=out)
    return out.getvalue()


def test_parameters_show_the_history():
    text = run("parameters")
    assert "special_assistance.death_per_month" in text
    assert "from 2016-01-01: 450" in text and "from 2022-07-01: 590" in text


def test_cycle_from_compute_to_rate(tmp_path, settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    # the commands publish and approve "today": the clock is set to the notice's days
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2020, 1, 1))
    load_families(tmp_path / "families")
    user_with_role("clerk", "county_admin", COUNTY)
    user_with_role("head", "county_admin", COUNTY)
    text = run(
        "cycle",
        "compute",
        "--programme",
        "childcare",
        "--year",
        "2025",
        "--area",
        COUNTY,
        "--as",
        "clerk",
    )
    cycle = Cycle.objects.get()
    assert text.startswith(
        f"cycle {cycle.pk}: {{'eligible': 4, 'not_eligible': 0, 'undecided': 0}}"
    )
    notice = tmp_path / "notice.xlsx"
    run(
        "cycle",
        "notice",
        str(cycle.pk),
        "--start",
        "2020-01-01",
        "--days",
        "7",
        "--out",
        str(notice),
        "--as",
        "clerk",
    )
    book = CalamineWorkbook.from_path(str(notice))
    assert book.sheet_names == [f"{VILLAGE_A1} 东村"]
    table = book.get_sheet_by_index(0).to_python()
    assert table[0][1] == "public notice 2020-01-01 to 2020-01-07"
    # eligible persons only, names masked, no reasons (they stay on the internal draft list)
    assert len(table) == 2 + 4 and all(len(row) == 4 for row in table)
    assert sorted(row[0] for row in table[2:]) == ["人**1", "人**2", "人**C", "人**C"]
    with pytest.raises(CommandError, match="computed"):
        run("cycle", "approve", str(cycle.pk), "--as", "clerk")
    with pytest.raises(CommandError, match="approval is possible from 2020-01-08"):
        run("cycle", "approve", str(cycle.pk), "--as", "head")
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2020, 1, 8))
    assert "33 monthly entitlements" in run("cycle", "approve", str(cycle.pk), "--as", "head")
    # nobody applied for the childcare subsidy: no empty payment file, no batch
    with pytest.raises(
        CommandError, match=r"nothing to pay .*: 4 children with due months nobody applied for"
    ):
        run("cycle", "pay", str(cycle.pk), "--out", str(tmp_path / "pay.csv"), "--as", "head")
    assert not (tmp_path / "pay.csv").exists() and not cycle.batches.exists()
    assert run("cycle", "rate", str(cycle.pk)) == f"{VILLAGE_A1}\t9900.00\t0.00\t0.0%\n"


def test_commands_check_the_acting_users_role_and_area(tmp_path):
    load_families(tmp_path / "families")
    user_with_role("stat", "statistician", COUNTY)  # reviews, does not run cycles
    user_with_role("other", "county_admin", "330122101")  # township B only
    args = ["cycle", "compute", "--programme", "childcare", "--year", "2025", "--area", COUNTY]
    with pytest.raises(CommandError, match="stat may not run benefit cycles in 330122"):
        run(*args, "--as", "stat")
    with pytest.raises(CommandError, match="other may not run benefit cycles"):
        run(*args, "--as", "other")
    assert not Cycle.objects.exists()
