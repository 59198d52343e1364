"""Computing a period from the statistics page in a real browser: the page polls the job and,
when the worker has finished it, shows the job's result in words of the page's language and
the new figures, without the user (or the page) reloading; on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.analytics.cache import indicators_refresh
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from renkou.core.jobs import job_run
from renkou.core.models import Job
from tests.analytics.hand_register import TOWNSHIP_A, hand_register
from tests.builders import user_with_role
from tests.e2e.test_sign_in import assert_fits_phone, shot, sign_in, switch_language

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
PASSWORD = "unused-Pass-2026"


@pytest.fixture
def register(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path / "data"
    hand_register(tmp_path / "load")
    indicators_refresh(periods=[parse("2024")])  # the snapshot; 2024Q2 and Q3 not computed
    user_with_role("zhen", "statistician", TOWNSHIP_A)


def _compute(page: Any, live_server: Any, period: str) -> None:
    """Open the period (not computed yet), press "compute now", let the worker run the job
    while the page is open, and wait for the page to show the figures."""
    page.goto(f"{live_server.url}/statistics/{TOWNSHIP_A}/?period={period}")
    assert page.locator("dl.headline").count() == 0
    page.locator("form.inline button[type=submit]").click()
    page.locator("div.job progress").wait_for()  # queued: the page polls
    # A mark the page keeps only as long as it is not reloaded.
    page.evaluate("window.__notReloaded = true")
    job = Job.objects.get(kind="indicators.compute", params__period=period)
    job_run(job.pk)  # the worker, while the page is open
    page.locator("dl.headline").wait_for()
    page.locator("#births_by_month div.chart svg").wait_for()  # the new content's charts drawn
    assert page.evaluate("window.__notReloaded === true")
    births = IndicatorValue.objects.get(
        orgunit=TOWNSHIP_A, period=period, basis="registered", indicator="births"
    )
    headline = page.locator("dl.headline").inner_text()
    assert str(int(births.value)) in headline


def test_the_page_shows_the_result_and_the_figures_when_the_job_ends(
    page: Any, live_server: Any, artifacts: Path, register: None
) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    _compute(page, live_server, "2024Q3")
    result = page.locator("div.job dl.facts").inner_text()
    assert "已计算的时期" in result and "已存储的数字" in result
    assert "periods" not in result and "stored" not in result
    assert "2024年第3季度 (2024-07-01 – 2024-09-30)" in page.locator("p.meta").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "33-statistics-computed-zh")

    switch_language(page, "en")
    _compute(page, live_server, "2024Q2")
    result = page.locator("div.job dl.facts").inner_text()
    assert "Periods computed" in result and "Figures stored" in result
    assert "2024 Q2 (2024-04-01 – 2024-06-30)" in page.locator("p.meta").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "34-statistics-computed-en")

    page.locator("a[href='/statistics/settings/sex-ratio/']").click()
    page.wait_for_url("**/statistics/settings/sex-ratio/")
    assert "Y-3..Y-1=40,Y=60" in page.locator("table.list").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "35-sex-ratio-setting")
