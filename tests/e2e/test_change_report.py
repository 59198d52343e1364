"""A birth reported on a phone by the village, applied by the township, then found in the register.

The village reporter fills in the change report (变动单) on a 375 px phone, checks it for
problems and submits it; the township statistician applies it from the review queue, finds the
child by pinyin, sees the birth on the child's and on the mother's timeline, in Chinese
then in English.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest

from renkou.registry.choices import EventStatus
from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, VILLAGE_A1, small_county, today, user_with_role
from tests.e2e.test_sign_in import (
    assert_fits_phone,
    html_lang,
    path_of,
    shot,
    sign_in,
    switch_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "unused-Pass-2026"  # the password tests.builders.user_with_role gives
CHILD = "张小红"
MOTHER = "李丽"
BORN = "2024-08-08"


@pytest.fixture
def staff(tmp_path: Path) -> None:
    """The small county, a reporter in village A1 and a statistician of township A."""
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("cun", "reporter", VILLAGE_A1)
    user_with_role("zhen", "statistician", TOWNSHIP_A)


def follow(page: Any, locator: Any) -> None:
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.click()


def open_menu(page: Any, href: str) -> None:
    """Go to a page through the header's main menu."""
    follow(page, page.locator(f"nav.nav a[href='{href}']"))


def sign_out(page: Any, live_server: Any) -> None:
    follow(page, page.locator(".account form[action='/accounts/logout/'] button"))
    assert path_of(page, live_server).startswith("/accounts/login/")


