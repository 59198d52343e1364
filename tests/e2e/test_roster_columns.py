"""A hospital roster whose mother's-number column has a header no synonym knows: on a phone,
the upload stops at the column confirmation, which names the column as looking like an
identity number; the statistician chooses it and the rows are imported with the number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from renkou.exchange.models import RosterImport, RosterRow
from renkou.registry.loading import registry_load
from tests.builders import TOWNSHIP_A, id_number, small_county, today, user_with_role
from tests.e2e.test_change_report import PASSWORD, follow, open_menu
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
P2 = id_number("1992-07-20", 22)  # 李丽, mother of 张小明 (2021-01-15)


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("zhen", "statistician", TOWNSHIP_A)
    path = tmp_path / "出生名册.csv"
    path.write_text(
        f"母亲姓名,母亲有效证件号,出生日期,性别\n李丽,{P2},2021-01-15,男生\n", encoding="utf-8"
    )
    return path


@override_settings(TASKS=IMMEDIATE)
def test_ignored_number_column_is_shown_and_chosen(
    page: Any, live_server: Any, artifacts: Path, roster: Path
) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    open_menu(page, "/exchange/")
    form = page.locator("form#upload")
    form.locator("#id_kind").select_option("hospital_births")
    form.locator("#id_file").set_input_files(str(roster))
    follow(page, form.locator("button[type=submit]"))
    assert page.locator("h1").inner_text() == "确认列对应关系"
    ignored = page.locator("ul.ignored-columns").inner_text()
    assert "母亲有效证件号" in ignored and "像是身份证号" in ignored
    assert_fits_phone(page)
    shot(page, artifacts, "roster-columns-ignored")
    assert RosterImport.objects.count() == 0
    page.locator("#col-mother_id").select_option(label="母亲有效证件号")
    follow(page, page.get_by_role("button", name="按此对应关系导入"))
    assert path_of(page, live_server).startswith("/exchange/jobs/")
    imp = RosterImport.objects.get()
    assert imp.mapping["confirmed"] and imp.mapping["columns"]["mother_id"] == "母亲有效证件号"
    row = RosterRow.objects.get(roster_import=imp)
    assert "mother_id" in row.id_hashes and row.values["sex"] == "M"
