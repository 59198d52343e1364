"""Targets on a phone: the county's administrator starts the year's agreement from the
menu, is told in Chinese what is wrong with a floor, saves it, and reads the ranking, the
watch list and a township's targets; every page fits a phone and is in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.targets.models import Agreement
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, user_with_role
from tests.e2e.test_change_report import follow, open_menu
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in
from tests.targets.build import cache_cells

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"


def test_the_county_sets_and_reads_its_targets_on_a_phone(
    page: Any, live_server: Any, artifacts: Path, county: None
) -> None:
    user_with_role("kaohe", "county_admin", COUNTY)
    cache_cells(
        [
            ("crude_birth_rate", TOWNSHIP_A, "2025", 8.0, 7.0, 9.0),
            ("crude_birth_rate", TOWNSHIP_B, "2025", 11.0, 9.5, 12.5),
        ]
    )
    sign_in(page, live_server, "kaohe", PASSWORD)
    open_menu(page, "/targets/")
    assert page.locator("h1").inner_text() == "目标管理"
    assert_fits_phone(page)
    page.select_option("#unit", COUNTY)
    page.fill("#year", "2025")
    follow(page, page.locator("form.filters button.primary"))
    assert_fits_phone(page)
    page.select_option("#id_t-0-indicator", "crude_birth_rate")
    page.fill("#id_t-0-target_value", "10")
    page.select_option("#id_t-0-direction", "higher")
    page.fill("#id_t-0-weight", "100")
    page.select_option("#id_t-0-rule", "linear")
    page.fill("#id_t-0-floor", "12")
    follow(page, page.locator("form.card button.primary"))
    assert "底线12应低于目标值10" in page.locator(".errors").first.inner_text()
    assert not Agreement.objects.exists()
    page.fill("#id_t-0-floor", "6")
    shot(page, artifacts, "70-targets-form")
    follow(page, page.locator("form.card button.primary"))
    deal = Agreement.objects.get()
    assert path_of(page, live_server) == f"/targets/{deal.pk}/"
    ranking = page.locator("table.ranking").inner_text()
    # B: CBR 11 meets 10 (100); A: 8 → 100 × (8 − 6) ÷ (10 − 6) = 50, below the line
    assert ranking.index("乙乡") < ranking.index("甲镇")
    assert "100.00" in ranking and "50.00" in ranking
    assert "得分50，低于警示线60。" in page.locator("ul.watch-list").inner_text()
    page.locator(f"#u{TOWNSHIP_A} summary").click()
    assert "部分达标" in page.locator(f"#u{TOWNSHIP_A}").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "71-targets-scores")
