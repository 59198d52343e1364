"""The plain web app: sign-in required, one-time password, overview and org-unit pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkou.core.accounts import user_create_with_one_time_password
from renkou.core.models import AuditLog
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    VILLAGE_A1,
    client_as,
    login_as,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, county: None) -> Client:
    login_as(client, user_with_role("county", "county_admin", COUNTY))
    return client


@pytest.mark.parametrize("url", ["/", "/orgunits/", f"/orgunits/{COUNTY}/"])
def test_pages_need_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_one_time_password_must_be_changed_first(client: Client) -> None:
    user, password = user_create_with_one_time_password(username="admin", actor="t", superuser=True)
    response = client.post("/accounts/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password/"
    weak = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200 and weak.context["form"].errors
    strong = "Township-ledger-2026"
    done = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": strong, "new_password2": strong},
    )
    assert done.status_code == 302
    assert client.get("/")["Location"] == "/accounts/2fa/setup/"  # an administrator's next step
    assert AuditLog.objects.filter(action="user.password_change", object_id=str(user.pk)).exists()


def test_overview_counts_the_register(county: None, signed_in: Client) -> None:
    response = signed_in.get("/")
    assert response.status_code == 200
    assert response.context["persons_alive"] == 4  # five loaded, one dead
    assert response.context["households"] == 2
    assert [u.code for u in response.context["roots"]] == [COUNTY]


def test_orgunit_page_counts_residents_per_child_in_constant_queries(
    county: None, signed_in: Client
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(f"/orgunits/{TOWNSHIP_A}/")
    assert response.status_code == 200
    residents = {c.code: c.residents for c in response.context["children"]}
    assert residents == {VILLAGE_A1: 4, VILLAGE_A1[:-1] + "2": 0}
    assert [(a.code, v) for a, v in response.context["ancestors"]] == [
        ("33", False),
        ("3301", False),
        (COUNTY, True),
    ]
    # session, user, OTP device, password flag, role assignments, unit, children, counts,
    # ancestors, the header's unread notifications: a fixed number, whatever the number
    # of children
    assert len(queries) <= 13
    assert signed_in.get("/orgunits/999999/").status_code == 404


def test_security_headers_and_health(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "onchange=" not in response.content.decode()  # no inline script the CSP would block
    assert client.get("/healthz").content == b"ok"


def test_default_language_is_chinese_and_english_is_complete(client: Client) -> None:
    zh = client.get("/accounts/login/")
    assert '<html lang="zh-hans">' in zh.content.decode()
    assert "登录" in zh.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    en = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in en and "Sign in" in en


def test_repeated_failed_sign_ins_lock_the_account_out(client: Client) -> None:
    _user, password = user_create_with_one_time_password(username="clerk", actor="t")
    for _ in range(5):
        failed = client.post("/accounts/login/", {"username": "clerk", "password": "wrong-one-123"})
        assert failed.status_code in (200, 429)
    locked = client.post("/accounts/login/", {"username": "clerk", "password": password})
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode() or "locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_is_renewed_at_most_once_a_minute(signed_in: Client) -> None:
    signed_in.get("/")
    first = signed_in.session["_touched"]
    signed_in.get("/")
    assert signed_in.session["_touched"] == first  # no write for a request within the minute
    session = signed_in.session
    session["_touched"] = first - 61
    session.save()
    signed_in.get("/")
    assert signed_in.session["_touched"] > first - 61


def test_a_reporter_menu_holds_only_what_a_reporter_uses(county: None) -> None:
    """The reporter's menu: overview, change reports, the month's empty report, persons; a
    statistician's the office pages; the pages left out stay open by address."""

    def menu(client: Client) -> list[str]:
        html = client.get("/").content.decode()
        nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
        return [part.split('"', 1)[0] for part in nav.split('href="')[1:]]

    reporter = client_as("reporter", VILLAGE_A1)
    assert menu(reporter) == ["/", "/changes/", "/quality/empty-report/", "/persons/"]
    assert reporter.get("/statistics/").status_code == 200
    statistician = client_as("statistician", TOWNSHIP_A, name="s")
    shown = menu(statistician)
    assert {"/statistics/", "/quality/", "/exchange/", "/orgunits/", "/reports/"} <= set(shown)
    assert "/quality/empty-report/" not in shown and "/staff/" not in shown