def test_village_reports_a_birth_and_the_township_applies_it(
    page: Any, live_server: Any, artifacts: Path, staff: None
) -> None:
    # --- 1. The village reporter files the birth on the phone -------------------------------
    sign_in(page, live_server, "cun", PASSWORD)
    assert path_of(page, live_server) == "/"
    assert html_lang(page) == "zh-hans"
    open_menu(page, "/changes/")
    assert path_of(page, live_server) == "/changes/"
    assert page.locator("h1").inner_text() == "变动单"
    assert_fits_phone(page)
    follow(page, page.locator("nav.kinds a[href='/changes/new/birth/']"))
    assert path_of(page, live_server) == "/changes/new/birth/"
    form = page.locator("form.card.change")
    # The reporter has one village: it is already chosen.
    assert form.locator("#id_village").input_value() == VILLAGE_A1

    form.locator("#id_name").fill(CHILD)
    form.locator("input[name=sex][value=F]").check()
    form.locator("#id_effective_date").fill(BORN)
    assert form.locator("#id_id_number").input_value() == ""
    picker = form.locator("fieldset.picker").filter(has=page.locator("input[name=mother_q]"))
    picker.locator("input[name=mother_q]").fill("li li")
    choices = picker.locator("#pick-mother input[type=radio][name=mother]")
    choices.first.wait_for()
    names = picker.locator("#pick-mother label.pick strong").all_inner_texts()
    assert names == [MOTHER], names  # women only, alive, in the reporter's village
    mother = Person.objects.get(name=MOTHER)
    picker.locator("label.pick", has_text=MOTHER).locator("input[name=mother]").check()
    assert choices.first.get_attribute("value") == str(mother.pk)
    assert_fits_phone(page)

    # First only a check: nothing is filed, the form comes back filled in.
    follow(page, form.locator("button[name=check]"))
    assert path_of(page, live_server) == "/changes/new/birth/"
    # The logic checks speak before filing: a child over one year old has no identity number
    # yet (a warning: the report can still be filed, and the township reviews it).
    status = form.locator("[role=status]")
    assert status.is_visible()
    assert "身份证号未填写" in status.inner_text()  # the rule by its name (Q-REQ-ID-NUMBER)
    assert "身份证号" in status.inner_text()
    assert not form.locator(".errors").count()
    assert not Event.objects.filter(kind="birth", historic=False).exists()
    assert form.locator("#id_name").input_value() == CHILD
    assert form.locator("input[name=sex][value=F]").is_checked()
    assert form.locator("#id_effective_date").input_value() == BORN
    chosen = form.locator("#pick-mother input[name=mother]")
    assert chosen.count() == 1 and chosen.is_checked()
    assert chosen.get_attribute("value") == str(mother.pk)
    assert_fits_phone(page)
    shot(page, artifacts, "10-change-form")

    follow(page, form.locator("button.primary[type=submit]"))
    event = Event.objects.get(kind="birth", historic=False)
    assert path_of(page, live_server) == f"/changes/{event.pk}/"
    assert event.status == EventStatus.SUBMITTED
    assert event.reporter.username == "cun"
    assert event.orgunit_id == VILLAGE_A1
    assert event.effective_date == datetime.date(2024, 8, 8)
    assert event.payload["state"]["mother_id"] == mother.pk
    assert page.locator(".messages li.success").inner_text() == "已上报，等待乡镇审核。"
    assert page.locator("h1 .tag.status-submitted").inner_text() == "已提交"
    facts = page.locator("dl.facts")
    assert CHILD in facts.inner_text() and BORN in facts.inner_text()
    assert not page.locator(".decide").count()  # a reporter cannot apply it
    assert_fits_phone(page)
    shot(page, artifacts, "11-change-detail")
    # It is in the reporter's own list, waiting.
    open_menu(page, "/changes/")
    row = page.locator("table.list tbody tr", has_text=CHILD)
    assert row.locator("td.status-submitted").inner_text() == "已提交"

    # --- 2. The township statistician applies it from the review queue ----------------------
    sign_out(page, live_server)
    sign_in(page, live_server, "zhen", PASSWORD)
    assert path_of(page, live_server) == "/"
    open_menu(page, "/changes/")
    queue = page.locator("table.list tbody tr")
    assert queue.count() == 1
    assert queue.locator("td").all_inner_texts() == ["出生", CHILD, BORN, "东村", "已提交"]
    villages = page.locator("ul.villages li")
    assert villages.all_inner_texts() == ["东村 1"]
    assert_fits_phone(page)
    shot(page, artifacts, "12-review-queue")

    follow(page, queue.locator(f"a[href='/changes/{event.pk}/']"))
    assert path_of(page, live_server) == f"/changes/{event.pk}/"
    assert page.locator("h1 .tag.status-submitted").is_visible()
    # The warning needs a reason before the change can be applied.
    reason = page.locator(".decide #warnings_reason")
    assert reason.is_visible() and reason.get_attribute("required") is not None
    reason.fill("补报出生，孩子尚未办理身份证")
    follow(page, page.locator(".decide form button.primary"))
    assert path_of(page, live_server) == f"/changes/{event.pk}/"
    assert page.locator(".messages li.success").is_visible()
    assert page.locator("h1 .tag.status-applied").inner_text() == "已生效"
    assert not page.locator(".decide").count()  # decided: no second apply
    event.refresh_from_db()
    assert event.status == EventStatus.APPLIED
    child = Person.objects.get(name=CHILD)
    assert event.person_id == child.pk
    assert child.mother_id == mother.pk
    assert child.birth_date == datetime.date(2024, 8, 8) and child.sex == "F"
    # The child's name on the applied change now links to the person.
    assert page.locator(f"dl.facts a[href='/persons/{child.pk}/']").inner_text() == CHILD
    assert_fits_phone(page)

    # --- 3. The child is in the register: search by pinyin, child's and mother's pages -------
    open_menu(page, "/persons/")
    page.locator("#q").fill("zhang xiao hong")
    follow_result = page.locator("#results table.list tbody a", has_text=CHILD)
    follow_result.wait_for()
    assert page.locator("#results table.list tbody tr").count() == 1
    follow(page, follow_result)
    assert path_of(page, live_server) == f"/persons/{child.pk}/"
    assert page.locator("h1").inner_text().strip() == CHILD
    facts = page.locator("dl.facts").inner_text()
    assert BORN in facts and "女" in facts and "东村" in facts
    family = page.locator("ul.family")
    assert family.locator(f"a[href='/persons/{mother.pk}/']").inner_text() == MOTHER
    timeline = page.locator("ol.timeline li")
    assert timeline.count() == 1
    entry = timeline.first
    assert entry.locator(".date").inner_text() == BORN
    assert entry.locator("strong").inner_text() == "出生"
    assert entry.locator(".status-applied").inner_text() == "已生效"
    assert "村级上报" in entry.inner_text()
    assert_fits_phone(page)
    shot(page, artifacts, "13-person-child")

    follow(page, family.locator(f"a[href='/persons/{mother.pk}/']"))
    assert path_of(page, live_server) == f"/persons/{mother.pk}/"
    assert page.locator("h1").inner_text().strip() == MOTHER
    children = page.locator("ul.family li", has_text="子女")
    assert [re.sub(r"\s+", " ", t) for t in children.all_inner_texts()] == [
        "子女: 张小明 (2021-01-15)",
        f"子女: {CHILD} ({BORN})",
    ]
    # The child's birth is on the mother's timeline too, linking to the child.
    birth_entry = page.locator("ol.timeline li", has_text=CHILD)
    assert birth_entry.locator("strong").inner_text() == "出生"
    assert birth_entry.locator(".date").inner_text() == BORN
    assert birth_entry.locator(f"a[href='/persons/{child.pk}/']").inner_text() == CHILD
    shot(page, artifacts, "13b-person-mother")
    assert_fits_phone(page)
    follow(page, children.locator(f"a[href='/persons/{child.pk}/']"))
    assert path_of(page, live_server) == f"/persons/{child.pk}/"

    # --- 4. In English ----------------------------------------------------------------------
    switch_language(page, "en")
    assert path_of(page, live_server) == f"/persons/{child.pk}/"
    assert html_lang(page) == "en"
    assert page.get_by_role("heading", name="Events").is_visible()
    assert page.get_by_role("heading", name="Family").is_visible()
    entry = page.locator("ol.timeline li").first
    assert entry.locator("strong").inner_text() == "Birth"
    assert entry.locator(".status-applied").inner_text() == "Applied"
    assert "Village report" in entry.inner_text()
    assert page.locator("ul.family li").first.inner_text().startswith("Mother: ")
    assert_fits_phone(page)
    shot(page, artifacts, "14-person-en")
