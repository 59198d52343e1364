"""Long lists in a real browser at 390 px, in Chinese: the findings list pages with its
filter kept, headers and short labels stay on one line, and several findings of one rule
are confirmed at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.quality.bulk import quality_run
from renkou.quality.models import Confirmation, Finding
from renkou.registry.loading import registry_load
from tests.builders import TOWNSHIP_A, small_county, today, user_with_role
from tests.e2e.test_change_report import follow
from tests.e2e.test_sign_in import path_of, shot, sign_in
from tests.quality.cases import person

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"
RULE = "Q-REQ-ETHNICITY"
WIDTH = 390

# Elements whose text wraps onto more than one line (a word or a short header broken).
WRAPPED = """(selector) => {
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
        if (!el.offsetParent) continue;
        const range = document.createRange();
        range.selectNodeContents(el);
        const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top);
        if (!tops.length) continue;
        if (Math.max(...tops) - Math.min(...tops) > 6) out.push(el.innerText);
    }
    return out;
}"""


@pytest.fixture
def flagged(tmp_path: Path) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    for i in range(130):
        person(f"缺族{i:03d}", "M" if i % 2 else "F", "1970-01-01", ethnicity="")
    quality_run(actor="test")
    user_with_role("zhen", "statistician", TOWNSHIP_A)


def fits(page: Any) -> None:
    """No horizontal scrolling of the page at 390 px (wide tables scroll in their wrapper)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, width


def test_findings_page_at_phone_width(
    page: Any, live_server: Any, artifacts: Path, flagged: None
) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 800})
    sign_in(page, live_server, "zhen", PASSWORD)
    page.goto(f"{live_server.url}/quality/{TOWNSHIP_A}/")
    # the rules by name, and the table's Chinese headers on one line each
    assert page.locator("table.list a", has_text="民族未填写").count() == 1
    assert page.evaluate(WRAPPED, "table.list th") == []
    fits(page)
    shot(page, artifacts, "60-quality-overview-390")

    page.goto(f"{live_server.url}/quality/findings/")
    page.select_option("#rule", RULE)
    follow(page, page.locator("form.filters button[type=submit]"))
    pager = page.locator("nav.pager").first
    assert "共 130 条" in pager.inner_text() and "第 1–100 条" in pager.inner_text()
    assert page.locator("ul.findings > li").count() == 100
    assert page.evaluate(WRAPPED, "nav.pager a, nav.pager strong, nav.pager .pager-count") == []
    assert page.evaluate(WRAPPED, "form.filters label, h1, form.bulk label.check") == []
    fits(page)
    shot(page, artifacts, "61-findings-page-1-390")

    follow(page, pager.locator("a[rel=next]"))
    assert path_of(page, live_server).startswith("/quality/findings/?")
    assert f"rule={RULE}" in page.url and "page=2" in page.url
    assert page.locator("#rule").input_value() == RULE  # the filter is kept
    assert page.locator("ul.findings > li").count() == 30
    assert "第 101–130 条" in page.locator("nav.pager").first.inner_text()
    fits(page)
    shot(page, artifacts, "62-findings-page-2-390")

    # the 30 of this page confirmed at once, with one reason
    page.locator("input[data-check-all=bulk-confirm]").check()
    assert page.locator("input[form=bulk-confirm]:checked").count() == 30
    page.locator("#bulk-reason").fill("入户核实，民族已补录")
    follow(page, page.locator("#bulk-confirm button[type=submit]"))
    assert "已完成 30 项。" in page.locator("ul.messages").inner_text()
    assert Confirmation.objects.filter(rule=RULE).count() == 30
    assert Finding.objects.filter(rule=RULE).count() == 100
    assert "共 100 条" in page.locator("nav.pager").first.inner_text()
    fits(page)
    shot(page, artifacts, "63-findings-bulk-confirmed-390")


def test_audit_log_at_phone_width(
    page: Any, live_server: Any, artifacts: Path, flagged: None
) -> None:
    from renkou.core.audit import audit_record
    from tests.builders import COUNTY

    for i in range(120):
        audit_record(
            actor="zhen", action="benefits.cycle.notice", object_type="benefits.cycle", object_id=i
        )
    user_with_role("xian", "county_admin", COUNTY)
    page.set_viewport_size({"width": WIDTH, "height": 800})
    sign_in(page, live_server, "xian", PASSWORD)
    page.goto(f"{live_server.url}/audit/?action=benefits.cycle")
    assert page.evaluate(WRAPPED, "table.list th") == []
    assert page.locator("table.list tbody tr").first.inner_text().count("名单进入公示") == 1
    assert "benefits.cycle.notice" not in page.locator("table.list tbody").inner_text()
    fits(page)
    pager = page.locator("nav.pager").first
    follow(page, pager.locator("a", has_text="2"))
    assert "action=benefits.cycle" in page.url and "page=2" in page.url
    assert page.locator("#action").input_value() == "benefits.cycle"
    fits(page)
    shot(page, artifacts, "64-audit-page-2-390")
