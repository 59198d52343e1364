"""The notice is a real notice (issue 18, item 3): it starts no earlier than the day it is
published, lasts the configured days before approval, records objections against a person
with an outcome, and publishes the eligible persons only, masked."""

from __future__ import annotations

import datetime
import shutil

import pytest
from django.test import Client
from django.utils import timezone, translation
from python_calamine import CalamineWorkbook

from renkou.benefits.models import Cycle, Decision, Entitlement, Objection, Payment
from renkou.benefits.notice import notice_write
from renkou.benefits.parameters import DEFAULT_DIRECTORY
from renkou.benefits.payments import batch_create
from renkou.benefits.services import (
    CycleError,
    bank_account_set,
    cycle_approve,
    cycle_compute,
    cycle_notice,
    objection_decide,
    objection_raise,
)
from renkou.core.crypto import decrypt
from renkou.core.masking import mask_contact, mask_name
from renkou.core.models import AuditLog
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, VILLAGE_A1, login_as, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date
START = D(2024, 3, 1)


@pytest.fixture
def users(tmp_path):
    load_families(tmp_path / "families")
    return (
        user_with_role("clerk", "county_admin", COUNTY),
        user_with_role("head", "county_admin", COUNTY),
    )


def rural_cycle(clerk) -> Cycle:
    return cycle_compute(
        programme="rural_reward", year=2024, orgunit=OrgUnit.objects.get(code=COUNTY), actor=clerk
    )


def noticed(clerk, days: int = 7) -> Cycle:
    cycle = rural_cycle(clerk)
    cycle_notice(cycle=cycle, start=START, days=days, actor=clerk, today=START)
    return cycle


def decision_of(cycle: Cycle, ref: str) -> Decision:
    return cycle.decisions.select_related("cycle", "person").get(person__person_ref=ref)


def raise_against(cycle: Cycle, ref: str, actor, **extra) -> Objection:
    fields = {
        "objector_name": "王小五",
        "objector_contact": "13800001234",
        "text": "does not live here",
        "raised_on": START + datetime.timedelta(days=1),
        "today": START + datetime.timedelta(days=1),
    }
    fields.update(extra)
    return objection_raise(decision=decision_of(cycle, ref), actor=actor, **fields)


def test_masking_keeps_the_first_and_last_character():
    assert [mask_name(n) for n in ("张三", "张小三", "欧阳娜娜", "李", "")] == [
        "张*",
        "张*三",
        "欧**娜",
        "*",
        "",
    ]
    assert mask_contact("138 0000 1234") == "*******1234"
    assert mask_contact("123") == "***"


def test_a_notice_starting_before_the_day_it_is_published_is_refused(users):
    clerk, _head = users
    cycle = rural_cycle(clerk)
    with translation.override("en"), pytest.raises(CycleError) as refused:
        cycle_notice(cycle=cycle, start=D(2024, 2, 29), days=7, actor=clerk, today=START)
    assert str(refused.value) == (
        "the notice cannot start before the day it is published (2024-03-01): 2024-02-29"
    )
    with translation.override("zh-hans"), pytest.raises(CycleError) as refused:
        cycle_notice(cycle=cycle, start=D(2024, 2, 29), days=7, actor=clerk, today=START)
    assert str(refused.value) == "公示开始日期不得早于发布当日（2024-03-01）：2024-02-29"
    # nothing written: the cycle is still a draft, no audit row of a notice
    cycle.refresh_from_db()
    assert (cycle.status, cycle.notice_from, cycle.notice_until) == ("computed", None, None)
    assert not AuditLog.objects.filter(action="benefits.cycle.notice").exists()
    # today and later are accepted
    cycle_notice(cycle=cycle, start=START, days=7, actor=clerk, today=START)
    assert (cycle.notice_from, cycle.notice_until) == (START, D(2024, 3, 7))


