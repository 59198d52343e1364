"""Staff and roles without a shell: ``renkou user`` and the services behind it, with who may
do what to whom (renkou.core.staff)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import translation

from renkou.core import staff
from renkou.core.models import AuditLog, PasswordState, RoleAssignment
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, VILLAGE_B1

pytestmark = pytest.mark.django_db


def sign_in(**credentials: str):
    """The sign-in backends' answer (a user, or None), as for the sign-in page."""
    return authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("user", "--language", "en", *args, stdout=out)
    return out.getvalue()


def test_the_command_creates_a_reporter_who_must_choose_a_password(units):
    text = run("create", "li.cun", "--role", "reporter", "--unit", VILLAGE_A1)
    password = text.strip().rsplit(" ", 1)[-1]
    user = get_user_model().objects.get(username="li.cun")
    assert sign_in(username="li.cun", password=password) == user
    assert PasswordState.objects.get(user=user).must_change
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "orgunit_id")) == [
        ("reporter", VILLAGE_A1)
    ]
    assert {"user.create", "role.assign"} <= set(
        AuditLog.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)
    )
    listing = run("list", "--unit", TOWNSHIP_A)
    assert "li.cun\tactive" in listing and f"Village reporter@{VILLAGE_A1}" in listing


def test_a_county_administrator_staffs_only_their_county_and_below_their_rank(units):
    admin, _pw = staff.staff_create(username="xian", role="county_admin", code=COUNTY, actor="cli")
    stat, _pw = staff.staff_create(
        username="tong", role="statistician", code=TOWNSHIP_A, actor=admin
    )
    assert RoleAssignment.objects.filter(user=stat, orgunit_id=TOWNSHIP_A).exists()
    with pytest.raises(staff.StaffRefused):  # outside the county
        staff.staff_create(username="other", role="reporter", code="330127", actor=admin)
    with pytest.raises(staff.StaffRefused):  # above their own rank
        staff.staff_create(username="boss", role="sysadmin", code=COUNTY, actor=admin)
    with pytest.raises(staff.StaffRefused):  # a statistician manages nobody
        staff.staff_create(username="cun2", role="reporter", code=VILLAGE_A1, actor=stat)
    assert not get_user_model().objects.filter(username__in=["other", "boss", "cun2"]).exists()
    # a user whose roles reach outside the county is not theirs to change
    outsider, _pw = staff.staff_create(username="far", role="reporter", code="330127", actor="cli")
    with pytest.raises(staff.StaffRefused):
        staff.staff_password_reset(user=outsider, actor=admin)
    with pytest.raises(staff.StaffRefused):
        staff.staff_role_add(user=outsider, role="reporter", code=VILLAGE_B1, actor=admin)


def test_bad_input_is_refused_and_changes_nothing(units):
    run("create", "wang", "--role", "reporter", "--unit", VILLAGE_A1)
    before = (get_user_model().objects.count(), AuditLog.objects.count())
    with pytest.raises(CommandError, match="exists already"):
        run("create", "WANG", "--role", "reporter", "--unit", VILLAGE_B1)
    with pytest.raises(CommandError, match="no org unit has the code 999"):
        run("create", "zhao", "--role", "reporter", "--unit", "999")
    with pytest.raises(CommandError, match="no user is named nobody"):
        run("deactivate", "nobody")
    assert (get_user_model().objects.count(), AuditLog.objects.count()) == before


def test_deactivate_reactivate_and_reset(units, client):
    text = run("create", "zhou", "--role", "statistician", "--unit", TOWNSHIP_A)
    first = text.strip().rsplit(" ", 1)[-1]
    run("deactivate", "zhou")
    assert sign_in(username="zhou", password=first) is None  # cannot sign in
    user = get_user_model().objects.get(username="zhou")
    assert RoleAssignment.objects.filter(user=user).exists()  # keeps roles and history
    run("reactivate", "zhou")
    new = run("reset-password", "zhou").strip().rsplit(" ", 1)[-1]
    assert new != first
    assert sign_in(username="zhou", password=first) is None
    assert sign_in(username="zhou", password=new) is not None
    actions = list(AuditLog.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert {"user.deactivate", "user.reactivate", "user.password_reset"} <= set(actions)


@translation.override("en")
def test_nobody_deactivates_themselves_or_the_last_system_administrator(units):
    root = get_user_model().objects.create_superuser("root", password="unused-Pass-2026")
    admin, _pw = staff.staff_create(username="xian", role="county_admin", code=COUNTY, actor="cli")
    with pytest.raises(staff.StaffRefused, match="yourself"):
        staff.staff_set_active(user=admin, active=False, actor=admin)
    with pytest.raises(staff.StaffRefused, match="last system administrator"):
        staff.staff_set_active(user=root, active=False, actor="cli")
    with pytest.raises(staff.StaffRefused):  # a county administrator cannot touch root
        staff.staff_password_reset(user=root, actor=admin)
    assert get_user_model().objects.get(username="root").is_active


def test_the_command_speaks_chinese_by_default(units):
    out = io.StringIO()
    call_command("user", "--language", "zh-hans", "create", "chen", "--role", "reporter",
                 "--unit", VILLAGE_A1, stdout=out)  # fmt: skip
    assert out.getvalue().startswith("已创建 chen；一次性密码")
    with pytest.raises(CommandError, match="用户名 chen 已存在"):
        call_command("user", "--language", "zh-hans", "create", "chen", "--role", "reporter",
                     "--unit", VILLAGE_A1, stdout=io.StringIO())  # fmt: skip
