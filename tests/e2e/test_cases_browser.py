"""A petition on a phone: a township statistician registers a visit, shows the petitioner
with a reason (htmx), accepts, gives it to a colleague, who records a step, and closes it;
every page fits a phone and is in Chinese."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from renkou.cases.models import Case
from renkou.core.models import AuditLog
from tests.builders import TOWNSHIP_A, VILLAGE_A1, user_with_role
from tests.e2e.test_change_report import follow, open_menu
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"


@pytest.fixture
def staff(county: None) -> None:
    user_with_role("tongji", "statistician", TOWNSHIP_A)
    user_with_role("tongji2", "statistician", TOWNSHIP_A)


def test_a_visit_is_registered_handled_and_closed_on_a_phone(
    page: Any, live_server: Any, artifacts: Path, staff: None
) -> None:
    today = datetime.date.today().isoformat()
    sign_in(page, live_server, "tongji", PASSWORD)
    open_menu(page, "/cases/")
    assert page.locator("h1").inner_text().startswith("信访与热线")
    assert_fits_phone(page)
    follow(page, page.locator("#case-new"))
    assert "举报" in page.locator("p.hint").first.inner_text()
    page.select_option("#id_channel", "visit")
    page.select_option("#id_category", "certificates")
    page.select_option("#id_orgunit", VILLAGE_A1)
    page.fill("#id_petitioner_name", "王大明")
    page.fill("#id_petitioner_phone", "13800138000")
    page.fill("#id_request", "咨询独生子女父母光荣证补办")
    assert_fits_phone(page)
    shot(page, artifacts, "60-case-new")
    follow(page, page.locator("form.case button[type=submit]"))
    case = Case.objects.get()
    assert path_of(page, live_server) == f"/cases/{case.pk}/"
    assert "王*明" in page.locator("#petitioner").inner_text()
    assert "王大明" not in page.content()

    # the petitioner in clear, with a reason: swapped in place (htmx), and recorded
    page.fill("#reveal-reason", "回访核实")
    page.locator("form.reveal button[type=submit]").click()
    page.locator("#petitioner .revealed").wait_for()
    assert "王大明" in page.locator("#petitioner").inner_text()
    assert AuditLog.objects.filter(action="cases.petitioner.unmask").count() == 1

    follow(page, page.locator("#accept-form button[type=submit]"))
    assert "已受理" in page.locator(".messages").inner_text()
    colleague = get_user_model().objects.get(username="tongji2")
    page.select_option("#handler", f"{TOWNSHIP_A}:{colleague.pk}")
    follow(page, page.locator("#assign-form button[type=submit]"))
    page.fill("#step-text", "电话联系信访人，告知补办材料")
    follow(page, page.locator("#step-form button[type=submit]"))
    page.fill("#reply", "已告知补办流程和所需材料")
    page.fill("#closed_on", today)
    page.select_option("#satisfaction", "satisfied")
    assert_fits_phone(page)
    shot(page, artifacts, "61-case-page")
    follow(page, page.locator("#close-form button[type=submit]"))
    history = page.locator("ol.timeline").inner_text()
    for step in ("登记", "受理", "交办", "电话联系信访人", "答复并办结"):
        assert step in history, step
    case.refresh_from_db()
    assert case.status == "closed" and case.satisfaction == "satisfied"

    follow(page, page.locator("nav.breadcrumb a").first)
    page.goto(f"{live_server.url}/cases/area/{TOWNSHIP_A}/?tab=closed")
    assert "100.0 %" in page.locator("#rate-closed").inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "62-cases-overview")
