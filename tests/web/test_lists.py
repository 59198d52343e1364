"""The shared list helper (renkou.web.lists) on its pages: numbered pages that keep the
filters, the xlsx export of exactly the filtered list, audited, text that stays text and
identity numbers that stay masked; readable labels; one-line 403s; jobs' users."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from python_calamine import CalamineWorkbook

from renkou.core.audit import audit_record
from renkou.core.audit_labels import action_label, object_label
from renkou.core.jobs import job_run
from renkou.core.models import AuditLog, Job
from renkou.quality.bulk import quality_run
from renkou.quality.models import Finding
from renkou.quality.rule_names import RULE_NAMES
from renkou.quality.rules import RULES
from tests.builders import COUNTY, VILLAGE_A1, VILLAGE_A2, client_as, id_number
from tests.quality.cases import person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def sheet(response: Any) -> list[list[Any]]:
    """The rows of an xlsx download (header first)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


def test_pages_keep_the_filters_and_number_every_page(county: None) -> None:
    for i in range(230):
        audit_record(actor="x", action="person.view", object_type="person", object_id=i)
    for i in range(30):
        audit_record(actor="x", action="household.view", object_type="household", object_id=i)
    auditor = client_as("auditor", COUNTY, "aud")
    first = auditor.get("/audit/", {"action": "person.view"})
    page = first.context["page"]
    assert (page.total, page.pages, page.number) == (230, 3, 1)
    html = first.content.decode()
    # every link of the pager carries the filter along with the page number
    links = re.findall(r'href="\?([^"]*page=\d+)"', html)
    assert links and all("action=person.view" in link for link in links)
    assert "action=person.view&amp;export=xlsx" in html
    third = auditor.get("/audit/", {"action": "person.view", "page": "3"})
    rows = third.context["rows"]
    expected = list(
        AuditLog.objects.filter(action="person.view").order_by("-id").values_list("id", flat=True)
    )[200:]
    assert [r.id for r in rows] == expected and len(rows) == 30
    # a page past the end shows the last one; nonsense shows the first
    assert (
        auditor.get("/audit/", {"action": "person.view", "page": "99"}).context["page"].number == 3
    )
    assert auditor.get("/audit/", {"page": "x"}).context["page"].number == 1


def test_the_audit_export_holds_exactly_the_filtered_rows_and_is_audited(county: None) -> None:
    number = id_number("1980-01-01", 11)
    for i in range(12):
        audit_record(actor="x", action="person.view", object_type="person", object_id=i)
    audit_record(actor="x", action="person.unmask", object_type="person", object_id=1)
    tricky = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", f"number {number} shown"]
    for reason in tricky:
        audit_record(
            actor="x", action="person.view", object_type="person", object_id=99, reason=reason
        )
    auditor = client_as("auditor", COUNTY, "aud")
    response = auditor.get(
        "/audit/", {"action": "person.view", "since": "2000-01-01", "export": "xlsx"}
    )
    rows = sheet(response)
    header, body = rows[0], rows[1:]
    truth = list(
        AuditLog.objects.filter(action="person.view", actor_label="x")
        .order_by("-id")
        .values_list("object_id", "reason")
    )
    oid, reason = header.index("对象编号"), header.index("原因")
    assert [(str(r[oid]), r[reason]) for r in body] == [
        (o, r.replace(number, number[:6] + "********" + number[-4:])) for o, r in truth
    ]
    assert len(body) == 17
    assert all(r[header.index("操作")] == "查看人员页面" for r in body)
    # formula-like text is stored as text: no formula in the sheet at all
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        shared = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    for text in tricky[:4]:
        assert f">{text}<" in shared
    assert number not in shared  # the identity number is masked
    exported = AuditLog.objects.filter(action="list.export").get()
    assert exported.actor_label == "aud" and exported.object_type == "audit"
    assert exported.after["filters"] == {"action": "person.view", "since": "2000-01-01"}
    assert exported.after["rows"] == 17


@pytest.fixture
def flagged(county: None) -> list[Any]:
    people = [person(f"甲村{i:02d}", "M", "1970-01-01", ethnicity="") for i in range(60)]
    people.append(
        person(
            "乙村缺族",
            "F",
            "1970-01-01",
            ethnicity="",
            residence_orgunit_id=VILLAGE_A2,
            hukou_orgunit_id=VILLAGE_A2,
        )
    )
    people.append(person("=HYPERLINK(1)", "M", "1971-01-01", ethnicity=""))
    quality_run(actor="test")
    return people


