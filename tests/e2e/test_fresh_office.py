"""A brand-new office, from ``renkou init`` to a birth rejected, corrected and applied.

Starts from an empty database and runs the real ``renkou init`` (a small demo county). The
administrator signs in with the one-time password init printed, chooses a password and links an
authenticator, then creates on the staff pages a reporter of one village of the demo county and
the statistician of its township. The reporter (phone, 390 px, Chinese) files a birth linking
a mother found with the person picker; the statistician (desktop, second factor) is told in the
header, rejects it with a reason; the reporter is told why, corrects and resubmits it; the
statistician is told again and applies it on an English page; the reporter sees it applied.
The database then holds exactly one new child with the corrected data, and both versions.
"""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from renkou.core import crypto
from renkou.core.models import AuditLog, PasswordState, RoleAssignment
from renkou.orgunits.models import OrgUnit
from renkou.registry.choices import EventStatus, PersonStatus
from renkou.registry.models import Event, Person
from tests.e2e.test_change_report import follow, open_menu
from tests.e2e.test_resubmit import open_notification, unread
from tests.e2e.test_sign_in import enter_totp, html_lang, path_of, shot, sign_in, switch_language
from tests.e2e.test_staff import DESKTOP, PHONE_390, create, fits, new_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ADMIN_PASSWORD = "Tonglu-admin-ledger-26"
REPORTER_PASSWORD = "Fuchun-village-book-26"
STATISTICIAN_PASSWORD = "Tonglu-township-sum-26"
WRONG, RIGHT = "方晓雨", "方小雨"
REASON = "孩子名字应为方小雨，见出生医学证明"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def first_sign_in(page: Any, live_server: Any, username: str, one_time: str, new: str) -> None:
    """Sign in with a one-time password, choose a new one, link an authenticator if asked."""
    sign_in(page, live_server, username, one_time)
    assert path_of(page, live_server) == "/accounts/password/"
    page.fill("input[name=old_password]", one_time)
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()
    if path_of(page, live_server) == "/accounts/2fa/setup/":
        assert page.locator(".qr svg").is_visible()
        enter_totp(page, username)
    assert path_of(page, live_server) == "/"
    assert not PasswordState.objects.get(user__username=username).must_change


def reload(page: Any) -> None:
    with page.expect_navigation():
        page.reload()


def chinese_left(page: Any, data: list[str]) -> list[str]:
    """Chinese text on the page that is not data (names of persons, places, a reason): on an
    English page there is none. The language menu names each language in itself, and the
    brand's mark 人口 is a logo (its words are translated)."""
    text = page.evaluate(
        """() => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll('#language').forEach(el => el.remove());
            body.querySelectorAll('.brand').forEach(brand => [...brand.childNodes]
                .filter(n => n.nodeType === Node.TEXT_NODE).forEach(n => n.remove()));
            return body.innerText;
        }"""
    )
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    return [line.strip() for line in text.splitlines() if CJK.search(line)]


def pick_village_and_mother(born: datetime.date) -> tuple[OrgUnit, Person]:
    """A village of the demo county (not the demo users' township) and a woman living there
    aged 22 to 35 at the birth with an identity number, without a child under two, whose
    name nobody else has."""
    county = OrgUnit.objects.get(level=3)
    townships = list(OrgUnit.objects.filter(parent=county).order_by("code"))
    assert len(townships) >= 2
    for township in townships[1:]:
        for village in OrgUnit.objects.filter(parent=township, valid_to__isnull=True).order_by(
            "code"
        ):
            women = (
                Person.objects.filter(
                    residence_orgunit=village,
                    sex="F",
                    status=PersonStatus.ALIVE,
                    birth_date__gt=born.replace(year=born.year - 35),
                    birth_date__lt=born.replace(year=born.year - 22),
                )
                .exclude(id_number_enc="")
                .order_by("pk")
            )
            for woman in women:
                if Person.objects.filter(name__startswith=woman.name).count() != 1:
                    continue
                recent = Person.objects.filter(
                    mother=woman, birth_date__gt=born.replace(year=born.year - 2)
                )
                if not recent.exists():
                    return village, woman
    raise AssertionError("the demo county has no suitable mother")


