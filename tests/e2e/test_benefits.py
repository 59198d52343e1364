"""A childcare cycle on a phone: the county clerk computes it (background job) and publishes
the notice, the village's notice page is printable, the clerk may not approve their own
cycle, and a second county user approves it once the notice period is over."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from renkou.benefits.models import Cycle, Entitlement
from tests.benefits.families import load_families
from tests.builders import COUNTY, VILLAGE_A1, user_with_role
from tests.e2e.test_change_report import follow, open_menu, sign_out
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def staff(tmp_path: Path) -> None:
    load_families(tmp_path / "families")
    user_with_role("clerk", "county_admin", COUNTY)
    user_with_role("head", "county_admin", COUNTY)


@override_settings(TASKS=IMMEDIATE)
def test_compute_notice_and_four_eyes_approval(
    page: Any, live_server: Any, artifacts: Path, staff: None
) -> None:
    # --- 1. The clerk computes the 2025 childcare cycle of the county ----------------------
    sign_in(page, live_server, "clerk", PASSWORD)
    open_menu(page, "/benefits/")
    assert page.locator("h1").inner_text().startswith("年度审核")
    page.select_option("#programme", "childcare")
    page.fill("#year", "2025")
    follow(page, page.locator("form.compute button[type=submit]"))
    assert path_of(page, live_server) == f"/benefits/area/{COUNTY}/"
    job = page.locator(".job").inner_text()
    # the job's result in the page's words: 符合条件 (eligible) 4
    assert job.startswith("已完成") and "符合条件\n4" in job, job
    cycle = Cycle.objects.get()
    assert cycle.computed_by.username == "clerk"
    link = page.locator(f"table.cycles a[href='/benefits/cycles/{cycle.pk}/']")
    assert link.inner_text() == "育儿补贴"
    assert_fits_phone(page)
    shot(page, artifacts, "30-benefit-cycles")
    follow(page, link)

    # --- 2. The draft: four children eligible, each condition shown -------------------------
    tiles = page.locator("ul.outcomes li").all_inner_texts()
    assert [t.split()[-1] for t in tiles] == ["4", "0", "0"]
    follow(page, page.locator("a", has_text="审核名单及理由"))
    cards = page.locator("li.decision")
    assert cards.count() == 4
    k_c = page.locator("li.decision", has_text="2022-03-10")
    assert "600.00 元" in k_c.inner_text()
    assert k_c.locator("ul.reasons li").all_inner_texts()[:2] == [
        "子女 2022-03-10 出生 ✓",
        "2025-03-10 前未满3周岁 ✓",
    ]
    assert_fits_phone(page)
    shot(page, artifacts, "31-benefit-draft")
    page.go_back()

    # --- 3. Public notice from today for 7 days; a day in the past is refused -------------
    today = datetime.date.today()
    assert page.locator("#days").input_value() == "7"  # notice.min_days
    page.locator("#start").evaluate("el => el.removeAttribute('min')")  # the server decides
    page.fill("#start", (today - datetime.timedelta(days=1)).isoformat())
    follow(page, page.locator("#notice-form button[type=submit]"))
    assert "公示开始日期不得早于发布当日" in page.locator(".messages li.error").inner_text()
    page.fill("#start", today.isoformat())
    follow(page, page.locator("#notice-form button[type=submit]"))
    assert page.locator(".messages li.success").inner_text() == "名单已公示。"
    assert page.locator("h1 .tag").inner_text() == "公示中"
    # the clerk computed it: the approve button is disabled, with the reason
    assert page.locator("#approve-form button").is_disabled()
    assert "须由其他用户审批" in page.locator("#approve-form").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "32-benefit-cycle-notice")
    follow(page, page.locator(f"a[href='/benefits/cycles/{cycle.pk}/notice/{VILLAGE_A1}/']"))
    assert page.locator("table.notice-list tbody tr").count() == 4
    notice = page.locator("article.notice").inner_text()
    assert today.isoformat() in notice
    # names masked (人K_C → 人**C), identity numbers masked, no reasons
    assert "人**C" in notice and "人K_C" not in notice and "✓" not in notice
    assert page.locator(".topbar").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()  # printed without the menu
    assert not page.locator("section.objections").is_visible()  # nor the objections
    page.emulate_media(media="screen")
    # an objection against K_C, recorded on the notice page
    page.locator("section.objections summary").click()
    k_c = cycle.decisions.get(person__person_ref="K_C")
    page.select_option("#objection-person", str(k_c.pk))
    page.fill("#objector-x", "王小五")
    page.fill("#contact-x", "13800001234")
    page.fill("#text-x", "不在本村居住")
    follow(page, page.locator("form.objection button[type=submit]"))
    assert page.locator(".messages li.success").inner_text() == "异议已登记。"
    objections = page.locator("section.objections").inner_text()
    assert "王*五" in objections and "王小五" not in objections and "待处理" in objections
    assert_fits_phone(page)
    shot(page, artifacts, "33-benefit-notice")
    sign_out(page, live_server)
    # seven days pass: the notice ran from 10 days ago (the dates, moved back)
    start = today - datetime.timedelta(days=10)
    Cycle.objects.filter(pk=cycle.pk).update(
        notice_from=start, notice_until=start + datetime.timedelta(days=6)
    )
    cycle.decisions.get(pk=k_c.pk).objections.update(raised_on=start)

    # --- 4. Another county user approves: 33 monthly entitlements ---------------------------
    sign_in(page, live_server, "head", PASSWORD)
    page.goto(f"{live_server.url}/benefits/cycles/{cycle.pk}/")
    # the open objection first: dismissed, K_C stays on the list
    assert page.locator("#approve-form button").is_disabled()
    page.select_option(".findings .resolve select", "dismissed")
    page.fill(".findings .resolve input[name=resolution]", "核实：在本村居住")
    follow(page, page.locator(".findings .resolve button[type=submit]"))
    assert page.locator(".messages li.success").inner_text() == "异议已处理。"
    assert page.locator("#approve-form button").is_enabled()
    follow(page, page.locator("#approve-form button"))
    assert page.locator(".messages li.success").inner_text() == "已审批：生成 33 条月度应发记录。"
    assert page.locator("h1 .tag").inner_text() == "已审批"
    assert Entitlement.objects.filter(cycle=cycle).count() == 33
    assert page.locator("#pay-form").is_visible()
    assert_fits_phone(page)
    shot(page, artifacts, "34-benefit-approved")