def test_the_findings_export_equals_the_filtered_list(flagged: list[Any]) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "r1")
    filters = {"rule": "Q-REQ-ETHNICITY", "unit": VILLAGE_A1}
    response = reporter.get("/quality/findings/", {**filters, "export": "xlsx"})
    rows = sheet(response)
    header, body = rows[0], rows[1:]
    truth = sorted(
        Finding.objects.filter(rule="Q-REQ-ETHNICITY", unit__startswith=VILLAGE_A1)
        .order_by("-id")
        .values_list("person__name", "person__id_number_masked")
    )
    name, number = header.index("姓名"), header.index("公民身份号码")
    assert sorted((r[name], r[number]) for r in body) == truth
    assert len(body) == 61 and "乙村缺族" not in {r[name] for r in body}  # other village
    assert {r[header.index("规则")] for r in body} == {"民族未填写"}
    assert "=HYPERLINK(1)" in {r[name] for r in body}
    assert all("*" in r[number] for r in body)
    exported = AuditLog.objects.get(action="list.export")
    assert exported.object_type == "findings" and exported.after["filters"] == filters
    # the page itself: numbered pages of 100 with the filters kept, rule names not codes
    page = reporter.get("/quality/findings/", filters)
    assert page.context["page"].total == 61
    html = page.content.decode()
    assert "民族未填写" in html and ">Q-REQ-ETHNICITY<" not in html


def test_the_worklist_and_decisions_exports_follow_their_filters(county: None) -> None:
    from tests.web.test_matrix import roster_of_a1

    imp = roster_of_a1()
    admin = client_as("county_admin", COUNTY, "boss")
    rows = sheet(
        admin.get(f"/exchange/imports/{imp.pk}/worklist/", {"state": "all", "export": "xlsx"})
    )
    page = admin.get(f"/exchange/imports/{imp.pk}/worklist/", {"state": "all"})
    assert len(rows) - 1 == page.context["page"].total == len(page.context["rows"])
    header = rows[0]
    numbers = [r[header.index("公民身份号码")] for r in rows[1:]]
    assert numbers and all("********" in n for n in numbers)
    assert sheet(
        admin.get(f"/exchange/imports/{imp.pk}/worklist/", {"state": "decided", "export": "xlsx"})
    ) == [header]
    assert AuditLog.objects.filter(action="list.export", object_type="worklist").count() == 2


def test_every_audit_action_in_the_code_has_a_name_in_chinese() -> None:
    codes: set[str] = set()
    families: set[str] = set()
    for path in (ROOT / "renkou").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "audit_record" not in text and "action=" not in text:
            continue
        codes |= set(re.findall(r'\baction="([a-z_]+(?:\.[a-z_]+)+)"', text))
        for a, b in re.findall(r'\baction="([a-z_.]+)" if .* else "([a-z_.]+)"', text):
            codes |= {a, b}
        families |= set(re.findall(r'\baction=f"([a-z_.]+)\.\{', text))
    assert "benefits.bank_account.set" in codes and "exchange.worklist" in families
    # codes built from a status: each status that can occur
    from renkou.benefits.choices import CycleStatus
    from renkou.exchange.models import Decision
    from renkou.registry.choices import EventStatus

    built = {
        "benefits.cycle": [CycleStatus.NOTICE, CycleStatus.APPROVED],
        "benefits.entitlement": ["stopped", "recover"],
        "exchange.worklist": [d for d in Decision.values if d],
        "event": [EventStatus.REVIEWED, EventStatus.APPLIED, EventStatus.REJECTED],
        "api": ["person.list", "household.list", "event.list", "change.list"],
    }
    assert families <= set(built), families - set(built)
    for family, values in built.items():
        codes |= {f"{family}.{v}" for v in values}
    with translation.override("zh-hans"):
        missing = sorted(c for c in codes if not CJK.search(action_label(c)))
    assert not missing, missing
    with translation.override("en"):
        assert action_label("benefits.cycle.notice") == "Put a benefit list on public notice"


