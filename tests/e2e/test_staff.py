"""Staffing an office in a browser: a county administrator creates a reporter and a
statistician on the staff pages at desktop width, checks the list on a phone (390 px, zh),
and the reporter signs in with the one-time password and must choose their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from renkou.core.accounts import role_assign
from renkou.core.models import AuditLog, PasswordState, RoleAssignment
from renkou.orgunits.models import OrgUnit
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_sign_in import path_of, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ADMIN_PASSWORD = "Fuchun-river-ledger-7"
NEW_PASSWORD = "Qiantang-ledger-2025"
DESKTOP = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 800}


def new_page(browser: Any, viewport: dict[str, int]) -> Any:
    """A fresh Chinese-speaking browser page of the given size (own cookies)."""
    context = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=viewport["width"] < 500,
        has_touch=viewport["width"] < 500,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def fits(page: Any, width: int) -> None:
    """No horizontal scrolling, nothing sticking out (tables scroll inside their frame)."""
    overflow = page.evaluate(
        """(width) => {
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                if (el.closest('.table-wrap, .sr-only')) continue;
                const r = el.getBoundingClientRect();
                if (r.width && r.right > width + 0.5) out.push(el.tagName + '.' + el.className);
            }
            return {scroll: document.documentElement.scrollWidth, out};
        }""",
        width,
    )
    assert overflow["scroll"] <= width and not overflow["out"], overflow


def create(page: Any, live_server: Any, name: str, role: str, unit: str) -> str:
    """Fill in the new-user form; return the one-time password the result page shows."""
    with page.expect_navigation():
        page.get_by_role("link", name="新建用户").click()
    assert path_of(page, live_server) == "/staff/new/"
    page.fill("#id_username", name)
    page.select_option("#id_role", role)
    page.select_option("#id_unit", unit)
    with page.expect_navigation():
        page.get_by_role("button", name="创建用户").click()
    assert page.locator("h1").inner_text() == f"已创建用户 {name}"
    password = page.locator("#one-time-password").inner_text().strip()
    assert len(password) == 16
    with page.expect_navigation():
        page.get_by_role("link", name="返回用户列表").click()
    assert password not in page.content()
    return password


def test_a_county_administrator_staffs_a_village_and_a_township(
    browser: Any, live_server: Any, artifacts: Path, county: None
) -> None:
    admin = get_user_model().objects.create_user(username="xian", password=ADMIN_PASSWORD)
    role_assign(
        user=admin, role="county_admin", orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    )
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server, "xian", ADMIN_PASSWORD)  # links an authenticator first
    assert path_of(page, live_server) == "/"
    with page.expect_navigation():
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="用户管理").click()
    assert path_of(page, live_server) == "/staff/"
    page.screenshot(path=artifacts / "staff-01-list-desktop.png", full_page=True)

    reporter_pw = create(page, live_server, "li.cun", "reporter", VILLAGE_A1)
    page.screenshot(path=artifacts / "staff-02-after-create.png", full_page=True)
    create(page, live_server, "zhang.tongji", "statistician", TOWNSHIP_A)
    roles = set(
        RoleAssignment.objects.filter(user__username__in=["li.cun", "zhang.tongji"]).values_list(
            "user__username", "role", "orgunit_id"
        )
    )
    assert roles == {
        ("li.cun", "reporter", VILLAGE_A1),
        ("zhang.tongji", "statistician", TOWNSHIP_A),
    }
    assert AuditLog.objects.filter(action="user.create", actor=admin).count() == 2

    # The list on a phone, in Chinese: both new users with their roles and units.
    page.set_viewport_size(PHONE_390)
    page.goto(f"{live_server.url}/staff/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    rows = {
        row.locator("td a").first.inner_text(): row.locator("td").nth(1).inner_text()
        for row in page.locator("table.staff tbody tr").all()
    }
    assert set(rows) == {"xian", "li.cun", "zhang.tongji"}
    assert "村级报告员" in rows["li.cun"] and "东村" in rows["li.cun"]
    assert "乡镇统计员" in rows["zhang.tongji"] and "甲镇" in rows["zhang.tongji"]
    state = page.locator("table.staff tbody tr", has_text="li.cun").locator(".state")
    assert state.inner_text() == "在用"
    fits(page, PHONE_390["width"])
    page.screenshot(path=artifacts / "staff-03-list-phone.png", full_page=True)
    # filtered by role
    page.select_option("#role", "statistician")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    names = page.locator("table.staff tbody tr td:first-child a").all_inner_texts()
    assert names == ["zhang.tongji"]
    fits(page, PHONE_390["width"])
    # the statistician's page on the phone: roles, forms and actions fit too
    with page.expect_navigation():
        page.get_by_role("link", name="zhang.tongji").click()
    assert "乡镇统计员 · 甲镇" in page.locator("dl.facts").inner_text()
    fits(page, PHONE_390["width"])
    page.screenshot(path=artifacts / "staff-03b-user-phone.png", full_page=True)
    page.context.close()

    # The reporter signs in on their phone with the one-time password: must change it.
    phone = new_page(browser, PHONE_390)
    sign_in(phone, live_server, "li.cun", reporter_pw)
    assert path_of(phone, live_server) == "/accounts/password/"
    phone.fill("input[name=old_password]", reporter_pw)
    phone.fill("input[name=new_password1]", NEW_PASSWORD)
    phone.fill("input[name=new_password2]", NEW_PASSWORD)
    with phone.expect_navigation():
        phone.locator("form button[type=submit].primary").click()
    assert path_of(phone, live_server) == "/"
    assert not PasswordState.objects.get(user__username="li.cun").must_change
    nav = phone.get_by_role("navigation", name="主菜单")
    assert nav.get_by_role("link", name="用户管理").count() == 0  # not for a reporter
    fits(phone, PHONE_390["width"])
    phone.screenshot(path=artifacts / "staff-04-reporter-home.png", full_page=True)
    phone.context.close()
