"""The case pages: register (once), the case page and its actions, the overview, the
dashboard's rates; Chinese by default, English when chosen."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from renkou.cases.models import Case
from renkou.core.models import AuditLog
from tests.builders import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, login_as
from tests.cases.build import register

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
# English words of the case pages that a Chinese page must not show
ENGLISH = re.compile(
    r"\b(Register a case|Petition|Accept by|Answer by|overdue|Handled by|Worklist|Rates|"
    r"Satisf|Channel|Category|Request|Telephone|Reply|Day received|Cases received)\b"
)


def text_of(html: str) -> str:
    """The words a reader sees: tags, scripts and attribute values left out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def client(user: Any, language: str = "") -> Client:
    c = login_as(Client(), user)
    if language:
        c.post("/i18n/setlang/", {"language": language, "next": "/"})
    return c


def form(**kw: Any) -> dict[str, Any]:
    data = {
        "token": uuid.uuid4().hex,
        "channel": "visit",
        "received_on": TODAY.isoformat(),
        "category": "certificates",
        "orgunit": VILLAGE_A1,
        "petitioner_name": "李四",
        "petitioner_phone": "13912345678",
        "request": "咨询独生子女父母光荣证补办",
    }
    data.update(kw)
    return data


def test_the_form_registers_one_case_however_often_it_is_sent(staff: dict[str, Any]) -> None:
    c = client(staff["stat_a"])
    page = c.get(f"/cases/new/?unit={VILLAGE_A1}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "登记信访件" in html and "举报" in html  # says what it declines
    assert not ENGLISH.search(text_of(html)), ENGLISH.search(text_of(html))
    # no category a family could be reported under
    assert 'value="birth' not in html
    # the date input is filled with today in the form a browser's date input reads
    assert f'type="date" name="received_on" value="{TODAY.isoformat()}"' in html
    data = form()
    first = c.post("/cases/new/", data)
    second = c.post("/cases/new/", data)  # a double click
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/{case.pk}/"


def test_bad_input_comes_back_naming_the_field_in_chinese(staff: dict[str, Any]) -> None:
    c = client(staff["stat_a"])
    response = c.post("/cases/new/", form(petitioner_phone="打给我"))
    assert response.status_code == 200
    assert "联系电话：打给我 不是电话号码" in response.content.decode()
    tomorrow = TODAY + datetime.timedelta(days=1)
    response = c.post("/cases/new/", form(received_on=tomorrow.isoformat()))
    assert f"收到日期：{tomorrow.isoformat()} 晚于今天。" in response.content.decode()
    # a unit outside the officer's area is not among the choices
    response = c.post("/cases/new/", form(orgunit="330122101201"))
    assert response.status_code == 200 and "330122101201" not in str(
        response.context["form"].fields["orgunit"].choices
    )
    assert Case.objects.count() == 0
    en = client(staff["stat_a2"], "en").post("/cases/new/", form(petitioner_phone="call me"))
    assert "Telephone: call me is not a telephone number" in en.content.decode()


def test_the_case_page_masks_the_petitioner_until_shown_with_a_reason(
    staff: dict[str, Any],
) -> None:
    case = register(staff["stat_a"], received_on=TODAY, today=TODAY)
    c = client(staff["stat_a"])
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert "王*明" in html and "王大明" not in html and "13800138000" not in html
    assert not ENGLISH.search(text_of(html)), ENGLISH.search(text_of(html))
    assert AuditLog.objects.filter(action="cases.case.viewed", object_id=str(case.pk)).exists()
    refused = c.post(f"/cases/{case.pk}/petitioner/", {"reason": ""}).content.decode()
    assert "请说明需要查看信访人信息的理由" in refused
    shown = c.post(f"/cases/{case.pk}/petitioner/", {"reason": "回访"}).content.decode()
    assert "王大明" in shown and "13800138000" in shown
    assert AuditLog.objects.get(action="cases.petitioner.unmask").reason == "回访"
    # an auditor reads the case, masked, and may not unmask
    auditor = client(staff["auditor"])
    assert auditor.get(f"/cases/{case.pk}/").status_code == 200
    assert auditor.post(f"/cases/{case.pk}/petitioner/", {"reason": "x"}).status_code == 403
    # another township's officer does not find it
    assert client(staff["stat_b"]).get(f"/cases/{case.pk}/").status_code == 404


def test_accept_assign_record_and_close_from_the_case_page(staff: dict[str, Any]) -> None:
    case = register(staff["stat_a"], received_on=TODAY, today=TODAY)
    c = client(staff["stat_a"])
    day = TODAY.isoformat()
    assert c.post(f"/cases/{case.pk}/accept/", {"accepted_on": day}).status_code == 302
    # outside the area: refused with the reason, nothing changed
    out = c.post(
        f"/cases/{case.pk}/assign/", {"handler": f"{TOWNSHIP_B}:{staff['stat_b'].pk}"}, follow=True
    )
    assert "不在您的管辖范围内" in out.content.decode()
    case.refresh_from_db()
    assert case.assignee_id is None
    c.post(f"/cases/{case.pk}/assign/", {"handler": f"{TOWNSHIP_A}:{staff['stat_a2'].pk}"})
    case.refresh_from_db()
    assert case.assignee_id == staff["stat_a2"].pk
    handler = client(staff["stat_a2"])
    handler.post(f"/cases/{case.pk}/steps/", {"on": day, "text": "电话联系信访人"})
    too_long = c.post(f"/cases/{case.pk}/extend/", {"days": "31", "reason": "复杂"}, follow=True)
    assert "延期天数：此信访件可延期 1 至 30 日" in too_long.content.decode()
    extended = c.post(f"/cases/{case.pk}/extend/", {"days": "10", "reason": "复杂"}, follow=True)
    assert "已延期 10 日" in extended.content.decode()
    case.refresh_from_db()
    assert case.answer_due == TODAY + datetime.timedelta(days=70)
    closed = c.post(
        f"/cases/{case.pk}/close/",
        {"reply": "已告知补办流程", "closed_on": day, "satisfaction": "satisfied"},
        follow=True,
    )
    html = closed.content.decode()
    assert "已办结" in html and "电话联系信访人" in html and "满意" in html
    case.refresh_from_db()
    assert case.status == "closed"


def test_the_overview_shows_the_worklist_and_the_rates_and_so_does_the_dashboard(
    staff: dict[str, Any],
) -> None:
    officer = staff["stat_a"]
    year = TODAY.year
    start = datetime.date(year, 1, 1)
    open_case = register(officer, received_on=start, today=TODAY)  # not accepted
    done = register(officer, received_on=start, today=TODAY)
    from renkou.cases import services

    services.case_accept(case=done, accepted_on=start, actor=officer, today=TODAY)
    services.case_close(
        case=done, reply="ok", closed_on=start, satisfaction="basic", actor=officer, today=TODAY
    )
    c = client(officer)
    page = c.get(f"/cases/area/{TOWNSHIP_A}/?period={year}&tab=new")
    assert page.status_code == 200
    # the deadlines in force are on the page, once, and not inside its <title>
    html = page.content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "<details" not in title and html.count('<details class="rules">') == 1
    assert [x.pk for x in page.context["cases"]] == [open_case.pk]
    rates = {r["key"]: (r["numerator"], r["denominator"]) for r in page.context["rates"]}
    # by hand: 2 received; 1 accepted on time, closed, closed on time; 1 of 1 satisfied
    assert rates == {
        "accepted_on_time": (1, 2),
        "closed": (1, 2),
        "closed_on_time": (1, 2),
        "satisfaction": (1, 1),
    }
    rules = {str(label): (r.accept_days, r.answer_days) for label, r in page.context["rules"]}
    assert rules["来信"] == rules["来访"] == rules["网上信访"] == (15, 60)
    assert rules["12356 热线"] == rules["电话咨询"] == (1, 5)
    html = page.content.decode()
    assert "按期受理率" in html and "50.0 %" in html and "现行办理期限" in html
    assert not ENGLISH.search(text_of(html)), ENGLISH.search(text_of(html))
    closed = c.get(f"/cases/area/{TOWNSHIP_A}/?period={year}&tab=closed")
    assert [x.pk for x in closed.context["cases"]] == [done.pk]
    bad = c.get(f"/cases/area/{TOWNSHIP_A}/?period=someday")
    assert bad.status_code == 400
    dashboard = c.get(f"/statistics/{TOWNSHIP_A}/?period={year}").content.decode()
    assert 'id="cases"' in dashboard and "按期办结率" in dashboard and "50.0 %" in dashboard
    en = client(staff["admin"], "en").get(f"/cases/area/{TOWNSHIP_A}/?period={year}")
    assert "Accepted on time" in en.content.decode()


def test_the_overview_takes_as_many_queries_for_many_cases_as_for_few(
    staff: dict[str, Any],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from renkou.cases import services
    from tests.builders import VILLAGE_A2

    officer = staff["stat_a"]
    c = client(officer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert c.get(f"/cases/area/{TOWNSHIP_A}/?tab=in_progress").status_code == 200
        return len(captured)

    def some(n: int) -> None:
        for i in range(n):
            case = register(officer, unit=VILLAGE_A2 if i % 2 else VILLAGE_A1, today=TODAY)
            services.case_accept(case=case, accepted_on=case.received_on, actor=officer)
            if case.orgunit_id == VILLAGE_A1:
                services.case_assign(
                    case=case, unit=case.orgunit, assignee=staff["rep_a1"], actor=officer
                )

    some(2)
    queries()  # the session's first request does more (its renewal, the second factor)
    few = queries()
    some(8)
    assert queries() == few
