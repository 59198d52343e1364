"""In a browser at phone width: a police roster row with a damaged number and another name,
its problem in words on the worklist, the offered correction of the name done, and the
birth date its identity number contradicts not offered (issue 17, items 1 and 5)."""

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
P1 = id_number("1990-03-05", 11)  # 张伟


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("zhen", "statistician", TOWNSHIP_A)
    swapped = P1[:14] + P1[15] + P1[14] + P1[16:]  # two digits of the sequence transposed
    assert swapped != P1
    path = tmp_path / "公安入户.csv"
    path.write_text(
        f"姓名,性别,出生日期,公民身份号码\n张玮,男,1990-05-03,{P1}\n张伟,男,1990-03-05,{swapped}\n",
        encoding="utf-8",
    )
    return path


@override_settings(TASKS=IMMEDIATE)
def test_worklist_shows_the_damaged_number_and_corrects_what_it_offers(
    page: Any, live_server: Any, artifacts: Path, roster: Path
) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    open_menu(page, "/exchange/")
    form = page.locator("form#upload")
    form.locator("#id_kind").select_option("police_register")
    form.locator("#id_file").set_input_files(str(roster))
    follow(page, form.locator("button[type=submit]"))
    follow(page, page.get_by_role("link", name="查看导入结果"))
    assert path_of(page, live_server).startswith("/exchange/imports/")
    imp_path = path_of(page, live_server)
    # The repaired row is matched: shown among the matched rows with its problem in words.
    page.goto(f"{live_server.url}{imp_path}worklist/?outcome=matched")
    repaired = page.locator("li.finding").first.locator("ul.evidence").inner_text()
    assert "名册上的身份证号" in repaired and "可能更正" in repaired
    page.goto(f"{live_server.url}{imp_path}worklist/")
    item = page.locator("li.finding", has_text="张玮")
    assert item.locator("input[name=field][value=birth_date]").count() == 0
    label = item.locator("label", has_text="人口库 张伟 → 名册 张玮")
    assert label.count() == 1
    assert_fits_phone(page)
    shot(page, artifacts, "worklist-correct")
    label.locator("input").check()
    follow(page, item.get_by_role("button", name="更正"))
    assert Person.objects.get(person_ref="P1").name == "张玮"
    row = RosterRow.objects.get(row_number=2)
    assert row.decision == Decision.CORRECTED
