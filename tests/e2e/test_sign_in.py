"""Signing in and looking around on a phone: one-time password, overview, org units, language.

Chinese translations may not exist yet, so on zh-hans pages the tests check structure, URLs,
numbers and ``<html lang>``; English text is checked only after switching to English.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core.accounts import role_assign, user_create_with_one_time_password
from renkou.core.scoping import restrict
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.choices import PersonStatus
from renkou.registry.models import Event, Household, Person
from tests.builders import COUNTY, VILLAGE_A1
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

NEW_PASSWORD = "Qiantang-ledger-2025"
CLERK_PASSWORD = "Fuchun-river-ledger-7"


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def clerk(county: None) -> Any:
    """A county user who has already chosen a password (no forced change)."""
    user = get_user_model().objects.create_user(username="clerk", password=CLERK_PASSWORD)
    role_assign(
        user=user, role="county_admin", orgunit=OrgUnit.objects.get(code=COUNTY), actor="test"
    )
    return user


def path_of(page: Any, live_server: Any) -> str:
    """The current URL without the server's address."""
    return page.url.removeprefix(live_server.url)


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A full-page screenshot into the artifact directory."""
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def assert_fits_phone(page: Any) -> None:
    """No horizontal scrolling at 375 px, and no element sticking out to the right."""
    overflow = page.evaluate(
        """(width) => {
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                if (el.closest('.table-wrap, .sr-only')) continue;  // scrolls / hidden on purpose
                const r = el.getBoundingClientRect();
                if (r.width && r.right > width + 0.5) {
                    out.push(`${el.tagName.toLowerCase()}.${el.className} right=${r.right}`);
                }
            }
            return {scroll: document.documentElement.scrollWidth, out};
        }""",
        PHONE["width"],
    )
    assert overflow["scroll"] <= PHONE["width"], overflow
    assert not overflow["out"], overflow


def assert_styled(page: Any) -> None:
    """The stylesheet was served and applied (the top bar has its 3 px brand line)."""
    width = page.evaluate("getComputedStyle(document.querySelector('.topbar')).borderBottomWidth")
    assert width == "3px"


def html_lang(page: Any) -> str:
    return page.locator("html").get_attribute("lang")


def sign_in(page: Any, live_server: Any, username: str, password: str) -> None:
    """Fill in and submit the sign-in form, then the TOTP step if the user's role needs it."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()
    if path_of(page, live_server) in ("/accounts/2fa/setup/", "/accounts/2fa/verify/"):
        enter_totp(page, username)


def enter_totp(page: Any, username: str) -> None:
    """Type the current code of the user's authenticator, as the phone app would show it."""
    device = TOTPDevice.objects.get(user__username=username)
    # A code is accepted once, and a wrong one delays the next try: signing in again within
    # the same 30 s step takes the next step's code, which the server's tolerance accepts.
    now = TOTP(device.bin_key, step=device.step, t0=device.t0).t()
    offset = 1 if device.last_t >= now else 0
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=6, drift=offset)
    page.fill("#id_token", f"{token:06d}")
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()


def switch_language(page: Any, code: str) -> None:
    """Choose a language in the header's select, which submits its form on change."""
    with page.expect_navigation():
        page.select_option("#language", code)


def residents(code: str) -> int:
    """Persons alive living in the subtree of ``code``, straight from the database."""
    return Person.objects.filter(
        code_prefix_q("residence_orgunit_id", code), status=PersonStatus.ALIVE
    ).count()


def check_orgunit_page(page: Any, live_server: Any, unit: OrgUnit) -> None:
    """Breadcrumb, heading, resident count and children's table of one unit's page."""
    assert path_of(page, live_server) == f"/orgunits/{unit.code}/"
    ancestors = []
    parent = unit.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    crumb = page.locator("nav.breadcrumb")
    hrefs = crumb.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["/orgunits/"] + [f"/orgunits/{a.code}/" for a in ancestors]
    assert crumb.locator("a").all_inner_texts()[1:] == [a.name for a in ancestors]
    assert crumb.locator("span").last.inner_text() == unit.name
    heading = page.locator("h1").inner_text()
    assert unit.name in heading and unit.code in heading
    meta = page.locator("p.meta").inner_text()
    assert re.search(rf"(?<![\d-]){residents(unit.code)}(?![\d-])", meta), meta
    children = list(unit.children.order_by("code"))
    rows = page.locator("table.list tbody tr")
    if not children:
        assert rows.count() == 0
        return
    expected = [(c.code, c.name, str(residents(c.code))) for c in children]
    shown = [
        (
            row.locator("td").nth(0).inner_text(),
            row.locator("td").nth(1).inner_text(),
            row.locator("td").nth(3).inner_text(),
        )
        for row in rows.all()
    ]
    assert shown == expected


