"""本月无变动 on a phone: the village reporter reports that nothing changed this month at
390 px in Chinese, and the county administrator sees the village reported on the
reporting-rate page, drilling down from the county to the township."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.quality.models import EmptyReport
from renkou.quality.views_reporting import reporting_month
from renkou.registry.loading import registry_load
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, small_county, today, user_with_role
from tests.e2e.test_sign_in import html_lang, path_of, shot, sign_in
from tests.e2e.test_staff import fits

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"  # the password tests.builders.user_with_role gives
WIDTH = 390


@pytest.fixture
def staff(tmp_path: Path) -> None:
    """The small county, a reporter in village A1 and a county administrator."""
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("cun", "reporter", VILLAGE_A1)
    user_with_role("xian", "county_admin", COUNTY)


def follow(page: Any, locator: Any) -> None:
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.click()


def test_reporter_files_nothing_changed_and_the_county_sees_it(
    page: Any, live_server: Any, artifacts: Path, staff: None
) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 844})
    month = reporting_month()
    label = f"{month.year}年{month.month}月"

    # --- the village reporter, on the phone ------------------------------------------------
    sign_in(page, live_server, "cun", PASSWORD)
    assert path_of(page, live_server) == "/" and html_lang(page) == "zh-hans"
    button = page.locator("#nothing-changed")
    assert button.inner_text() == "本月无变动"
    fits(page, WIDTH)
    follow(page, button)
    assert path_of(page, live_server) == "/quality/empty-report/"
    assert page.locator("h1").inner_text() == "本月无变动"
    form = page.locator("form#empty-report")
    assert form.locator("#id_village").input_value() == VILLAGE_A1
    assert form.locator("#id_month").input_value() == month.isoformat()[:7]
    fits(page, WIDTH)
    shot(page, artifacts, "monthly-01-form")
    follow(page, form.locator("button.primary"))
    assert page.locator(".messages .success").inner_text() == f"已上报：东村 {label}无变动。"
    row = page.locator(f"#village-months tr[data-month='{month.isoformat()[:7]}']")
    assert "按时" in row.inner_text() and "本月无变动" in row.inner_text()
    assert "Not received" not in page.content() and "On time" not in page.content()
    fits(page, WIDTH)
    shot(page, artifacts, "monthly-02-filed")
    # filing it again changes nothing
    follow(page, page.locator("form#empty-report button.primary"))
    assert EmptyReport.objects.filter(orgunit_id=VILLAGE_A1, month=month).count() == 1
    follow(page, page.locator(".account form[action='/accounts/logout/'] button"))

    # --- the county administrator ----------------------------------------------------------
    sign_in(page, live_server, "xian", PASSWORD)
    follow(page, page.locator("nav.nav a[href='/quality/']"))
    follow(page, page.locator(f"a[href='/quality/reporting/{COUNTY}/']"))
    assert path_of(page, live_server) == f"/quality/reporting/{COUNTY}/"
    assert page.locator("h1").inner_text() == f"上报率 · 桐庐县 · {label}"
    # three villages expected, one reported (on time): 33.33 %
    assert page.locator("#reporting-total [data-rate]").inner_text() == "33.33%"
    township = page.locator(f"#reporting-children tr[data-unit='{TOWNSHIP_A}']")
    assert township.locator("td").all_inner_texts()[1:5] == ["2", "1", "0", "1"]
    missing = page.locator("#reporting-missing").inner_text()
    assert "东村" not in missing and "西村" in missing and "南村" in missing
    assert "次月 5 日（含）前收到为按时" in page.content()
    fits(page, WIDTH)
    shot(page, artifacts, "monthly-03-county")
    follow(page, township.locator("a"))
    assert path_of(page, live_server).startswith(f"/quality/reporting/{TOWNSHIP_A}/")
    village = page.locator(f"#reporting-villages tr[data-village='{VILLAGE_A1}']")
    assert "按时" in village.inner_text() and "本月无变动" in village.inner_text()
    fits(page, WIDTH)
    shot(page, artifacts, "monthly-04-township")