def test_a_notice_shorter_than_the_minimum_is_refused(users):
    clerk, _head = users
    cycle = rural_cycle(clerk)
    with translation.override("en"), pytest.raises(CycleError) as refused:
        cycle_notice(cycle=cycle, start=START, days=6, actor=clerk, today=START)
    assert str(refused.value) == "the notice lasts at least 7 days; 6 days were given"
    with translation.override("zh-hans"), pytest.raises(CycleError) as refused:
        cycle_notice(cycle=cycle, start=START, days=6, actor=clerk, today=START)
    assert str(refused.value) == "公示期至少 7 天；填写的是 6 天"
    cycle.refresh_from_db()
    assert cycle.status == "computed"


def test_approval_is_refused_on_day_six_and_possible_on_day_seven(users):
    clerk, head = users
    cycle = noticed(clerk)
    day_six, day_seven = START + datetime.timedelta(days=6), START + datetime.timedelta(days=7)
    with translation.override("en"), pytest.raises(CycleError) as refused:
        cycle_approve(cycle=cycle, actor=head, today=day_six)
    assert str(refused.value) == (
        "approval is possible from 2024-03-08: the notice runs from 2024-03-01 to 2024-03-07"
        " and lasts at least 7 days"
    )
    with translation.override("zh-hans"), pytest.raises(CycleError) as refused:
        cycle_approve(cycle=cycle, actor=head, today=day_six)
    assert str(refused.value) == (
        "2024-03-08 起方可审批：公示期为 2024-03-01 至 2024-03-07，至少 7 天"
    )
    cycle.refresh_from_db()
    assert cycle.status == "notice" and not Entitlement.objects.exists()
    months = sum(len(d.months) for d in cycle.decisions.filter(outcome="eligible"))
    assert months > 0
    assert cycle_approve(cycle=cycle, actor=head, today=day_seven) == months


def test_a_changed_minimum_is_the_one_in_force_on_the_first_day(users, tmp_path, monkeypatch):
    clerk, head = users
    copy = tmp_path / "params"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    path = copy / "notice" / "min_days.yaml"
    path.write_text(path.read_text() + "  2024-01-01: {value: 10}\n")
    monkeypatch.setenv("RENKOU_BENEFIT_PARAMETERS", str(copy))
    cycle = rural_cycle(clerk)
    with translation.override("en"), pytest.raises(CycleError, match="at least 10 days; 7"):
        cycle_notice(cycle=cycle, start=START, days=7, actor=clerk, today=START)
    cycle_notice(cycle=cycle, start=START, days=10, actor=clerk, today=START)
    with translation.override("en"), pytest.raises(CycleError, match="from 2024-03-11"):
        cycle_approve(cycle=cycle, actor=head, today=START + datetime.timedelta(days=9))
    assert cycle_approve(cycle=cycle, actor=head, today=START + datetime.timedelta(days=10)) > 0


def test_the_minimum_holds_even_when_the_parameter_grows_after_publication(
    users, tmp_path, monkeypatch
):
    """The minimum is the one in force on the notice's first day; a notice of 7 days
    published under the old value is not kept waiting by a later change."""
    clerk, head = users
    cycle = noticed(clerk)
    copy = tmp_path / "params"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    path = copy / "notice" / "min_days.yaml"
    path.write_text(path.read_text() + "  2024-03-05: {value: 15}\n")
    monkeypatch.setenv("RENKOU_BENEFIT_PARAMETERS", str(copy))
    assert cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8)) > 0


def test_an_open_objection_blocks_the_approval(users):
    clerk, head = users
    cycle = noticed(clerk)
    objection = raise_against(cycle, "RR_F", clerk)
    with translation.override("en"), pytest.raises(CycleError) as refused:
        cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    assert str(refused.value) == "1 objection is still open: decide it before the approval"
    with translation.override("zh-hans"), pytest.raises(CycleError) as refused:
        cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    assert str(refused.value) == "尚有 1 条异议未处理：请先处理再审批"
    objection_decide(objection=objection, outcome="dismissed", note="lives here", actor=head)
    assert cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8)) > 0