# --- the tests ------------------------------------------------------------------------------


def test_first_sign_in_changes_password_then_drills_down_to_a_village(
    page: Any, live_server: Any, artifacts: Path, county: None
) -> None:
    _, one_time = user_create_with_one_time_password(username="admin", actor="test", superuser=True)
    page.goto(live_server.url + "/")
    assert path_of(page, live_server).startswith("/accounts/login/?next=")
    assert html_lang(page) == "zh-hans"
    assert_styled(page)
    shot(page, artifacts, "01-login")

    page.fill("#id_username", "admin")
    page.fill("#id_password", one_time)
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()
    # Redirected to the overview, which sends a one-time password to the change form.
    assert path_of(page, live_server) == "/accounts/password/"
    for name in ("old_password", "new_password1", "new_password2"):
        assert page.locator(f"input[name={name}][type=password]").is_visible()
    assert_fits_phone(page)
    shot(page, artifacts, "02-password-change")

    # Going elsewhere first does not help: still the password form.
    page.goto(f"{live_server.url}/orgunits/")
    assert path_of(page, live_server) == "/accounts/password/"

    page.fill("input[name=old_password]", one_time)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()
    # An administrator then sets up the second factor: QR code and key, then a first code.
    assert path_of(page, live_server) == "/accounts/2fa/setup/"
    assert page.locator(".qr svg").is_visible()
    key = page.locator(".secret").inner_text()
    assert (
        key
        == TOTPDevice.objects.get(user__username="admin")
        .config_url.split("secret=")[1]
        .split("&")[0]
    )
    assert_fits_phone(page)
    shot(page, artifacts, "02b-second-factor")
    enter_totp(page, "admin")
    assert path_of(page, live_server) == "/"

    numbers = page.locator(".tile .num").all_inner_texts()
    alive = Person.objects.filter(status=PersonStatus.ALIVE).count()
    assert alive == Person.objects.count() - 1  # the small county: one of five has died
    assert numbers == [
        str(alive),
        str(Household.objects.count()),
        str(Event.objects.count()),
        str(OrgUnit.objects.count()),
    ]
    roots = list(OrgUnit.objects.filter(parent__isnull=True).order_by("code"))
    assert page.locator("ul.units a").all_inner_texts() == [u.name for u in roots]
    assert_fits_phone(page)
    shot(page, artifacts, "03-overview")

    # Province → prefecture → county → township → village, by clicking the links.
    village = OrgUnit.objects.get(code=VILLAGE_A1)
    trail = [village]
    while trail[0].parent is not None:
        trail.insert(0, trail[0].parent)
    assert [u.level for u in trail] == [1, 2, 3, 4, 5]
    with page.expect_navigation():
        page.locator("ul.units").get_by_role("link", name=trail[0].name, exact=True).click()
    check_orgunit_page(page, live_server, trail[0])
    for unit in trail[1:]:
        with page.expect_navigation():
            page.locator("table.list").get_by_role("link", name=unit.name, exact=True).click()
        check_orgunit_page(page, live_server, unit)
        assert_fits_phone(page)
        if unit.level == 4:
            shot(page, artifacts, "04-orgunit-township")
    shot(page, artifacts, "05-orgunit-village")

    # The breadcrumb leads back up.
    with page.expect_navigation():
        page.locator("nav.breadcrumb").get_by_role("link", name=trail[2].name).click()
    check_orgunit_page(page, live_server, trail[2])

    # The new password is the one that works now.
    page.context.clear_cookies()
    sign_in(page, live_server, "admin", NEW_PASSWORD)
    assert path_of(page, live_server) == "/"


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(
    page: Any, live_server: Any, artifacts: Path, clerk: Any
) -> None:
    sign_in(page, live_server, "clerk", "not-the-password-123")
    assert path_of(page, live_server) == "/accounts/login/"
    error = page.locator(".errors[role=alert]")
    assert error.is_visible() and error.inner_text().strip()
    assert page.locator("#id_username").input_value() == "clerk"
    assert page.locator("#id_password").input_value() == ""
    assert_fits_phone(page)
    shot(page, artifacts, "06-login-wrong-password")
    # Not signed in: the overview still sends to the login page.
    page.goto(live_server.url + "/")
    assert path_of(page, live_server).startswith("/accounts/login/")
    # The right password then works.
    sign_in(page, live_server, "clerk", CLERK_PASSWORD)
    assert path_of(page, live_server) == "/"


