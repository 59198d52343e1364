"""The statistics dashboard and the quality page in a real browser: charts drawn (SVG), tables
and downloads present, on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.periods import parse
from renkou.quality.bulk import quality_run
from tests.analytics.hand_register import TOWNSHIP_A, hand_register
from tests.builders import user_with_role
from tests.e2e.test_change_report import open_menu
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
PASSWORD = "unused-Pass-2026"


@pytest.fixture
def figures(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path / "data"
    hand_register(tmp_path / "load")
    indicators_refresh(
        periods=[parse(p) for p in ["2024", *(f"2024{m:02d}" for m in range(1, 13))]]
    )
    quality_run(actor="test")
    user_with_role("zhen", "statistician", TOWNSHIP_A)


def test_dashboard_and_quality_charts(
    page: Any, live_server: Any, artifacts: Path, figures: None
) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    open_menu(page, "/statistics/")
    assert path_of(page, live_server) == "/statistics/"
    page.goto(f"{live_server.url}/statistics/{TOWNSHIP_A}/?period=2024")
    page.locator("#births_by_month div.chart svg").wait_for()
    assert page.locator("div.chart svg").count() >= 3
    assert "出生" in page.locator("dl.headline").inner_text()
    assert page.locator("a[download]").count() == 6  # every chart's table as CSV
    page.locator("#pyramid div.chart svg").wait_for()  # the population pyramid
    assert_fits_phone(page)
    shot(page, artifacts, "30-statistics")

    open_menu(page, "/quality/")
    page.goto(f"{live_server.url}/quality/{TOWNSHIP_A}/")
    page.locator("div.chart svg").wait_for()
    assert "逻辑准确率" in page.locator("dl.headline").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "31-quality")
    page.goto(f"{live_server.url}/quality/findings/")
    assert_fits_phone(page)
    shot(page, artifacts, "32-findings")