def test_upheld_takes_the_person_off_the_approval_and_the_payment_file_dismissed_keeps(users):
    clerk, head = users
    cycle = noticed(clerk)
    eligible = set(
        cycle.decisions.filter(outcome="eligible").values_list("person__person_ref", flat=True)
    )
    assert {"RR_F", "G_M"} <= eligible
    upheld = raise_against(cycle, "RR_F", clerk)
    dismissed = raise_against(cycle, "G_M", clerk, objector_name="赵六", objector_contact="")
    objection_decide(
        objection=upheld, outcome="upheld", note="moved away in 2023", actor=head, today=START
    )
    objection_decide(objection=dismissed, outcome="dismissed", note="checked", actor=head)
    rr = decision_of(cycle, "RR_F")
    assert (rr.outcome, rr.amount, rr.months) == ("not_eligible", 0, [])
    assert rr.reasons[-1] == {
        "code": "objection",
        "status": 0,
        "date": "2024-03-01",
        "n": upheld.pk,
    }
    assert decision_of(cycle, "G_M").outcome == "eligible"
    upheld.refresh_from_db()
    assert (upheld.outcome, upheld.resolution, upheld.resolved_by) == (
        "upheld",
        "moved away in 2023",
        head,
    )
    assert upheld.decided_at is not None
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    entitled = set(Entitlement.objects.values_list("person__person_ref", flat=True))
    assert entitled == eligible - {"RR_F"}
    for ref, account in (("RR_F", "6230000011112222"), ("G_M", "6210000033334444")):
        bank_account_set(
            person=Person.objects.get(person_ref=ref), bank="农商银行", account=account, actor=clerk
        )
    batch = batch_create(cycle=cycle, path=None, actor=clerk).batch
    paid = set(Payment.objects.filter(batch=batch).values_list("person__person_ref", flat=True))
    assert "G_M" in paid and "RR_F" not in paid
    rows = AuditLog.objects.filter(action="benefits.objection.resolved").order_by("id")
    assert [(r.before, r.after) for r in rows] == [
        (
            {"outcome": "eligible"},
            {"outcome": "not_eligible", "objection": "upheld", "note": "moved away in 2023"},
        ),
        (
            {"outcome": "eligible"},
            {"outcome": "eligible", "objection": "dismissed", "note": "checked"},
        ),
    ]


def test_the_objector_is_stored_encrypted_and_shown_masked(users):
    clerk, _head = users
    cycle = noticed(clerk)
    objection = raise_against(cycle, "RR_F", clerk)
    assert "王小五" not in objection.objector_name_enc and "13800001234" not in (
        objection.objector_contact_enc
    )
    assert decrypt(objection.objector_name_enc) == "王小五"
    assert decrypt(objection.objector_contact_enc) == "13800001234"
    assert (objection.objector_name_masked, objection.objector_contact_masked) == (
        "王*五",
        "*******1234",
    )
    row = AuditLog.objects.get(action="benefits.objection.raised")
    assert "王小五" not in str(row.after) and "13800001234" not in str(row.after)
    assert row.after["objector"] == "王*五"


@pytest.mark.parametrize(
    ("change", "en", "zh"),
    [
        (
            {"objector_name": "  "},
            "an objection needs the objector's name and what they object to",
            "异议须填写异议人姓名及异议内容",
        ),
        (
            {"raised_on": D(2024, 2, 29)},
            "an objection is received on or after the notice's first day (2024-03-01)",
            "异议的受理日期不得早于公示首日（2024-03-01）",
        ),
        (
            {"raised_on": D(2024, 3, 3), "today": D(2024, 3, 2)},
            "the day the objection was received (2024-03-03) is after today",
            "异议受理日期（2024-03-03）晚于今天",
        ),
        (
            {"ref": "U_F"},
            "objections are recorded against the persons on the notice only",
            "只能对公示名单上的人员登记异议",
        ),
    ],
)
def test_a_bad_objection_is_refused_and_nothing_is_written(users, change, en, zh):
    clerk, _head = users
    cycle = noticed(clerk)
    ref = change.pop("ref", "RR_F")
    assert decision_of(cycle, "U_F").outcome != "eligible"  # urban: not on the notice
    for language, text in (("en", en), ("zh-hans", zh)):
        with translation.override(language), pytest.raises(CycleError) as refused:
            raise_against(cycle, ref, clerk, **change)
        assert str(refused.value) == text
    assert not Objection.objects.exists()
    assert not AuditLog.objects.filter(action="benefits.objection.raised").exists()


