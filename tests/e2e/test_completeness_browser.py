"""The completeness page in a real browser (Chromium), at phone width (390 px) and on a
desktop, in Chinese and in English: it opens at the county statistician's own county and
the latest year with data, shows the rate with its interval, and says "not comparable"
for a police roster of one day; nothing sticks out at phone width but the scrolling tables."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from renkou.orgunits.models import OrgUnit
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.builders import COUNTY, small_county, today, user_with_role
from tests.e2e.conftest import ARTIFACTS, TIMEOUT_MS
from tests.e2e.test_change_report import PASSWORD
from tests.e2e.test_sign_in import sign_in
from tests.e2e.test_staff import fits
from tests.exchange.test_completeness import (
    ELDERS,
    P2,
    P5,
    _birth,
    _death,
    _roster,
    wilson_percent,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

D = datetime.date
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LOCALES = {"zh": "zh-CN", "en": "en-GB"}


@pytest.fixture
def rosters(tmp_path: Path) -> None:
    """The small county with two births and a death in 2025, a hospital roster of the year
    and a police roster of one day; a statistician of the county."""
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    mother = Person.objects.get(person_ref="P2")
    _birth("甲", D(2025, 1, 3), D(2025, 1, 12), mother=mother)
    _birth("乙", D(2025, 12, 28), D(2026, 4, 7), mother=mother)
    _roster(
        tmp_path,
        "hospital_births",
        [
            "婴儿性别,出生日期,母亲姓名,母亲身份证号",
            f"女,2025-01-03,李丽,{P2}",
            f"男,2025-06-15,王芳,{P5}",
            f"女,2025-12-28,李丽,{P2}",
        ],
    )
    _birth("老0", D(1950, 1, 1), D(1950, 1, 1), idn=ELDERS[0])
    _death(Person.objects.get(name="老0"), D(2025, 3, 4), D(2025, 3, 10))
    _roster(tmp_path, "police_deaths", ["姓名,身份证号,死亡日期", f"老0,{ELDERS[0]},2025-03-04"])
    user_with_role("xian", "statistician", COUNTY)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_completeness_page_in_a_browser(
    browser: Any,
    live_server: Any,
    rosters: None,
    size: str,
    lang: str,
) -> None:
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale=LOCALES[lang],
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, "xian", PASSWORD)
        page.goto(f"{live_server.url}/exchange/completeness/")
        county = OrgUnit.objects.get(code=COUNTY).name
        heading = page.locator("h1").inner_text()
        assert (
            heading
            == ("登记完整率 · " if lang == "zh" else "Completeness of registration · ") + county
        )
        assert page.locator("#year").input_value() == "2025"  # the latest year with data
        years = page.locator("#year option").all_inner_texts()
        assert str(timezone.localdate().year) in years
        main = page.locator("main").inner_text()
        low, high = wilson_percent(2, 3)
        assert "66.7%" in main
        if lang == "zh":
            assert f"95%置信区间 {low}–{high}%" in main
            assert "不可比" in main and "所收名册仅覆盖2025-03-04" in main
            assert "comparable" not in main and "Completeness" not in main
        else:
            assert f"95% interval {low}–{high}%" in main
            assert "The rosters received cover only 2025-03-04" in main
        fits(page, SIZES[size]["width"])
        # The "not comparable" mark leads to its reason.
        page.locator("a[href='#not-comparable']").first.click()
        assert page.locator("#not-comparable").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"completeness-{size}-{lang}.png", full_page=True)
        assert not errors, errors
    finally:
        context.close()