def test_language_switch_to_english_and_back(
    page: Any, live_server: Any, artifacts: Path, county: None, clerk: Any
) -> None:
    sign_in(page, live_server, "clerk", CLERK_PASSWORD)
    assert path_of(page, live_server) == "/"
    assert html_lang(page) == "zh-hans"
    assert page.locator("#language").input_value() == "zh-hans"

    switch_language(page, "en")
    assert path_of(page, live_server) == "/"
    assert html_lang(page) == "en"
    assert page.locator("#language").input_value() == "en"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Overview", exact=True).is_visible()
    assert nav.get_by_role("link", name="Org units", exact=True).is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator("h2").inner_text() == "Areas"
    labels = page.locator(".tile span:not(.num)").all_inner_texts()
    assert labels == [
        "persons in the register (alive)",
        "households",
        "events recorded",
        "org units",
    ]
    assert_fits_phone(page)
    shot(page, artifacts, "07-overview-en")

    # The choice sticks while browsing.
    with page.expect_navigation():
        page.locator("ul.units a").first.click()
    assert html_lang(page) == "en"
    assert page.locator("nav.breadcrumb a").first.inner_text() == "Org units"
    headers = page.locator("table.list th").all_text_contents()
    assert headers == ["Code", "Name", "Level", "Residents"]

    switch_language(page, "zh-hans")
    assert path_of(page, live_server).startswith("/orgunits/")
    assert html_lang(page) == "zh-hans"
    assert page.locator("#language").input_value() == "zh-hans"
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookie.get("django_language") == "zh-hans"

    # Signing out from English lands on the English login page.
    switch_language(page, "en")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert path_of(page, live_server) == "/accounts/login/"
    assert page.get_by_role("heading", name="Sign in").is_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_horizontal_scroll_on_a_phone(
    page: Any, live_server: Any, county: None, clerk: Any, language: str
) -> None:
    host = live_server.url.split("//")[1].split(":")[0]
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
    )
    page.goto(f"{live_server.url}/accounts/login/")
    assert html_lang(page) == language
    assert_fits_phone(page)
    sign_in(page, live_server, "clerk", CLERK_PASSWORD)
    urls = ["/", "/orgunits/", "/accounts/password/"]
    visible = restrict(OrgUnit.objects.all(), clerk).values_list("code", flat=True)
    urls += [f"/orgunits/{code}/" for code in visible]
    urls.append("/orgunits/33/")  # outside the clerk's county: the 404 page must fit too
    someone = Person.objects.get(person_ref="P1")
    urls += ["/persons/?q=zhang", f"/persons/{someone.pk}/", f"/households/{someone.household_id}/"]
    for url in urls:
        page.goto(live_server.url + url)
        assert path_of(page, live_server) == url
        assert_fits_phone(page)
        # The header's three parts (brand, menu, language and account) do not overlap.
        boxes = [page.locator(sel).bounding_box() for sel in (".brand", ".nav", ".account")]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                if a and b and a["width"] and b["width"]:
                    apart = (
                        a["x"] + a["width"] <= b["x"] + 0.5
                        or b["x"] + b["width"] <= a["x"] + 0.5
                        or a["y"] + a["height"] <= b["y"] + 0.5
                        or b["y"] + b["height"] <= a["y"] + 0.5
                    )
                    assert apart, (url, boxes)
