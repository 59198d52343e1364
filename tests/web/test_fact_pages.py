"""The facts pages (issue 18, item 1): a file uploaded, imported by a job, its outcome with
every refused row in the page's language; templates; samples only in a demo installation;
the per-person forms with the same rules."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from python_calamine import CalamineWorkbook

from renkou.benefits.fact_files import sample_rows
from renkou.benefits.facts_import import luhn_ok
from renkou.benefits.models import BankAccount, DisabilityRecord, OnlyChildCertificate
from renkou.benefits.models_facts import FactImport
from renkou.core import crypto
from renkou.core.models import AuditLog, Job, UserProfile
from renkou.registry.models import Person
from tests.builders import COUNTY, TOWNSHIP_A, VILLAGE_A1, client_as, id_number, user_with_role

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
P1 = id_number("1990-03-05", 11)  # 张伟
P2 = id_number("1992-07-20", 22)  # 李丽, mother of 张小明
P3 = id_number("2021-01-15", 31)  # 张小明
CARD = "6230000011112223"  # passes its Luhn check digit


def _rows(sheet: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(sheet)).get_sheet_by_index(0).to_python()


@pytest.fixture
def admin(county: None, settings: Any) -> Any:
    settings.LANGUAGE_CODE = "en"
    return client_as("county_admin", COUNTY, name="clerk")


def test_an_uploaded_file_is_imported_by_a_job_and_its_refusals_shown(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert client_as("reporter", VILLAGE_A1, name="rep").get("/benefits/facts/").status_code == 403
    text = (
        f"姓名,身份证号,开户银行,账号\n张伟,{P1},农商银行,{CARD}\n张小明,{P3},农商银行,12345678\n"
    )
    upload = SimpleUploadedFile("accounts.csv", text.encode())
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/benefits/facts/upload/",
            {"kind": "bank_accounts", "orgunit": TOWNSHIP_A, "file": upload},
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="benefits.facts")
    assert job.status == "done", job.error
    imp = FactImport.objects.get()
    assert job.result["fact_import"] == imp.pk and job.result["refused"] == 1
    page = admin.get(f"/benefits/facts/{imp.pk}/")
    assert page.context["problems"] == [
        {
            "row": 3,
            "column": "身份证号",
            "value": "张*明",
            "reason": page.context["problems"][0]["reason"],
        }
    ]
    assert "under 18" in page.context["problems"][0]["reason"]
    zh = admin.get(f"/benefits/facts/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "未满 18 周岁" in zh.content.decode() or "未满18周岁" in zh.content.decode()
    home = admin.get("/benefits/facts/")
    assert [i.pk for i in home.context["imports"]] == [imp.pk]
    assert BankAccount.objects.get().person.name == "张伟"
    assert not Path(job.params["upload"]).exists()  # the upload is gone once read


def test_a_file_without_a_required_column_is_refused_with_its_reason(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("accounts.csv", f"姓名,身份证号,账号\n张伟,{P1},{CARD}\n".encode())
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        admin.post(
            "/benefits/facts/upload/",
            {"kind": "bank_accounts", "orgunit": TOWNSHIP_A, "file": upload},
        )
    home = admin.get("/benefits/facts/")
    assert any("开户银行" in line for line in home.context["job_refused"])
    assert not FactImport.objects.exists()


def test_templates_and_demo_samples(admin: Any) -> None:
    template = admin.get("/benefits/facts/template/only_child_certificates.xlsx")
    assert _rows(template.content) == [
        ["持证人姓名", "持证人身份证号", "子女姓名", "子女身份证号", "证号", "发证日期"]
    ]
    assert admin.get("/benefits/facts/sample/bank_accounts.xlsx").status_code == 404
    demo = user_with_role("demo.statistician", "statistician", TOWNSHIP_A)
    UserProfile.objects.update_or_create(user=demo, defaults={"demo": True})
    sample = admin.get("/benefits/facts/sample/only_child_certificates.xlsx")
    rows = _rows(sample.content)
    assert rows[0] == [
        "持证人姓名",
        "持证人身份证号",
        "子女姓名",
        "子女身份证号",
        "证号",
        "发证日期",
    ]
    # 李丽 is the mother of one child, 张小明 (born 2021): her certificate for him
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [("李丽", P2, "张小明", P3)]
    log = AuditLog.objects.get(action="benefits.facts.sample")
    assert log.after == {"kind": "only_child_certificates", "rows": 1}
    # accounts: living adults aged 59 or over and mothers of children under four; on
    # 2024-06-30 that is 李丽 alone (张伟 is 34 and a father, 张奶奶 died, 王芳 has no child)
    rows = sample_rows("bank_accounts", COUNTY, datetime.date(2024, 6, 30))
    assert [(r[0], r[1]) for r in rows[1:]] == [("李丽", P2)]
    assert luhn_ok(rows[1][3]) and len(rows[1][3]) == 16


def test_person_forms_record_facts_with_the_import_rules(admin: Any) -> None:
    mother, child = Person.objects.get(name="李丽"), Person.objects.get(name="张小明")
    url = f"/benefits/persons/{mother.pk}/"
    bad = admin.post(f"{url}bank-account/", {"bank": "农商银行", "account": "6230000011112222"})
    assert bad.status_code == 302 and not BankAccount.objects.exists()
    admin.post(f"{url}bank-account/", {"bank": "农商银行", "account": CARD})
    assert crypto.decrypt(BankAccount.objects.get(person=mother).account_enc) == CARD
    minor = admin.post(
        f"/benefits/persons/{child.pk}/bank-account/",
        {"bank": "农商银行", "account": CARD},
        follow=True,
    )
    assert "under 18" in str(list(minor.context["messages"])[-1])
    assert not BankAccount.objects.filter(person=child).exists()
    admin.post(
        f"{url}certificates/",
        {"number": "C-1", "child_id": P3, "issued_on": "2021-06-01"},
    )
    cert = OnlyChildCertificate.objects.get()
    assert (cert.holder, cert.child) == (mother, child)
    wrong = admin.post(
        f"/benefits/persons/{Person.objects.get(name='张伟').pk}/certificates/",
        {"number": "C-1", "child_id": P2, "issued_on": "2021-06-01"},
        follow=True,
    )
    assert "not the holder's child" in str(list(wrong.context["messages"])[-1])
    admin.post(
        f"{url}certificates/{cert.pk}/revoke/", {"revoked_on": "2025-01-01", "reason": "再生育"}
    )
    cert.refresh_from_db()
    assert str(cert.revoked_on) == "2025-01-01"
    admin.post(
        f"{url}disability/",
        {"grade": "2", "certificate_number": "D1", "valid_from": "2020-01-01"},
    )
    assert DisabilityRecord.objects.get().grade == 2
    page = admin.get(url).content.decode()
    assert "Who each programme pays" in page and "never to the child" in page
