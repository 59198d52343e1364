"""A birth rejected, corrected and resubmitted, with notifications on both sides, in Chinese.

The village reporter files a birth linking the mother; the township statistician, told of it
in the header, rejects it with a reason; the reporter sees the notification, opens the
report, corrects it and submits it again (one step checked at 390 px); the statistician is
told of the corrected report and applies it; the reporter sees it applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.core import crypto
from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, VILLAGE_A1, id_number, small_county, today, user_with_role
from tests.e2e.test_change_report import PASSWORD, follow, open_menu, sign_out
from tests.e2e.test_sign_in import assert_fits_phone, path_of, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

WRONG, RIGHT, BORN = "张晓红", "张小红", "2024-08-08"
REASON = "孩子名字应为张小红"


@pytest.fixture
def staff(tmp_path: Path) -> None:
    """The small county, a reporter in village A1 and a statistician of township A."""
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("cun", "reporter", VILLAGE_A1)
    user_with_role("zhen", "statistician", TOWNSHIP_A)


def unread(page: Any) -> str:
    """The header's count of unread notifications ('' when there are none)."""
    badge = page.locator(".account #notifications-unread")
    return badge.inner_text() if badge.count() else ""


def open_notification(page: Any, text: str) -> None:
    """Open the notification list from the header and follow the notification saying ``text``."""
    follow(page, page.locator(".account a.notifications-link"))
    item = page.locator("li.notification.unread", has_text=text)
    assert item.count() == 1, page.locator("ul.notifications").inner_text()
    follow(page, item.locator("a").first)


def fits(page: Any, width: int) -> None:
    """No horizontal scrolling at ``width`` px and nothing sticking out to the right."""
    out = page.evaluate(
        """(width) => [...document.body.querySelectorAll('*')]
            .filter(el => !el.closest('.table-wrap, .sr-only'))
            .filter(el => {
                const r = el.getBoundingClientRect();
                return r.width && r.right > width + 0.5;
            })
            .map(el => el.tagName + '.' + el.className)""",
        width,
    )
    assert out == [] and page.evaluate("document.documentElement.scrollWidth") <= width, out


def test_reject_resubmit_apply_with_notifications(
    page: Any, live_server: Any, artifacts: Path, staff: None
) -> None:
    mother = Person.objects.get(name="李丽")
    masked = crypto.mask_id_number(id_number("1992-07-20", 22))

    # --- 1. The reporter files the birth, linking the mother --------------------------------
    sign_in(page, live_server, "cun", PASSWORD)
    open_menu(page, "/changes/")
    follow(page, page.locator("nav.kinds a[href='/changes/new/birth/']"))
    form = page.locator("form.card.change")
    form.locator("#id_name").fill(WRONG)
    form.locator("input[name=sex][value=F]").check()
    form.locator("#id_effective_date").fill(BORN)
    picker = form.locator("fieldset.picker").filter(has=page.locator("input[name=mother_q]"))
    picker.locator("input[name=mother_q]").fill("li li")
    picker.locator("label.pick", has_text="李丽").locator("input[name=mother]").check()
    follow(page, form.locator("button.primary"))
    first = Event.objects.get(kind="birth", historic=False)
    assert path_of(page, live_server) == f"/changes/{first.pk}/"
    assert first.payload["state"]["mother_id"] == mother.pk
    assert unread(page) == ""  # who filed it is not told
    sign_out(page, live_server)

    # --- 2. The statistician is told, sees the mother masked, rejects with a reason ---------
    sign_in(page, live_server, "zhen", PASSWORD)
    assert unread(page) == "1"
    open_notification(page, f"新的待审核上报：东村 {WRONG} 的出生")
    assert path_of(page, live_server) == f"/changes/{first.pk}/"
    facts = page.locator("dl.facts").inner_text()
    assert "母亲" in facts and "李丽" in facts and masked in facts
    assert id_number("1992-07-20", 22) not in page.content()
    assert unread(page) == ""
    reject = page.locator(".decide form.card")
    reject.locator("textarea[name=reason]").fill(REASON)
    follow(page, reject.locator("button"))
    assert page.locator("h1 .tag.status-rejected").inner_text() == "已退回"
    sign_out(page, live_server)

    # --- 3. The reporter sees it rejected, at 390 px, and corrects it -----------------------
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "cun", PASSWORD)
    assert unread(page) == "1"
    follow(page, page.locator(".account a.notifications-link"))
    item = page.locator("li.notification.unread")
    assert item.inner_text().startswith(f"您的上报被退回：{WRONG} 的出生。原因：{REASON}")
    fits(page, 390)
    shot(page, artifacts, "resubmit-01-notifications-390")
    follow(page, item.locator("a").first)
    assert path_of(page, live_server) == f"/changes/{first.pk}/"
    assert page.locator("dd.reject-reason").inner_text() == REASON
    fits(page, 390)
    follow(page, page.locator("a#resubmit"))
    assert path_of(page, live_server) == f"/changes/{first.pk}/resubmit/"
    assert REASON in page.locator("#replaces").inner_text()
    form = page.locator("form.card.change")
    assert form.locator("#id_name").input_value() == WRONG
    assert form.locator("#id_effective_date").input_value() == BORN
    assert form.locator("input[name=sex][value=F]").is_checked()
    chosen = form.locator("#pick-mother input[name=mother]")
    assert chosen.count() == 1 and chosen.is_checked()
    assert chosen.get_attribute("value") == str(mother.pk)
    fits(page, 390)
    shot(page, artifacts, "resubmit-02-form-390")
    form.locator("#id_name").fill(RIGHT)
    follow(page, form.locator("button.primary"))
    second = Event.objects.get(replaces=first)
    assert path_of(page, live_server) == f"/changes/{second.pk}/"
    assert page.locator("h1 .tag.status-submitted").inner_text() == "已提交"
    versions = page.locator("ul.versions li")
    assert versions.count() == 1 and REASON in versions.inner_text()
    fits(page, 390)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_out(page, live_server)

    # --- 4. The statistician is told of the corrected report and applies it -----------------
    sign_in(page, live_server, "zhen", PASSWORD)
    assert unread(page) == "1"
    open_notification(page, f"更正后重新提交待审核：东村 {RIGHT} 的出生")
    assert path_of(page, live_server) == f"/changes/{second.pk}/"
    assert page.locator("ul.versions li").count() == 1
    reason = page.locator(".decide #warnings_reason")
    reason.fill("补报出生，尚未办理身份证")
    follow(page, page.locator(".decide form button.primary"))
    assert page.locator("h1 .tag.status-applied").inner_text() == "已生效"
    assert_fits_phone(page)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == ("rejected", "applied")
    child = Person.objects.get(pk=second.person_id)
    assert (child.name, child.mother_id) == (RIGHT, mother.pk)
    sign_out(page, live_server)

    # --- 5. The reporter sees it applied -------------------------------------------------------
    sign_in(page, live_server, "cun", PASSWORD)
    assert unread(page) == "1"
    open_notification(page, f"您的上报已生效：{RIGHT} 的出生")
    assert path_of(page, live_server) == f"/changes/{second.pk}/"
    assert page.locator("h1 .tag.status-applied").inner_text() == "已生效"
    assert unread(page) == ""
    assert_fits_phone(page)
    shot(page, artifacts, "resubmit-03-applied")
