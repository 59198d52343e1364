"""The reports page: a report made in the background, its progress, its files, the audit,
and the scoping of pages, jobs and downloads."""

from __future__ import annotations

import io
import shutil
from typing import Any

import openpyxl
import pytest
from django.test import override_settings
from PIL import Image, ImageStat

from renkou.core.models import AuditLog, Job
from tests.analytics.hand_register import A1, COUNTY, TOWNSHIP_A
from tests.builders import client_as
from tests.conftest import need

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@override_settings(TASKS=IMMEDIATE)
def test_forms_are_made_in_the_background_and_downloaded(
    register: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as("county_admin", COUNTY)
    page = client.get(f"/reports/{COUNTY}/")
    assert page.status_code == 200 and "2024" in page.context["periods"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/reports/{COUNTY}/", {"kind": "forms", "period": "2024", "lang": "en"}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="reports.generate")
    assert job.status == "done", job.error
    stem = f"{COUNTY}-2024-registered-forms-en"
    assert job.result["files"] == [f"{stem}.xlsx", f"{stem}.csv"]
    partial = client.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert f"/reports/jobs/{job.pk}/{stem}.xlsx" in partial
    download = client.get(f"/reports/jobs/{job.pk}/{stem}.xlsx")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.worksheets[0]["A1"].value == "Population change and births by order"
    generated = AuditLog.objects.get(action="report.generate")
    assert generated.after["period"] == "2024" and generated.after["language"] == "en"
    assert AuditLog.objects.get(action="report.download").after["file"] == f"{stem}.xlsx"
    assert client.get(f"/reports/jobs/{job.pk}/../secret_key").status_code == 404
    assert client.get(f"/reports/jobs/{job.pk}/other.xlsx").status_code == 404
    # another area's user sees neither the page, the job nor the file
    other = client_as("reporter", A1, name="r")
    assert other.get(f"/reports/{COUNTY}/").status_code == 404
    assert other.get(f"/reports/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/reports/jobs/{job.pk}/{stem}.xlsx").status_code == 404


def test_an_uncomputed_or_malformed_period_is_refused_on_the_page(register: None) -> None:
    client = client_as("county_admin", COUNTY)
    response = client.post(f"/reports/{COUNTY}/", {"kind": "summary", "period": "2019"})
    assert response.status_code == 400
    assert "2019 的统计数字尚未计算" in response.content.decode()
    response = client.post(f"/reports/{COUNTY}/", {"kind": "forms", "period": "20x4"})
    assert response.status_code == 400 and "不是有效的统计时期" in response.content.decode()
    assert not Job.objects.filter(kind="reports.generate").exists()


def test_the_page_is_in_the_navigation(register: None) -> None:
    page = client_as("statistician", TOWNSHIP_A).get("/reports/")
    assert page.context["unit"].code == TOWNSHIP_A
    assert 'href="/reports/"' in page.content.decode()
    # a village reporter's menu leaves it out; the page still opens, for their village
    page = client_as("reporter", A1, name="r").get("/reports/")
    assert page.context["unit"].code == A1
    assert 'href="/reports/"' not in page.content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_the_summary_is_made_as_word_and_pdf(
    register: None, django_capture_on_commit_callbacks: Any
) -> None:
    need(
        bool(shutil.which("soffice")), "needs LibreOffice: apt-get install libreoffice-writer-nogui"
    )
    client = client_as("statistician", TOWNSHIP_A, name="s")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/reports/{TOWNSHIP_A}/", {"kind": "summary", "period": "2024"})
    job = Job.objects.get(kind="reports.generate")
    assert job.status == "done", job.error
    assert [name.rsplit(".", 1)[1] for name in job.result["files"]] == ["docx", "pdf"]
    pdf = client.get(f"/reports/jobs/{job.pk}/{job.result['files'][1]}")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_dashboard_offers_each_chart_as_the_summary_draws_it(register: None) -> None:
    client = client_as("county_admin", COUNTY)
    page = client.get(f"/statistics/{COUNTY}/", {"period": "2024"})
    assert "png=pyramid" in page.content.decode()
    png = client.get(f"/statistics/{COUNTY}/", {"period": "2024", "png": "srb_by_unit"})
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png.content)).convert("L")
    assert image.width > 500 and ImageStat.Stat(image).stddev[0] > 5


def test_the_page_names_its_fields_as_the_statistics_page_does(register: None) -> None:
    """The selector is "报表" (a document), not "上报" (to report a change); every field has
    its label, and the basis is named as on the statistics page."""
    client = client_as("county_admin", COUNTY)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/reports/{COUNTY}/").content.decode()
    assert '<label for="report-kind">报表</label>' in html
    for field in ("report-kind", "report-period", "report-basis", "report-lang"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "户籍" in html and "常住" in html and ">上报<" not in html
