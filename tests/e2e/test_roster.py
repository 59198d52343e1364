"""A hospital death roster uploaded on a phone, worked from the worklist, the death applied.

The township statistician uploads a roster of hospital deaths; the import and linking run
(here at once, as the worker would); the worklist shows the death of 张伟, alive in the
register, with the evidence in words; "report the missing death" files the change,
which the statistician applies; 张伟 is then dead in the register.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from renkou.exchange.models import Decision, RosterRow
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.builders import TOWNSHIP_A, id_number, small_county, today, user_with_role
from tests.e2e.test_change_report import PASSWORD, follow, open_menu
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    """The small county, a township statistician, and a death roster file."""
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("zhen", "statistician", TOWNSHIP_A)
    path = tmp_path / "医院死亡名册.csv"
    path.write_text(
        "姓名,身份证号,性别,死亡日期\n"
        f"张伟,{id_number('1990-03-05', 11)},男,2025-06-01\n"
        f"陌生人,{id_number('1980-08-08', 81)},男,2025-06-02\n",
        encoding="utf-8",
    )
    return path


@override_settings(TASKS=IMMEDIATE)
def test_upload_worklist_and_report_the_missing_death(
    page: Any, live_server: Any, artifacts: Path, roster: Path
) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    open_menu(page, "/exchange/")
    assert page.locator("h1").inner_text() == "部门名册"
    form = page.locator("form#upload")
    form.locator("#id_kind").select_option("hospital_deaths")
    assert form.locator("#id_orgunit").input_value() == TOWNSHIP_A
    form.locator("#id_file").set_input_files(str(roster))
    assert_fits_phone(page)
    follow(page, form.locator("button[type=submit]"))
    assert path_of(page, live_server).startswith("/exchange/jobs/")
    follow(page, page.get_by_role("link", name="查看导入结果"))
    assert path_of(page, live_server).startswith("/exchange/imports/")
    assert "匹配但有差异" in page.locator("main").inner_text()
    follow(page, page.get_by_role("link", name="打开工作清单"))

    item = page.locator("li.finding", has_text="张伟")
    evidence = item.locator("ul.evidence").inner_text()
    assert "公民身份号码: 名册与人口库一致" in evidence and "人口库中此人仍为在世" in evidence
    assert_fits_phone(page)
    shot(page, artifacts, "roster-worklist")
    follow(page, item.get_by_role("button", name="补报死亡"))
    assert path_of(page, live_server).startswith("/changes/")
    follow(page, page.get_by_role("button", name="核准入册"))
    person = Person.objects.get(person_ref="P1")
    assert person.status == "dead" and str(person.death_date) == "2025-06-01"
    row = RosterRow.objects.get(row_number=2)
    assert row.decision == Decision.EVENT_CREATED and row.event.status == "applied"
