"""County users and administrators confirm every sign-in with a TOTP code."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from renkou.core.models import AuditLog
from tests.builders import COUNTY, VILLAGE_A1, user_with_role

pytestmark = pytest.mark.django_db
PASSWORD = "unused-Pass-2026"


def code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=6, drift=offset)
    return f"{value:06d}"


def test_county_user_sets_up_and_then_uses_a_second_factor(county: None, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = (
        0  # a wrong code otherwise delays the next try (tested below)
    )
    user = user_with_role("county", "county_admin", COUNTY)
    client = Client()
    client.post("/accounts/login/", {"username": "county", "password": PASSWORD})
    assert client.get("/")["Location"] == "/accounts/2fa/setup/"
    page = client.get("/accounts/2fa/setup/")
    assert "<svg" in page.content.decode() and page.context["secret"]
    device = TOTPDevice.objects.get(user=user)
    wrong = client.post(
        "/accounts/2fa/setup/", {"token": "000000" if code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert client.get("/").status_code == 302
    done = client.post("/accounts/2fa/setup/", {"token": code(device)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditLog.objects.filter(action="user.otp_setup", object_id=str(user.pk)).exists()

    later = Client()
    later.post("/accounts/login/", {"username": "county", "password": PASSWORD})
    assert later.get("/persons/")["Location"] == "/accounts/2fa/verify/"
    later.post("/accounts/2fa/verify/", {"token": "12345"})
    assert later.get("/persons/").status_code == 302
    device.refresh_from_db()
    later.post("/accounts/2fa/verify/", {"token": code(device, offset=1)})
    assert later.get("/persons/").status_code == 200


def test_village_reporter_needs_no_second_factor(county: None) -> None:
    user_with_role("rep", "reporter", VILLAGE_A1)
    client = Client()
    client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_service_staff_who_read_health_records_need_a_second_factor(county: None) -> None:
    user_with_role("nurse", "service_staff", VILLAGE_A1)
    client = Client()
    client.post("/accounts/login/", {"username": "nurse", "password": PASSWORD})
    assert client.get("/health/")["Location"] == "/accounts/2fa/setup/"


def test_wrong_codes_slow_down_guessing(county: None) -> None:
    user = user_with_role("county", "county_admin", COUNTY)
    client = Client()
    client.post("/accounts/login/", {"username": "county", "password": PASSWORD})
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=user)
    client.post(
        "/accounts/2fa/setup/", {"token": "000000" if code(device) != "000000" else "111111"}
    )
    throttled = client.post("/accounts/2fa/setup/", {"token": code(device)})
    assert throttled.status_code == 200  # even the right code waits after a wrong one
    assert client.get("/").status_code == 302


def test_a_throttled_code_says_so_and_when_to_try_again(county: None, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 30  # a wrong code makes the next try wait 30 s
    user = user_with_role("county", "county_admin", COUNTY)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.post("/accounts/login/", {"username": "county", "password": PASSWORD})
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=user)
    client.post(
        "/accounts/2fa/setup/", {"token": "000000" if code(device) != "000000" else "111111"}
    )
    device.refresh_from_db()
    page = client.post("/accounts/2fa/setup/", {"token": code(device)})
    text = " ".join(page.context["form"].errors["token"])
    seconds = [int(w) for w in text.replace("秒", " ").split() if w.isdigit()]
    assert "错误" in text and seconds and 25 <= seconds[0] <= 30, text
    assert client.get("/").status_code == 302  # still not signed in
