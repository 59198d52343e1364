"""The staff pages (/staff/): who opens them, whom they show, what they change, and that every
change is audited and every refusal changes nothing; deactivated users; own language."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from python_calamine import CalamineWorkbook

from renkou.api.tokens import token_create
from renkou.core import staff
from renkou.core.accounts import password_changed
from renkou.core.models import AuditLog, PasswordState, RoleAssignment, UserProfile
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    login_as,
    user_with_role,
)
from tests.core.conftest import OTHER_COUNTY

pytestmark = pytest.mark.django_db

PASSWORD = "Fuchun-river-ledger-7"


@pytest.fixture
def admin(units):
    """The county administrator of the county, signed in (Chinese pages)."""
    user = user_with_role("xian", "county_admin", COUNTY)
    return user


def client_of(user, language: str = "zh-hans") -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE=language), user)


def audit_count() -> int:
    return AuditLog.objects.count()


def shown_password(html: str) -> str:
    match = re.search(r'id="one-time-password">([A-Za-z0-9]+)<', html)
    assert match, html[:2000]
    return match.group(1)


def sign_in(client: Client, username: str, password: str):
    """The sign-in form, as a browser submits it."""
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_only_system_and_county_administrators_open_the_staff_pages(units):
    target = user_with_role("cun", "reporter", VILLAGE_A1)
    for role, code in [
        ("reporter", VILLAGE_A1),
        ("statistician", TOWNSHIP_A),
        ("auditor", COUNTY),
    ]:
        client = client_of(user_with_role(f"u-{role}", role, code))
        for url in ("/staff/", "/staff/new/", f"/staff/users/{target.pk}/", "/staff/users.xlsx"):
            assert client.get(url).status_code == 403, (role, url)
        assert client.post(f"/staff/users/{target.pk}/deactivate/").status_code == 403
    assert Client().get("/staff/").status_code == 302
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    assert client_of(root).get("/staff/").status_code == 200
    admin = user_with_role("xian", "county_admin", COUNTY)
    page = client_of(admin).get("/")
    assert 'href="/staff/"' in page.content.decode() and "用户管理" in page.content.decode()
    reporter_home = client_of(target).get("/").content.decode()
    assert 'href="/staff/"' not in reporter_home
    assert get_user_model().objects.get(pk=target.pk).is_active


def test_a_county_administrator_sees_only_users_whose_roles_lie_in_the_county(
    admin, django_assert_max_num_queries
):
    inside = [user_with_role(f"cun{i:02d}", "reporter", VILLAGE_A1) for i in range(55)]
    stat_b = user_with_role("tong-b", "statistician", TOWNSHIP_B)
    outsider = user_with_role("far", "reporter", OTHER_COUNTY)
    both = user_with_role("both", "reporter", VILLAGE_A2)
    RoleAssignment.objects.create(user=both, role="reporter", orgunit_id=OTHER_COUNTY)
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = client_of(admin)
    expected = sorted([u.username for u in [*inside, stat_b, admin]])
    with django_assert_max_num_queries(14):
        first = client.get("/staff/")
    names = re.findall(r'href="/staff/users/\d+/">([^<]+)</a>', first.content.decode())
    assert names == expected[:50]
    second = client.get("/staff/?page=2")
    names2 = re.findall(r'href="/staff/users/\d+/">([^<]+)</a>', second.content.decode())
    assert names2 == expected[50:]
    for hidden in (outsider, both):
        assert client.get(f"/staff/users/{hidden.pk}/").status_code == 404
    # filters: by unit (subtree) and by role
    by_unit = client.get(f"/staff/?unit={TOWNSHIP_B}").content.decode()
    assert re.findall(r'href="/staff/users/\d+/">([^<]+)</a>', by_unit) == ["tong-b"]
    by_role = client.get("/staff/?role=county_admin").content.decode()
    assert re.findall(r'href="/staff/users/\d+/">([^<]+)</a>', by_role) == ["xian"]
    staff.staff_set_active(user=stat_b, active=False, actor="cli")
    off = client.get("/staff/?state=deactivated").content.decode()
    assert re.findall(r'href="/staff/users/\d+/">([^<]+)</a>', off) == ["tong-b"]
    assert "已停用" in off


def test_the_list_exports_as_xlsx_with_an_audit_row(admin):
    user_with_role("tong", "statistician", TOWNSHIP_A)
    user_with_role("far", "reporter", OTHER_COUNTY)
    before = audit_count()
    response = client_of(admin).get(f"/staff/users.xlsx?unit={TOWNSHIP_A}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0] == ["用户名", "角色", "上次登录", "状态", "示范用户"]
    assert [r[0] for r in rows[1:]] == ["tong"]
    assert rows[1][1] == f"乡镇统计员 甲镇 {TOWNSHIP_A}" and rows[1][3] == "在用"
    row = AuditLog.objects.get(action="staff.export")
    assert audit_count() == before + 1
    assert row.actor_label == "xian" and row.after["rows"] == 1


def test_creating_a_user_shows_the_one_time_password_once(admin):
    client = client_of(admin)
    form = client.get("/staff/new/").content.decode()
    # the unit list is the administrator's county; no role above their own
    assert f'value="{VILLAGE_B1}"' in form and f'value="{OTHER_COUNTY}"' not in form
    assert 'value="sysadmin"' not in form and 'value="county_admin"' in form
    before = audit_count()
    response = client.post(
        "/staff/new/",
        {"username": "li.cun", "role": "reporter", "unit": VILLAGE_A1, "language": "en"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = shown_password(response.content.decode())
    user = get_user_model().objects.get(username="li.cun")
    assert PasswordState.objects.get(user=user).must_change
    assert UserProfile.objects.get(user=user).language == "en"
    actions = list(
        AuditLog.objects.filter(id__gt=0).order_by("id").values_list("action", flat=True)
    )
    assert actions[-3:] == ["user.create", "role.assign", "user.language"]
    assert audit_count() == before + 3
    # the user's page and the list never show it again
    for url in (f"/staff/users/{user.pk}/", "/staff/"):
        assert password not in client.get(url).content.decode()
    # the reporter signs in with it and must choose a password first
    reporter = Client()
    assert sign_in(reporter, "li.cun", password)["Location"] == "/"
    assert reporter.get("/")["Location"] == "/accounts/password/"


def test_refusals_show_a_message_in_the_pages_language_and_change_nothing(admin):
    user_with_role("wang", "reporter", VILLAGE_A1)
    client = client_of(admin)
    before = (get_user_model().objects.count(), audit_count(), RoleAssignment.objects.count())
    cases = [
        ({"username": "WANG", "role": "reporter", "unit": VILLAGE_A2}, "用户名 WANG 已存在"),
        ({"username": "zhao", "role": "reporter", "unit": OTHER_COUNTY}, "选择一个有效的选项"),
        ({"username": "zhao", "role": "reporter", "unit": "999"}, "选择一个有效的选项"),
        ({"username": "zhao", "role": "sysadmin", "unit": COUNTY}, "选择一个有效的选项"),
        ({"username": "", "role": "reporter", "unit": VILLAGE_A1}, "该字段是必填项"),
    ]
    for body, message in cases:
        response = client.post("/staff/new/", body)
        assert response.status_code == 200
        assert message in response.content.decode(), body
        assert 'id="one-time-password"' not in response.content.decode()
    english = client_of(admin, "en")
    english.cookies["django_language"] = "en"
    text = english.post(
        "/staff/new/", {"username": "wang", "role": "reporter", "unit": VILLAGE_A1}
    ).content.decode()
    assert "a user named wang exists already" in text
    # deactivating oneself
    response = client.post(f"/staff/users/{admin.pk}/deactivate/", follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    assert get_user_model().objects.get(pk=admin.pk).is_active
    after = (get_user_model().objects.count(), audit_count(), RoleAssignment.objects.count())
    assert after == before


def test_roles_are_given_taken_and_moved_each_with_one_audit_row(admin):
    stat = user_with_role("tong", "statistician", TOWNSHIP_A)
    client = client_of(admin)
    url = f"/staff/users/{stat.pk}/"
    before = audit_count()
    assert (
        client.post(url + "roles/add/", {"role": "reporter", "unit": VILLAGE_A1}).status_code == 302
    )
    assert audit_count() == before + 1
    held = set(RoleAssignment.objects.filter(user=stat).values_list("role", "orgunit_id"))
    assert held == {("statistician", TOWNSHIP_A), ("reporter", VILLAGE_A1)}
    # moving the township's role to township B: one transaction, one row
    response = client.post(url + "move/", {"from": TOWNSHIP_A, "to": TOWNSHIP_B}, follow=True)
    assert "已调动" in response.content.decode()
    held = set(RoleAssignment.objects.filter(user=stat).values_list("role", "orgunit_id"))
    assert held == {("statistician", TOWNSHIP_B), ("reporter", VILLAGE_A1)}
    move = AuditLog.objects.order_by("-id").first()
    assert move.action == "user.move" and move.after == {
        "orgunit": TOWNSHIP_B,
        "roles": ["statistician"],
    }
    assert audit_count() == before + 2
    # revoking asks first: the question changes nothing
    ask = client.get(url + f"roles/revoke/?role=reporter&unit={VILLAGE_A1}")
    assert ask.status_code == 200 and "请确认" in ask.content.decode()
    assert RoleAssignment.objects.filter(user=stat).count() == 2
    client.post(url + "roles/revoke/", {"role": "reporter", "unit": VILLAGE_A1})
    assert list(RoleAssignment.objects.filter(user=stat).values_list("role", flat=True)) == [
        "statistician"
    ]
    assert audit_count() == before + 3
    # the last role stays (a leaver is deactivated), outside the area is refused
    last = client.post(
        url + "roles/revoke/", {"role": "statistician", "unit": TOWNSHIP_B}, follow=True
    )
    assert "将不再有任何角色" in last.content.decode()
    refused = client.post(url + "move/", {"from": TOWNSHIP_B, "to": OTHER_COUNTY}, follow=True)
    assert "您无权" in refused.content.decode()
    assert audit_count() == before + 3
    assert RoleAssignment.objects.filter(user=stat, orgunit_id=TOWNSHIP_B).exists()


def test_the_last_system_administrator_keeps_the_role(units):
    boss = user_with_role("boss", "sysadmin", "33")
    client = client_of(boss)
    RoleAssignment.objects.create(user=boss, role="county_admin", orgunit_id=COUNTY)
    response = client.post(
        f"/staff/users/{boss.pk}/roles/revoke/", {"role": "sysadmin", "unit": "33"}, follow=True
    )
    assert "最后一名系统管理员的角色不能撤销" in response.content.decode()
    assert RoleAssignment.objects.filter(user=boss, role="sysadmin").exists()


def test_password_and_second_factor_resets(admin):
    stat = user_with_role("tong", "county_admin", COUNTY)
    TOTPDevice.objects.create(user=stat, name="phone", confirmed=True)
    client = client_of(admin)
    url = f"/staff/users/{stat.pk}/"
    assert "请确认" in client.get(url + "password/").content.decode()
    assert get_user_model().objects.get(pk=stat.pk).check_password("unused-Pass-2026")
    response = client.post(url + "password/")
    password = shown_password(response.content.decode())
    assert response["Cache-Control"] == "no-store"
    assert not get_user_model().objects.get(pk=stat.pk).check_password("unused-Pass-2026")
    assert PasswordState.objects.get(user=stat).must_change
    assert password not in client.get(url).content.decode()
    # the second factor: forgotten; the next sign-in links a new authenticator
    assert "请确认" in client.get(url + "second-factor/").content.decode()
    assert TOTPDevice.objects.filter(user=stat).exists()
    client.post(url + "second-factor/")
    assert not TOTPDevice.objects.filter(user=stat).exists()
    assert AuditLog.objects.filter(action="user.otp_reset", object_id=str(stat.pk)).count() == 1
    PasswordState.objects.filter(user=stat).update(must_change=False)
    them = Client()
    sign_in(them, "tong", password)
    assert them.get("/")["Location"] == "/accounts/2fa/setup/"


def test_a_deactivated_user_cannot_sign_in_or_use_a_token_and_keeps_their_history(admin):
    cun = get_user_model().objects.create_user("cun", password=PASSWORD)
    RoleAssignment.objects.create(user=cun, role="reporter", orgunit_id=VILLAGE_A1)
    token = token_create(user=cun, name="phone", actor="test")
    session = Client()
    assert sign_in(session, "cun", PASSWORD).status_code == 302
    assert session.get("/").status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/persons/").status_code == 200
    history = AuditLog.objects.filter(actor=cun).count()
    client = client_of(admin)
    url = f"/staff/users/{cun.pk}/"
    assert "请确认" in client.get(url + "deactivate/").content.decode()
    assert get_user_model().objects.get(pk=cun.pk).is_active
    client.post(url + "deactivate/")
    assert not get_user_model().objects.get(pk=cun.pk).is_active
    assert session.get("/")["Location"].startswith("/accounts/login/")  # signed out
    refused = sign_in(Client(), "cun", PASSWORD)
    assert refused.status_code == 200 and "/accounts/login/" in refused.request["PATH_INFO"]
    assert api.get("/api/persons/").status_code == 401
    assert AuditLog.objects.filter(actor=cun).count() == history
    assert RoleAssignment.objects.filter(user=cun).exists()
    assert "已停用" in client.get("/staff/").content.decode()
    client.post(url + "reactivate/")
    assert sign_in(Client(), "cun", PASSWORD).status_code == 302
    assert api.get("/api/persons/").status_code == 200
    actions = AuditLog.objects.filter(object_type="user", object_id=str(cun.pk))
    assert {"user.deactivate", "user.reactivate"} <= set(actions.values_list("action", flat=True))


def test_a_county_administrator_cannot_change_a_user_above_them(admin):
    boss = user_with_role("boss", "sysadmin", COUNTY)
    client = client_of(admin)
    page = client.get(f"/staff/users/{boss.pk}/").content.decode()
    assert "您无权修改该用户" in page
    before = audit_count()
    client.post(f"/staff/users/{boss.pk}/deactivate/")
    client.post(f"/staff/users/{boss.pk}/password/")
    assert get_user_model().objects.get(pk=boss.pk).is_active
    assert audit_count() == before


def test_the_users_language_is_kept_and_given_back_at_sign_in(units):
    cun = get_user_model().objects.create_user("cun", password=PASSWORD)
    RoleAssignment.objects.create(user=cun, role="reporter", orgunit_id=VILLAGE_A1)
    browser = Client()
    sign_in(browser, "cun", PASSWORD)
    assert browser.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert UserProfile.objects.get(user=cun).language == "en"
    assert AuditLog.objects.filter(action="user.language", actor=cun).count() == 1
    # another browser (Chinese by default) signs in: the pages open in English
    other = Client()
    assert '<html lang="zh-hans">' in other.get("/accounts/login/").content.decode()
    response = sign_in(other, "cun", PASSWORD)
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in other.get("/").content.decode()
    # switching anonymously stores nothing
    Client().post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert UserProfile.objects.get(user=cun).language == "en"


def test_the_command_sets_the_language_and_removes_demo_users(units):
    out = io.StringIO()
    call_command("user", "create", "li", "--role", "reporter", "--unit", VILLAGE_A1,
                 "--language", "en", stdout=out)  # fmt: skip
    assert UserProfile.objects.get(user__username="li").language == "en"
    made = staff.staff_demo_create(county=COUNTY, actor="init")
    assert [(u.username, role, unit.code) for u, role, unit, _pw in made] == [
        ("demo.reporter", "reporter", VILLAGE_A1),
        ("demo.statistician", "statistician", TOWNSHIP_A),
        ("demo.county", "county_admin", COUNTY),
        ("demo.auditor", "auditor", COUNTY),
        ("demo.service", "service_staff", TOWNSHIP_A),
    ]
    assert staff.staff_demo_create(county=COUNTY, actor="init") == []  # no second set
    # the demo statistician has worked: kept (deactivated), the others go
    password_changed(user=get_user_model().objects.get(username="demo.statistician"))
    rows = audit_count()
    out = io.StringIO()
    call_command("user", "--language", "en", "demo", "--remove", stdout=out)
    text = out.getvalue()
    assert "removed demo.reporter" in text and "deactivated demo.statistician" in text
    left = get_user_model().objects.filter(username__startswith="demo.")
    assert [(u.username, u.is_active) for u in left] == [("demo.statistician", False)]
    assert AuditLog.objects.filter(action="user.delete").count() == 4
    assert audit_count() == rows + 5  # four removals, one deactivation; nothing lost