def test_every_rule_has_a_name_in_both_languages() -> None:
    assert set(RULE_NAMES) == {r.code for r in RULES}
    with translation.override("zh-hans"):
        assert all(CJK.search(str(name)) for name in RULE_NAMES.values())
    with translation.override("zh-hans"):
        assert object_label("roster_row") == "工作单事项"


def test_the_chinese_audit_page_shows_names_not_codes(county: None) -> None:
    audit_record(actor="x", action="benefits.cycle.notice", object_type="benefits.cycle")
    audit_record(actor="x", action="exchange.worklist.dismissed", object_type="roster_row")
    audit_record(actor="x", action="job.start", object_type="job", object_id=3)
    html = client_as("auditor", COUNTY, "aud").get("/audit/").content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    visible = re.sub(r"<[^>]+>", " ", body)  # text only (a title attribute may hold the code)
    for code in ("benefits.cycle.notice", "exchange.worklist.dismissed", "job.start", "cli"):
        assert code not in visible, code
    for name in ("名单进入公示", "关闭比对工作单事项", "启动后台任务", "工作单事项", "命令行"):
        assert name in visible, name


def test_benefit_parameters_read_in_chinese(county: None) -> None:
    html = client_as("county_admin", COUNTY, "boss").get("/benefits/parameters/").content.decode()
    assert "育儿补贴：每孩每月金额" in html
    assert "yuan per child per month" not in html and "False" not in html and "True" not in html
    english = client_as("county_admin", COUNTY, "boss2").get(
        "/benefits/parameters/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Childcare subsidy: yuan per child per month" in english.content.decode()


def test_a_403_is_logged_as_one_line(county: None, caplog: pytest.LogCaptureFixture) -> None:
    reporter = client_as("reporter", VILLAGE_A1, "someone")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = reporter.get("/audit/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert record.getMessage() == "Forbidden: GET /audit/ by someone"
    assert record.exc_info is None and record.exc_text is None
    text = caplog.text
    assert "Traceback" not in text and "PermissionDenied" not in text
    assert len([line for line in text.splitlines() if line.strip()]) == 1


def test_a_job_started_from_a_page_is_the_user_s(
    county: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin = client_as("county_admin", COUNTY, "boss")
    with django_capture_on_commit_callbacks(execute=False):
        response = admin.post(f"/quality/{VILLAGE_A1}/run/")
    assert response.status_code == 302
    job = Job.objects.get(kind="quality.run")
    assert job.created_by is not None and job.created_by.username == "boss"
    started = AuditLog.objects.get(action="job.start")
    assert (started.actor_label, started.channel) == ("boss", "web")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    ran = AuditLog.objects.get(action="quality.run")
    assert (ran.actor_label, ran.channel) == ("boss", "task")


def test_anonymous_export_goes_to_sign_in() -> None:
    response = Client().get("/audit/?export=xlsx")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_decisions_export_equals_the_filtered_list(county: None) -> None:
    from renkou.benefits.models import Cycle
    from tests.web.test_matrix import records

    ids = records()
    cycle = Cycle.objects.get(pk=ids.cycle)
    admin = client_as("county_admin", COUNTY, "boss")
    url = f"/benefits/cycles/{cycle.pk}/decisions/"
    rows = sheet(admin.get(url, {"village": VILLAGE_A1, "export": "xlsx"}))
    header, body = rows[0], rows[1:]
    truth = list(
        cycle.decisions.filter(village__code__startswith=VILLAGE_A1)
        .order_by("village_id", "id")
        .values_list("person__name", "person__id_number_masked", "amount")
    )
    name, number = header.index("姓名"), header.index("公民身份号码")
    amount = header.index("金额（元）")
    assert [(r[name], r[number], r[amount]) for r in body] == [
        (n, m, float(a)) for n, m, a in truth
    ]
    assert truth and all("*" in m for _n, m, _a in truth)
    page = admin.get(url, {"village": VILLAGE_A1})
    assert page.context["page"].total == len(truth)
    assert sheet(admin.get(url, {"village": VILLAGE_A2, "export": "xlsx"})) == [header]
    exported = AuditLog.objects.filter(action="list.export", object_type="decisions")
    assert [e.after["filters"] for e in exported.order_by("id")] == [
        {"cycle": cycle.pk, "village": VILLAGE_A1},
        {"cycle": cycle.pk, "village": VILLAGE_A2},
    ]