def test_an_objection_is_decided_once_as_upheld_or_dismissed(users):
    clerk, head = users
    cycle = noticed(clerk)
    objection = raise_against(cycle, "RR_F", clerk)
    with translation.override("en"), pytest.raises(CycleError) as refused:
        objection_decide(objection=objection, outcome="maybe", note="?", actor=head)
    assert str(refused.value) == "an objection is decided as upheld or dismissed"
    with translation.override("zh-hans"), pytest.raises(CycleError) as refused:
        objection_decide(objection=objection, outcome="upheld", note=" ", actor=head)
    assert str(refused.value) == "请填写异议成立或不成立的理由（不超过 2000 字）"
    objection.refresh_from_db()
    assert objection.outcome == "open"
    objection_decide(objection=objection, outcome="dismissed", note="checked", actor=head)
    with translation.override("en"), pytest.raises(CycleError, match="decided already"):
        objection_decide(objection=objection, outcome="upheld", note="again", actor=head)
    assert decision_of(cycle, "RR_F").outcome == "eligible"


def test_the_notice_lists_eligible_persons_only_masked(users, tmp_path):
    clerk, _head = users
    cycle = noticed(clerk)
    decisions = list(cycle.decisions.select_related("person"))
    eligible = [d for d in decisions if d.outcome == "eligible"]
    others = [d for d in decisions if d.outcome != "eligible"]
    assert eligible and others
    path = tmp_path / "notice.xlsx"
    with translation.override("en"):
        assert notice_write(cycle, path) == len(eligible)
    book = CalamineWorkbook.from_path(str(path))
    cells = [
        str(cell)
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for cell in row
    ]
    expected = sorted((mask_name(d.person.name), d.person.id_number_masked) for d in eligible)
    table = book.get_sheet_by_index(0).to_python()
    assert table[1] == ["name", "identity number", "category", "amount"]
    assert sorted((row[0], row[1]) for row in table[2:]) == expected
    assert all("*" in masked_id and len(masked_id) == 18 for _n, masked_id in expected)
    for d in decisions:
        # no full name, no full identity number, of anyone
        assert d.person.name not in cells
        assert all(d.person.name not in c for c in cells if len(c) > 1)
    for d in others:
        assert d.person.id_number_masked not in cells
    text = " ".join(cells)
    for word in ("not eligible", "urban", "reached", "children", "rural registration"):
        assert word not in text


def test_the_notice_page_lists_eligible_persons_masked_and_the_draft_keeps_the_rest(users):
    clerk, head = users
    cycle = noticed(clerk)
    client = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), head)
    page = client.get(f"/benefits/cycles/{cycle.pk}/notice/{VILLAGE_A1}/").content.decode()
    decisions = list(cycle.decisions.select_related("person"))
    for d in decisions:
        assert d.person.name not in page
        shown = mask_name(d.person.name) in page and d.person.id_number_masked in page
        assert shown == (d.outcome == "eligible"), d.person.person_ref
    assert "Not eligible" not in page and "not eligible" not in page
    draft = client.get(f"/benefits/cycles/{cycle.pk}/decisions/").content.decode()
    assert decision_of(cycle, "U_F").person.name in draft and "Not eligible" in draft


