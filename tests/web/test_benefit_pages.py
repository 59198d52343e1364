"""Benefit pages: a childcare cycle from compute to the bank's result, through the web."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from python_calamine import CalamineWorkbook

from renkou.benefits.models import (
    BankAccount,
    ChildcareApplication,
    Cycle,
    Entitlement,
    Objection,
    Payment,
)
from renkou.benefits.services import bank_account_set, childcare_window
from renkou.core.models import AuditLog, Job
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, client_as

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def people(tmp_path: Any, settings: Any) -> dict[str, Any]:
    settings.LANGUAGE_CODE = "en"
    load_families(tmp_path / "families")
    return {
        "clerk": client_as("county_admin", COUNTY, name="clerk"),
        "head": client_as("county_admin", COUNTY, name="head"),
        "stat": client_as("statistician", TOWNSHIP_A, name="stat"),
        "reporter": client_as("reporter", VILLAGE_A1, name="reporter"),
        "other": client_as("statistician", TOWNSHIP_B, name="other"),
    }


def messages_of(response: Any) -> list[str]:
    """The messages shown on the page reached, without those of earlier redirects."""
    return [str(m) for m in response.context["messages"]][-1:]


def compute(people: dict[str, Any], capture: Any) -> Cycle:
    with override_settings(TASKS=IMMEDIATE), capture(execute=True):
        response = people["clerk"].post(
            f"/benefits/area/{COUNTY}/compute/", {"programme": "childcare", "year": "2025"}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="benefits.compute")
    assert job.status == "done", job.error
    cycle = Cycle.objects.get()
    assert job.result == {"cycle": cycle.pk, "eligible": 4, "not_eligible": 0, "undecided": 0}
    return cycle


def test_parameters_page_shows_the_dated_history(people: dict[str, Any]) -> None:
    page = people["reporter"].get("/benefits/parameters/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "special_assistance.death_per_month" in text
    assert "2016-01-01</span> → 450" in text and "2022-07-01</span> → 590" in text


def test_compute_runs_as_a_job_and_the_draft_shows_each_condition(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    assert people["reporter"].post(f"/benefits/area/{VILLAGE_A1}/compute/").status_code == 403
    assert people["other"].post(f"/benefits/area/{COUNTY}/compute/").status_code == 404
    cycle = compute(people, django_capture_on_commit_callbacks)
    assert cycle.computed_by.username == "clerk" and cycle.status == "computed"
    page = people["clerk"].get(f"/benefits/area/{COUNTY}/")
    assert page.context["cycles"] == [cycle] and page.context["job"].status == "done"
    # the same cycle again: refused, pointing at the existing one
    again = people["clerk"].post(
        f"/benefits/area/{COUNTY}/compute/", {"programme": "childcare", "year": "2025"}
    )
    assert again["Location"] == f"/benefits/cycles/{cycle.pk}/"
    draft = people["stat"].get(f"/benefits/cycles/{cycle.pk}/decisions/?outcome=eligible")
    rows = {d.person.person_ref: d for d in draft.context["rows"]}
    assert set(rows) == {"T_1", "T_2", "K_C", "J_C"}
    assert [text for text, _status in rows["K_C"].lines] == [
        "child born on 2022-03-10 ✓",
        "under 3 until 2025-03-10 ✓",
        "registered here ✓",
        "child alive ✓",
        "has a parent ✓",
    ]
    assert "600.00 yuan" in draft.content.decode()
    none = people["stat"].get(f"/benefits/cycles/{cycle.pk}/decisions/?outcome=undecided")
    assert none.context["rows"] == []
    # another township's statistician does not see the county's cycle of township A's people
    assert people["other"].get(f"/benefits/cycles/{cycle.pk}/").status_code == 200
    assert people["other"].get(f"/benefits/cycles/{cycle.pk}/decisions/").context["rows"] == []


def test_notice_objection_four_eyes_approval_payment_and_bank_result(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any, tmp_path: Any
) -> None:
    cycle = compute(people, django_capture_on_commit_callbacks)
    url = f"/benefits/cycles/{cycle.pk}/"
    start = timezone.localdate()  # a notice starts no earlier than the day it is published
    until = start + datetime.timedelta(days=6)
    assert people["reporter"].post(f"{url}notice/", {"start": str(start)}).status_code == 403
    people["clerk"].post(f"{url}notice/", {"start": str(start), "days": "7"})
    cycle.refresh_from_db()
    assert (cycle.status, cycle.notice_until) == ("notice", until)
    # the printable notice of the village and its xlsx
    notice = people["reporter"].get(f"{url}notice/{VILLAGE_A1}/")
    assert f"{start} to {until}" in notice.content.decode()
    assert len(notice.context["rows"]) == 4
    xlsx = people["reporter"].get(f"{url}notice.xlsx?village={VILLAGE_A1}")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    assert len(sheet.to_python()) == 2 + 4
    # an objection from the township blocks approval until the county resolves it
    j_c = cycle.decisions.get(person__person_ref="J_C")
    assert (
        people["reporter"]
        .post(f"/benefits/decisions/{j_c.pk}/objections/", {"text": "x", "raised_on": str(start)})
        .status_code
        == 403
    )
    people["stat"].post(
        f"/benefits/decisions/{j_c.pk}/objections/",
        {"text": "moved away", "raised_on": str(start), "objector_name": "王五"},
    )
    objection = j_c.objections.get()
    # the seven days of the notice pass (its dates moved back: the pages take today's date)
    week = datetime.timedelta(days=7)
    Cycle.objects.filter(pk=cycle.pk).update(notice_from=start - week, notice_until=until - week)
    Objection.objects.filter(pk=objection.pk).update(raised_on=start - week)
    blocked = people["head"].post(f"{url}approve/", follow=True)
    assert messages_of(blocked) == ["1 objection is still open: decide it before the approval"]
    assert people["stat"].post(f"/benefits/objections/{objection.pk}/resolve/").status_code == 403
    people["clerk"].post(
        f"/benefits/objections/{objection.pk}/resolve/",
        {"resolution": "checked: lives here", "outcome": "dismissed"},
    )
    # four eyes: the clerk who computed may not approve
    refused = people["clerk"].post(f"{url}approve/", follow=True)
    assert messages_of(refused) == ["the user who computed a cycle may not approve it"]
    approved = people["head"].post(f"{url}approve/", follow=True)
    assert messages_of(approved) == ["Approved: 33 monthly entitlements created."]
    assert Entitlement.objects.filter(cycle=cycle).count() == 33
    # payment file: the mother of all four children has an account
    mother = Person.objects.get(person_ref="T_M")
    bank_account_set(person=mother, bank="农商银行", account="6230000011112222", actor="test")
    # nobody applied yet: no payment file, and the page says why
    nothing = people["head"].post(f"{url}pay/", follow=True)
    (message,) = messages_of(nothing)
    assert "no payment file written: 4 children with due months nobody applied for" in message
    assert not cycle.batches.exists()
    # the mother applies for each child, for every month the child is entitled to
    for child in Person.objects.filter(mother=mother):
        window = childcare_window(child)
        assert window is not None
        page = people["clerk"].get(f"/benefits/persons/{child.pk}/")
        assert page.context["childcare_window"] == window
        assert "not applied for" in page.content.decode()
        recorded = people["clerk"].post(
            f"/benefits/persons/{child.pk}/childcare-application/",
            {
                "applicant": str(mother.pk),
                "applied_on": str(timezone.localdate()),
                "first_month": f"{window[0]:%Y-%m}",
                "last_month": f"{window[1]:%Y-%m}",
            },
            follow=True,
        )
        assert messages_of(recorded) == ["Recorded."]
        assert f"paid to {mother.name}" in recorded.content.decode()
    people["head"].post(f"{url}pay/")
    batch = cycle.batches.get()
    assert batch.payments.count() == 4
    assert people["reporter"].get(f"/benefits/batches/{batch.pk}/file.csv").status_code == 403
    download = people["head"].get(f"/benefits/batches/{batch.pk}/file.csv")
    text = download.content.decode("utf-8-sig")
    assert "6230000011112222" in text and mother.name in text
    assert AuditLog.objects.filter(action="benefits.payment_file.downloaded").count() == 1
    refs = list(batch.payments.order_by("reference").values_list("reference", flat=True))
    # a bad result: refused whole, naming the file, row and column
    bad = f"参考号,状态,原因\n{refs[0]},成功,\n{refs[1]},maybe,\n".encode()
    refused = people["head"].post(
        f"/benefits/batches/{batch.pk}/result/",
        {"result": SimpleUploadedFile("bank.csv", bad)},
        follow=True,
    )
    (message,) = messages_of(refused)
    assert "bank.csv, row 3, column 状态" in message and "neither paid nor failed" in message
    assert not Payment.objects.filter(batch=batch, status="paid").exists()
    good = f"参考号,状态,原因\n{refs[0]},成功,\n{refs[1]},失败,账户冻结\n".encode()
    for _ in range(2):  # the second import of the same result changes nothing
        done = people["head"].post(
            f"/benefits/batches/{batch.pk}/result/",
            {"result": SimpleUploadedFile("bank.csv", good)},
            follow=True,
        )
        assert messages_of(done) == [f"Payment file {batch.pk}: 1 paid, 1 failed."]
    assert AuditLog.objects.filter(action="benefits.payment_file.reconciled").count() == 1
    page = people["head"].get(url)
    (village,) = page.context["villages"]
    assert village["code"] == VILLAGE_A1 and village["eligible"] == 4
    paid = Payment.objects.get(reference=refs[0]).amount
    assert village["paid"] == paid and round(village["rate"], 1) == round(
        float(paid) / 9900 * 100, 1
    )

    # the failed line with the bank's reason, for the re-issue
    (failed,) = page.context["batches"][0].failed
    assert (failed.reference, failed.failure_reason) == (refs[1], "账户冻结")
    assert "账户冻结" in page.content.decode()


def test_draft_list_queries_do_not_grow_with_the_rows(
    people: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    cycle = compute(people, django_capture_on_commit_callbacks)
    people["clerk"].post(
        f"/benefits/cycles/{cycle.pk}/notice/", {"start": str(timezone.localdate()), "days": "7"}
    )
    # none per row (one counts them for the pager, one the header's unread notifications,
    # one the childcare applicants of the page's children)
    with django_assert_max_num_queries(14):
        page = people["stat"].get(f"/benefits/cycles/{cycle.pk}/decisions/")
    assert len(page.context["rows"]) == 4 and all(d.can_object for d in page.context["rows"])


def test_person_page_is_audited_and_records_the_bank_account(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    cycle = compute(people, django_capture_on_commit_callbacks)
    child = Person.objects.get(person_ref="K_C")
    page = people["reporter"].get(f"/benefits/persons/{child.pk}/")
    assert [(d.cycle, d.outcome) for d in page.context["decisions"]] == [(cycle, "eligible")]
    assert not page.context["can_edit"] and "account-form" not in page.content.decode()
    viewed = AuditLog.objects.filter(action="benefits.person.viewed", object_id=str(child.pk))
    assert viewed.count() == 1
    assert people["other"].get(f"/benefits/persons/{child.pk}/").status_code == 404
    mother = Person.objects.get(person_ref="T_M")
    url = f"/benefits/persons/{mother.pk}/bank-account/"
    assert people["reporter"].post(url, {"bank": "x", "account": "12345678"}).status_code == 403
    bad = people["clerk"].post(url, {"bank": "农商银行", "account": "6230-abc"}, follow=True)
    assert messages_of(bad) == ["Give the bank and an account number of 8 to 30 digits."]
    assert not BankAccount.objects.filter(person=mother).exists()
    # a card number (16 digits from 6) must pass its Luhn check digit: 6230…2222 does not
    wrong = people["clerk"].post(url, {"bank": "农商银行", "account": "6230 0000 1111 2222"})
    assert not BankAccount.objects.filter(person=mother).exists() and wrong.status_code == 302
    people["clerk"].post(url, {"bank": "农商银行", "account": "6230 0000 1111 2223"})
    shown = people["clerk"].get(f"/benefits/persons/{mother.pk}/").content.decode()
    assert "************2223" in shown and "6230000011112223" not in shown
    assert AuditLog.objects.filter(action="benefits.bank_account.set").count() == 1


def test_a_payment_file_with_nothing_to_pay_is_not_made_and_the_page_says_who_waits(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from renkou.benefits.services import childcare_apply, cycle_approve, cycle_notice

    cycle = compute(people, django_capture_on_commit_callbacks)
    clerk = cycle.computed_by
    head = type(clerk).objects.get(username="head")
    cycle_notice(
        cycle=cycle,
        start=datetime.date(2025, 3, 1),
        days=7,
        actor=clerk,
        today=datetime.date(2025, 3, 1),
    )
    cycle_approve(cycle=cycle, actor=head, today=datetime.date(2025, 3, 8))
    mother, t_1 = Person.objects.get(person_ref="T_M"), Person.objects.get(person_ref="T_1")
    childcare_apply(
        child=t_1,
        applicant=mother,
        applied_on=datetime.date(2025, 1, 10),
        first_month=datetime.date(2025, 1, 1),
        last_month=datetime.date(2025, 12, 1),
        actor=clerk,
    )
    draft = people["head"].get(f"/benefits/cycles/{cycle.pk}/decisions/?outcome=eligible")
    payees = {d.person.person_ref: d.payee_text for d in draft.context["rows"]}
    assert payees == {
        "T_1": mother.name,
        **dict.fromkeys(["T_2", "K_C", "J_C"], "nobody yet: no application"),
    }
    page = people["head"].post(f"/benefits/cycles/{cycle.pk}/pay/", follow=True)
    (message,) = messages_of(page)
    assert "no payment file written: 1 person without a bank account" in message
    html = page.content.decode()
    # the mother (whose account it would be) is named and linked; nothing was made
    assert f'<a href="/benefits/persons/{mother.pk}/">{mother.name}</a>' in html
    assert not cycle.batches.exists()
    page = people["head"].post(
        f"/benefits/cycles/{cycle.pk}/pay/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "没有可发放的款项" in messages_of(page)[0] and "没有银行账户" in messages_of(page)[0]


def test_an_application_is_ended_early_and_withdrawn_from_the_persons_page(
    people: dict[str, Any],
) -> None:
    child = Person.objects.get(person_ref="J_C")  # months 2025-06 to 2028-05
    mother = Person.objects.get(person_ref="T_M")
    url = f"/benefits/persons/{child.pk}/"
    people["clerk"].post(
        f"{url}childcare-application/",
        {
            "applicant": str(mother.pk),
            "applied_on": "2025-06-20",
            "first_month": "2025-06",
            "last_month": "2025-12",
        },
    )
    (application,) = ChildcareApplication.objects.filter(child=child)
    end = f"{url}childcare-applications/{application.pk}/end/"
    assert f'action="{end}"' in people["clerk"].get(url).content.decode()
    assert people["reporter"].post(end, {"last_month": "2025-08", "reason": "x"}).status_code == 403
    no_reason = people["clerk"].post(end, {"last_month": "2025-08", "reason": ""}, follow=True)
    assert messages_of(no_reason) == ["Give the reason the application ends."]
    ended = people["clerk"].post(end, {"last_month": "2025-08", "reason": "迁出"}, follow=True)
    assert messages_of(ended) == ["Recorded."]
    assert "for 2025-06 to 2025-08" in ended.content.decode()
    withdrawn = people["clerk"].post(end, {"last_month": "", "reason": "重复申领"}, follow=True)
    assert messages_of(withdrawn) == ["Recorded."]
    assert not ChildcareApplication.objects.filter(child=child).exists()
    assert "No application yet" in withdrawn.content.decode()
