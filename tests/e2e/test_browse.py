"""Register browsing, unmasking and the audit trail in a real browser on a phone-sized screen.

A township statistician finds a person by name, opens the household, shows one identity
number in full with a reason, and makes an API token; the county administrator (signing in
with the second factor) finds the unmasking, with its reason, in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.core.models import AuditLog
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.builders import COUNTY, TOWNSHIP_A, id_number, small_county, today, user_with_role
from tests.e2e.test_change_report import follow, open_menu, sign_out
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"
REASON = "核对医院出生名单"


@pytest.fixture
def staff(tmp_path: Path) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("zhen", "statistician", TOWNSHIP_A)
    user_with_role("xian", "county_admin", COUNTY)


def test_browse_unmask_and_audit(page: Any, live_server: Any, artifacts: Path, staff: None) -> None:
    sign_in(page, live_server, "zhen", PASSWORD)
    open_menu(page, "/persons/")
    page.locator("#q").fill("王")
    result = page.locator("#results table.list tbody a", has_text="王芳")
    result.wait_for()
    assert_fits_phone(page)
    shot(page, artifacts, "20-person-search")
    follow(page, result)
    wang = Person.objects.get(person_ref="P5")
    assert path_of(page, live_server) == f"/persons/{wang.pk}/"
    masked = page.locator("#id-number .code").inner_text()
    assert "*" in masked

    # Unmasking needs a reason; the number appears in place (htmx) and is recorded.
    page.locator("#reason").fill(REASON)
    page.locator("form.reveal button[type=submit]").click()
    revealed = page.locator("#id-number .revealed")
    revealed.wait_for()
    assert revealed.inner_text() == id_number("1995-12-31", 52, region="410102")
    assert AuditLog.objects.filter(action="person.unmask", reason=REASON).count() == 1
    assert_fits_phone(page)
    shot(page, artifacts, "21-person-unmasked")

    # The household of 张伟: members with the head first.
    zhang = Person.objects.get(person_ref="P1")
    page.goto(f"{live_server.url}/persons/{zhang.pk}/")
    follow(page, page.locator("a[href^='/households/']"))
    assert path_of(page, live_server) == f"/households/{zhang.household_id}/"
    members = page.locator("main a[href^='/persons/']").all_inner_texts()
    assert members[:3] == ["张伟", "李丽", "张小明"]
    assert_fits_phone(page)
    shot(page, artifacts, "22-household")

    # An API token, shown once.
    follow(page, page.locator(".account a.user"))
    assert path_of(page, live_server) == "/api-tokens/"
    page.locator("#id_name").fill("医院出生数据对接")
    follow(page, page.locator("main form.card button[type=submit]"))
    token = page.locator("#new-token").inner_text()
    assert token.startswith("rk_")
    assert "医院出生数据对接" in page.locator("ul.tokens").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "23-api-tokens")
    # Revoking asks first; the token is revoked only when confirmed.
    follow(page, page.locator("ul.tokens a[href$='/revoke/']"))
    assert "医院出生数据对接" in page.locator("main").inner_text()
    follow(page, page.locator("main form button[type=submit]"))
    assert "已撤销" in page.locator("ul.tokens").inner_text()
    sign_out(page, live_server)

    # The county administrator (second factor) sees the unmasking in the audit log.
    sign_in(page, live_server, "xian", PASSWORD)
    open_menu(page, "/audit/")
    page.locator("#action").fill("person.unmask")
    follow(page, page.locator("form.filters button[type=submit]"))
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1
    assert REASON in rows.first.inner_text() and "zhen" in rows.first.inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "24-audit-log")