def test_a_fresh_office_files_rejects_resubmits_and_applies_a_birth(
    page: Any, browser: Any, live_server: Any, artifacts: Path, settings: Any
) -> None:
    # By default only administrators need a second factor; this office also asks it of its
    # statisticians (RENKOU_SECOND_FACTOR_ROLES), as the reviewers of every report.
    settings.RENKOU_SECOND_FACTOR_ROLES = frozenset({"sysadmin", "county_admin", "statistician"})
    User = get_user_model()
    assert not User.objects.exists() and not Person.objects.exists()

    # --- 0. renkou init on an empty database ----------------------------------------------------
    out = io.StringIO()
    call_command("init", demo_persons=3000, stdout=out)
    found = re.search(r"one-time password 一次性密码: (\S+)", out.getvalue())
    assert found, out.getvalue()
    admin_one_time = found.group(1)
    born = timezone.localdate() - datetime.timedelta(days=12)
    village, mother = pick_village_and_mother(born)
    township = village.parent
    persons_before = set(Person.objects.values_list("pk", flat=True))
    audit_before = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first()

    # --- 1. The administrator's first sign-in: new password, authenticator --------------------
    desk = new_page(browser, DESKTOP)
    first_sign_in(desk, live_server, "admin", admin_one_time, ADMIN_PASSWORD)
    assert User.objects.get(username="admin").totpdevice_set.filter(confirmed=True).exists()

    # --- 2. Staffing: the village's reporter and the township's statistician ---------------------
    with desk.expect_navigation():
        desk.get_by_role("navigation", name="主菜单").get_by_role("link", name="用户管理").click()
    assert path_of(desk, live_server) == "/staff/"
    reporter_one_time = create(desk, live_server, "fang.cun", "reporter", village.code)
    statistician_one_time = create(desk, live_server, "wu.tongji", "statistician", township.code)
    held = set(
        RoleAssignment.objects.filter(user__username__in=["fang.cun", "wu.tongji"]).values_list(
            "user__username", "role", "orgunit_id"
        )
    )
    assert held == {
        ("fang.cun", "reporter", village.code),
        ("wu.tongji", "statistician", township.code),
    }
    shot(desk, artifacts, "fresh-01-staff")
    desk.context.close()

    # --- 3. The reporter, on a phone in Chinese, files the birth linking the mother -----------
    phone = page  # the conftest page: also checks for script errors and outside requests
    phone.set_viewport_size(PHONE_390)
    first_sign_in(phone, live_server, "fang.cun", reporter_one_time, REPORTER_PASSWORD)
    assert html_lang(phone) == "zh-hans"
    fits(phone, PHONE_390["width"])
    open_menu(phone, "/changes/")
    fits(phone, PHONE_390["width"])
    follow(phone, phone.locator("nav.kinds a[href='/changes/new/birth/']"))
    form = phone.locator("form.card.change")
    form.locator("#id_name").fill(WRONG)
    form.locator("input[name=sex][value=F]").check()
    form.locator("#id_effective_date").fill(born.isoformat())
    picker = form.locator("fieldset.picker").filter(has=phone.locator("input[name=mother_q]"))
    picker.locator("input[name=mother_q]").fill(mother.name)
    option = f"input[name=mother][value='{mother.pk}']"
    label = picker.locator("label.pick", has=phone.locator(option))
    assert mother.name in label.inner_text()
    label.locator("input").check()
    fits(phone, PHONE_390["width"])
    shot(phone, artifacts, "fresh-02-birth-form-390")
    follow(phone, form.locator("button.primary"))
    first = Event.objects.get(kind="birth", reporter__username="fang.cun")
    assert path_of(phone, live_server) == f"/changes/{first.pk}/"
    assert first.status == EventStatus.SUBMITTED and first.orgunit_id == village.code
    assert first.payload["state"]["mother_id"] == mother.pk
    assert unread(phone) == ""  # who filed it is not told
    fits(phone, PHONE_390["width"])

    # --- 4. The statistician, at a desk with the second factor, is told and rejects it ---------
    desk = new_page(browser, DESKTOP)
    first_sign_in(desk, live_server, "wu.tongji", statistician_one_time, STATISTICIAN_PASSWORD)
    assert User.objects.get(username="wu.tongji").totpdevice_set.filter(confirmed=True).exists()
    assert unread(desk) == "1"
    open_notification(desk, f"新的待审核上报：{village.name} {WRONG} 的出生")
    assert path_of(desk, live_server) == f"/changes/{first.pk}/"
    facts = desk.locator("dl.facts").inner_text()
    assert "母亲" in facts and mother.name in facts and mother.id_number_masked in facts
    assert crypto.decrypt(mother.id_number_enc) not in desk.content()  # only masked
    assert unread(desk) == ""
    reject = desk.locator(".decide form.card")
    reject.locator("textarea[name=reason]").fill(REASON)
    follow(desk, reject.locator("button"))
    assert desk.locator("h1 .tag.status-rejected").inner_text() == "已退回"
    shot(desk, artifacts, "fresh-03-rejected")

    # --- 5. The reporter is told why, opens the report, corrects and resubmits it --------------
    reload(phone)
    assert unread(phone) == "1"
    follow(phone, phone.locator(".account a.notifications-link"))
    item = phone.locator("li.notification.unread")
    assert item.count() == 1
    assert item.inner_text().startswith(f"您的上报被退回：{WRONG} 的出生。原因：{REASON}")
    fits(phone, PHONE_390["width"])
    follow(phone, item.locator("a").first)
    assert path_of(phone, live_server) == f"/changes/{first.pk}/"
    assert phone.locator("dd.reject-reason").inner_text() == REASON
    fits(phone, PHONE_390["width"])
    follow(phone, phone.locator("a#resubmit"))
    assert path_of(phone, live_server) == f"/changes/{first.pk}/resubmit/"
    assert REASON in phone.locator("#replaces").inner_text()
    form = phone.locator("form.card.change")
    assert form.locator("#id_name").input_value() == WRONG
    assert form.locator("#id_effective_date").input_value() == born.isoformat()
    chosen = form.locator("#pick-mother input[name=mother]")
    assert chosen.count() == 1 and chosen.is_checked()
    assert chosen.get_attribute("value") == str(mother.pk)
    fits(phone, PHONE_390["width"])
    form.locator("#id_name").fill(RIGHT)
    follow(phone, form.locator("button.primary"))
    second = Event.objects.get(replaces=first)
    assert path_of(phone, live_server) == f"/changes/{second.pk}/"
    assert phone.locator("h1 .tag.status-submitted").inner_text() == "已提交"
    assert REASON in phone.locator("ul.versions li").inner_text()
    fits(phone, PHONE_390["width"])
    shot(phone, artifacts, "fresh-04-resubmitted-390")

    # --- 6. The statistician is told again, switches to English and applies it -----------------
    reload(desk)
    assert unread(desk) == "1"
    open_notification(desk, f"更正后重新提交待审核：{village.name} {RIGHT} 的出生")
    assert path_of(desk, live_server) == f"/changes/{second.pk}/"
    switch_language(desk, "en")
    assert path_of(desk, live_server) == f"/changes/{second.pk}/"
    assert html_lang(desk) == "en"
    data = [RIGHT, WRONG, REASON, mother.name, *[u.name for u in village_trail(village)]]
    assert chinese_left(desk, data) == []
    assert "Mother" in desk.locator("dl.facts").inner_text()
    assert desk.locator("ul.versions li").count() == 1
    warnings = desk.locator(".decide #warnings_reason")
    if warnings.count():
        warnings.fill("The birth was reported late by the family")
    follow(desk, desk.locator(".decide form button.primary"))
    assert desk.locator("h1 .tag.status-applied").inner_text() == "Applied"
    assert chinese_left(desk, data) == []
    shot(desk, artifacts, "fresh-05-applied-en")
    desk.context.close()

    # --- 7. The reporter sees it applied ---------------------------------------------------------
    reload(phone)
    assert unread(phone) == "1"
    open_notification(phone, f"您的上报已生效：{RIGHT} 的出生")
    assert path_of(phone, live_server) == f"/changes/{second.pk}/"
    assert phone.locator("h1 .tag.status-applied").inner_text() == "已生效"
    assert unread(phone) == ""
    fits(phone, PHONE_390["width"])
    shot(phone, artifacts, "fresh-06-applied-390")

    # --- 8. The database: one child with the corrected data, both versions kept ----------------
    added = Person.objects.exclude(pk__in=persons_before)
    assert added.count() == 1
    child = added.get()
    assert (child.name, child.sex, child.birth_date) == (RIGHT, "F", born)
    assert (child.mother_id, child.residence_orgunit_id) == (mother.pk, village.code)
    assert child.status == PersonStatus.ALIVE
    assert not Person.objects.filter(name=WRONG).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.reject_reason, first.replaces_id) == ("rejected", REASON, None)
    assert (second.status, second.replaces_id, second.person_id) == ("applied", first.pk, child.pk)
    assert first.payload["state"]["name"] == WRONG and second.payload["state"]["name"] == RIGHT
    assert first.person_id is None
    births = Event.objects.filter(kind="birth", reporter__isnull=False)
    assert set(births.values_list("pk", flat=True)) == {first.pk, second.pk}
    rows = AuditLog.objects.filter(pk__gt=audit_before or 0)
    trail = [
        (r.action, r.actor.get_username() if r.actor else "", str(r.object_id))
        for r in rows.filter(action__startswith="event.").order_by("pk")
    ]
    assert trail == [
        ("event.submit", "fang.cun", str(first.pk)),
        ("event.rejected", "wu.tongji", str(first.pk)),
        ("event.submit", "fang.cun", str(second.pk)),
        ("event.apply", "wu.tongji", str(second.pk)),
    ]
    assert rows.get(action="event.rejected").reason == REASON
    assert rows.get(action="event.submit", object_id=str(second.pk)).after["replaces"] == first.pk
    created = rows.filter(action="person.create")
    assert list(created.values_list("object_id", "actor__username")) == [
        (str(child.pk), "wu.tongji")
    ]
    assert rows.filter(action="user.create", actor__username="admin").count() == 2


def village_trail(village: OrgUnit) -> list[OrgUnit]:
    """The village and the units above it."""
    trail = [village]
    while trail[-1].parent is not None:
        trail.append(trail[-1].parent)
    return trail