def test_an_objection_recorded_and_decided_on_the_notice_page(users):
    clerk, head = users
    # the pages use today's date: a notice published today
    cycle = rural_cycle(clerk)
    cycle_notice(cycle=cycle, start=timezone.localdate(), days=7, actor=clerk)
    rr = decision_of(cycle, "RR_F")
    url = f"/benefits/cycles/{cycle.pk}/notice/{VILLAGE_A1}/"
    client = login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), clerk)
    body = {
        "decision": str(rr.pk),
        "objector_name": "王小五",
        "objector_contact": "13800001234",
        "text": "不在本村居住",
        "raised_on": timezone.localdate().isoformat(),
        "back": "notice",
    }
    response = client.post(f"{url}objections/", {**body, "objector_name": ""}, follow=True)
    assert "异议须填写异议人姓名及异议内容" in response.content.decode()
    assert not Objection.objects.exists()
    response = client.post(f"{url}objections/", body)
    assert response.status_code == 302 and response["Location"] == url
    objection = Objection.objects.get()
    page = client.get(url).content.decode()
    assert "王*五" in page and "王小五" not in page and "13800001234" not in page
    assert "*******1234" in page and "不在本村居住" in page
    head_client = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), head)
    response = head_client.post(
        f"/benefits/objections/{objection.pk}/resolve/",
        {"outcome": "upheld", "resolution": "moved away", "back": "notice"},
    )
    assert response.status_code == 302 and response["Location"] == url
    objection.refresh_from_db()
    assert objection.outcome == "upheld"
    assert decision_of(cycle, "RR_F").outcome == "not_eligible"
    page = head_client.get(url).content.decode()
    assert mask_name(rr.person.name) in page  # in the objections below the list ...
    table = page.split("<section")[0]
    assert mask_name(rr.person.name) not in table  # ... no longer on the notice


def test_the_pages_offer_objections_for_persons_on_the_notice_and_name_the_approval_day(users):
    clerk, head = users
    cycle = rural_cycle(clerk)
    today = timezone.localdate()
    cycle_notice(cycle=cycle, start=today, days=7, actor=clerk)
    client = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), head)
    draft = client.get(f"/benefits/cycles/{cycle.pk}/decisions/").content.decode()
    for d in cycle.decisions.all():
        form = f'action="/benefits/decisions/{d.pk}/objections/"'
        assert (form in draft) == (d.outcome == "eligible"), d.person_id
    page = client.get(f"/benefits/cycles/{cycle.pk}/").content.decode()
    opens = (today + datetime.timedelta(days=7)).isoformat()
    until = (today + datetime.timedelta(days=6)).isoformat()
    assert f"The notice runs until {until}; approval is possible from {opens}." in page
    # a person not chosen from the notice's list: refused, nothing written
    response = client.post(
        f"/benefits/cycles/{cycle.pk}/notice/{VILLAGE_A1}/objections/",
        {"decision": "²", "objector_name": "王五", "text": "x", "raised_on": today.isoformat()},
        follow=True,
    )
    assert "Choose the person on the notice the objection is about." in response.content.decode()
    assert not Objection.objects.exists()
    zh = login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), head)
    parameters = zh.get("/benefits/parameters/").content.decode()
    assert "公示：名单至少公示的天数，期满后方可审批" in parameters


@pytest.mark.sqlite_leg  # a data migration's rule, the same on both databases
@pytest.mark.django_db(transaction=True)
def test_objections_resolved_before_outcomes_get_the_outcome_they_had(users):
    """Migration 0003: resolving an objection could only take a person off the list, so a
    resolved objection whose person is no longer eligible was upheld; else dismissed."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    clerk, _head = users
    cycle = noticed(clerk)
    rr, gm, u_f = (decision_of(cycle, ref) for ref in ("RR_F", "G_M", "U_F"))
    Decision.objects.filter(pk=rr.pk).update(outcome="not_eligible")  # as the old resolve did
    call_command("migrate", "benefits", "0002", verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(
            ("benefits", "0002_payment_file_checksum")
        )
        Legacy = old.apps.get_model("benefits", "Objection")
        for decision, resolution in ((rr, "confirmed"), (gm, "checked"), (u_f, "")):
            Legacy.objects.create(
                decision_id=decision.pk, text="x", raised_on=START, resolution=resolution
            )
    finally:
        call_command("migrate", "benefits", verbosity=0)
    outcomes = dict(Objection.objects.values_list("decision_id", "outcome"))
    assert outcomes == {rr.pk: "upheld", gm.pk: "dismissed", u_f.pk: "open"}
